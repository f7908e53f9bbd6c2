// Package load is a small HTTP load generator for tests and benchmarks of
// package cluster: a fixed number of clients send GET requests to one URL
// for a bounded count and time, and the result counts successes and
// failures exactly.
package load

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"
)

// Config describes a load run. At least one of Requests, Duration or the
// ctx given to Run must bound it.
type Config struct {
	URL         string        // the URL every request GETs
	Concurrency int           // clients sending requests one after the other; default 4
	Requests    int           // stop after this many requests in all; 0 = no limit
	Duration    time.Duration // stop starting requests after this long; 0 = no limit
	KeepAlive   bool          // reuse connections (default: one connection per request)
	Timeout     time.Duration // per request; default 10s

	// Check decides whether a response counts as a success; nil accepts
	// status 200 only. It is called from several goroutines at once.
	Check func(status int, body []byte) error
}

// Result counts what happened. Requests = OK + Failed.
type Result struct {
	Requests int
	OK       int
	Failed   int
	Errors   []string // the first few distinct failures, for the report
	Elapsed  time.Duration
}

// PerSecond returns the rate of successful requests.
func (r Result) PerSecond() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.OK) / r.Elapsed.Seconds()
}

// String summarises the result in one line, e.g. "200 requests, 200 ok, 0
// failed in 1.5s (133 req/s)".
func (r Result) String() string {
	return fmt.Sprintf("%d requests, %d ok, %d failed in %v (%.0f req/s)", r.Requests, r.OK, r.Failed, r.Elapsed.Round(time.Millisecond), r.PerSecond())
}

const maxErrors = 10

// Run sends requests until Requests were sent, Duration has passed or ctx
// ends, whichever comes first, and returns the counts. A request already
// sent when the run ends is waited for and counted: ending the run never
// makes a request fail. Run fails only when the run is unbounded or the
// URL is invalid.
func Run(ctx context.Context, cfg Config) (Result, error) {
	if cfg.Requests <= 0 && cfg.Duration <= 0 && ctx.Done() == nil {
		return Result{}, errors.New("load: unbounded run: set Requests, Duration or a ctx that ends")
	}
	if _, err := http.NewRequest(http.MethodGet, cfg.URL, nil); err != nil {
		return Result{}, fmt.Errorf("load: %w", err)
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 4
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	check := cfg.Check
	if check == nil {
		check = func(status int, _ []byte) error {
			if status != http.StatusOK {
				return fmt.Errorf("status %d", status)
			}
			return nil
		}
	}
	tr := &http.Transport{
		DisableKeepAlives:   !cfg.KeepAlive,
		MaxIdleConnsPerHost: cfg.Concurrency,
		Proxy:               nil,
	}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: cfg.Timeout}

	if cfg.Duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, cfg.Duration)
		defer cancel()
	}
	var (
		mu     sync.Mutex
		res    Result
		seen   = map[string]bool{}
		issued int
	)
	take := func() bool {
		mu.Lock()
		defer mu.Unlock()
		if ctx.Err() != nil || cfg.Requests > 0 && issued >= cfg.Requests {
			return false
		}
		issued++
		return true
	}
	record := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		res.Requests++
		if err == nil {
			res.OK++
			return
		}
		res.Failed++
		if s := err.Error(); !seen[s] && len(res.Errors) < maxErrors {
			seen[s] = true
			res.Errors = append(res.Errors, s)
		}
	}
	start := time.Now()
	var wg sync.WaitGroup
	for range cfg.Concurrency {
		wg.Go(func() {
			for take() {
				record(get(client, cfg.URL, check))
			}
		})
	}
	wg.Wait()
	res.Elapsed = time.Since(start)
	return res, nil
}

// get sends one request; it is not tied to the run's ctx, so that ending
// the run does not fail it.
func get(client *http.Client, url string, check func(int, []byte) error) error {
	resp, err := client.Get(url)
	if err != nil {
		return err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return fmt.Errorf("reading the body: %w", err)
	}
	return check(resp.StatusCode, body)
}
