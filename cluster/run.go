package cluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/spawnkit/spawnkit/childproc"
	"github.com/spawnkit/spawnkit/ipc"
)

// Run runs the cluster config describes and returns when it has ended; call
// it from main. config.Worker is required: a nil config or Worker is an
// error (in the primary and in the workers alike). Run copies config (see
// [Config]).
//
// In the primary ([IsPrimary]) it starts the workers (see [Start]), runs
// [Config].Primary if set, and then handles signals: SIGUSR2 reloads the
// workers one by one ([Primary.Reload]; a failed reload is logged on
// Config.Logger and the cluster keeps running; a SIGUSR2 that arrives
// during a reload is logged and ignored), SIGTERM and SIGINT shut
// down gracefully ([Primary.Shutdown]), and a second SIGTERM or SIGINT kills
// the workers still draining. The end of ctx shuts down gracefully too. Run
// returns nil after such a shutdown; an error when the cluster could not
// start, when Config.Primary returned one, or when every slot was given up
// as a crash loop (matching [ErrCrashLoop]).
//
// Workers inherit the primary's stdout and stderr; their stdin is
// /dev/null, and they run in their own process group, so that a terminal's
// ^C reaches the primary only, which then drains them.
//
// In a worker ([IsWorker]) it runs Config.Worker with ctx and a [Worker], and
// returns what it returns; nil when it returns ctx's error after the
// primary asked it to stop, or after SIGTERM or SIGINT. The worker's main
// should then simply return (or exit with a non-zero status on an error).
func Run(ctx context.Context, config *Config) error {
	if config == nil || config.Worker == nil {
		return errors.New("cluster: Config.Worker is nil: Run needs the code workers run")
	}
	if IsWorker() {
		return runWorker(ctx, config.Worker)
	}
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, reloadSignal)
	defer signal.Stop(sigs)

	p, err := Start(ctx, config)
	if err != nil {
		return err
	}
	cfg := p.cfg
	hookDone := make(chan error, 1)
	if cfg.Primary != nil {
		go func() { hookDone <- cfg.Primary(p.closingCtx, p) }()
	} else {
		hookDone <- nil
	}
	var hookErr error
	hookRunning := cfg.Primary != nil
	reloadDone := make(chan struct{}, 1)
	reloading, terminating := false, false
	for {
		select {
		case s := <-sigs:
			switch s {
			case reloadSignal:
				if reloading {
					p.log(slog.LevelWarn, "reload already running", slog.String("signal", "SIGUSR2"))
					continue
				}
				reloading = true
				go func() {
					p.Reload(p.closingCtx) // a failure is logged by Reload
					reloadDone <- struct{}{}
				}()
			default:
				if !terminating {
					terminating = true
					p.beginShutdown(nil)
					continue
				}
				sig, _ := s.(syscall.Signal)
				p.log(slog.LevelWarn, "killing the workers", childproc.ExitStatus{Signal: sig}.Attr())
				ctx, cancel := context.WithCancel(context.Background())
				cancel()
				go p.Shutdown(ctx)
			}
		case <-reloadDone:
			reloading = false
		case err := <-hookDone:
			hookRunning = false
			if err != nil {
				hookErr = fmt.Errorf("cluster: primary: %w", err)
				p.beginShutdown(nil)
			}
		case <-p.done:
			if reloading {
				<-reloadDone
			}
			if hookRunning {
				if err := <-hookDone; err != nil && hookErr == nil {
					hookErr = fmt.Errorf("cluster: primary: %w", err)
				}
			}
			if hookErr != nil {
				return hookErr
			}
			return p.Wait()
		}
	}
}

// runWorker is Run in a worker process.
func runWorker(ctx context.Context, run func(context.Context, *Worker) error) error {
	ch, err := ipc.FromParent()
	if err != nil {
		return fmt.Errorf("cluster: worker %d: %w", self.id, err)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	w := &Worker{
		ID:       self.id,
		Slot:     self.slot,
		ch:       ch,
		cancel:   cancel,
		messages: newQueue[ipc.Message](messagesKept),
		gone:     make(chan struct{}),
	}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	defer signal.Stop(sigs)
	signalled := make(chan struct{})
	go func() {
		select {
		case <-sigs:
			close(signalled)
			cancel()
		case <-ctx.Done():
		}
	}()

	current.Lock()
	current.w = w
	current.Unlock()
	defer func() {
		current.Lock()
		current.w = nil
		current.Unlock()
	}()

	go w.receive()
	ch.Send(envelope{Op: opOnline})
	err = run(ctx, w)
	if err != nil && errors.Is(err, context.Canceled) && ctx.Err() != nil {
		select {
		case <-signalled:
			err = nil
		default:
			if w.Stopping() {
				err = nil
			}
		}
	}
	ch.Close()
	<-w.gone
	return err
}
