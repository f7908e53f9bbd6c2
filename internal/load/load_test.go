package load_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/spawnkit/spawnkit/internal/load"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestRunCountsExactly(t *testing.T) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1)%10 == 0 {
			http.Error(w, "every tenth fails", http.StatusInternalServerError)
		}
	}))
	defer srv.Close()
	res, err := load.Run(context.Background(), load.Config{URL: srv.URL, Requests: 100, Concurrency: 3})
	require.NoError(t, err)
	assert.Equal(t, 100, res.Requests)
	assert.Equal(t, 90, res.OK)
	assert.Equal(t, 10, res.Failed)
	assert.Equal(t, []string{"status 500"}, res.Errors)
	assert.Equal(t, int64(100), n.Load())
	assert.Greater(t, res.PerSecond(), 0.0)
}

func TestRunEndingNeverFailsARequest(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(50 * time.Millisecond)
	}))
	defer srv.Close()
	for _, keepAlive := range []bool{false, true} {
		res, err := load.Run(context.Background(), load.Config{URL: srv.URL, Duration: 120 * time.Millisecond, Concurrency: 4, KeepAlive: keepAlive})
		require.NoError(t, err)
		assert.Zero(t, res.Failed)
		assert.Equal(t, res.Requests, res.OK)
		assert.GreaterOrEqual(t, res.OK, 4)
	}
}

func TestRunChecksAndRefusesUnboundedRuns(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("hello")) }))
	defer srv.Close()
	res, err := load.Run(context.Background(), load.Config{URL: srv.URL, Requests: 5, Check: func(status int, body []byte) error {
		if string(body) != "bye" {
			return errors.New("unexpected body " + string(body))
		}
		return nil
	}})
	require.NoError(t, err)
	assert.Equal(t, 5, res.Failed)
	assert.Equal(t, []string{"unexpected body hello"}, res.Errors)

	_, err = load.Run(context.Background(), load.Config{URL: srv.URL})
	assert.Error(t, err)
	_, err = load.Run(context.Background(), load.Config{URL: "::bad", Requests: 1})
	assert.Error(t, err)
}
