package cluster_test

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/spawnkit/spawnkit/cluster"
)

// clientFrom returns a client whose connections come from source IP ip
// (any 127.x.y.z is a loopback address on Linux).
func clientFrom(ip string) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true, DialContext: d.DialContext}}
}

func TestStickyRoutesEachClientIPToOneWorker(t *testing.T) {
	tc := start(t, "http", cluster.Config{Workers: 3, Sticky: true})
	ready := tc.waitReady(3)
	url := tc.url()
	byIP := map[string]map[int]int{}
	all := map[int]int{}
	for i := 1; i <= 12; i++ {
		ip := fmt.Sprintf("127.0.0.%d", i)
		c := clientFrom(ip)
		byIP[ip] = map[int]int{}
		for range 5 {
			resp, err := c.Get(url)
			require.NoError(t, err)
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			byIP[ip][pidOf(body)]++
			all[pidOf(body)]++
		}
	}
	for ip, pids := range byIP {
		assert.Len(t, pids, 1, "client %s reached several workers: %v", ip, pids)
	}
	assert.Greater(t, len(all), 1, "12 client IPs all hashed to one worker: %v", all)
	assert.Subset(t, pidsOf(ready), keys(all))
}

func TestStickyRollingRestartUnderLoadLosesNoRequest(t *testing.T) {
	testRollingRestart(t, cluster.Config{Sticky: true}, false)
}

func TestStickyWorkerThatClosesItsListenerGetsNoConnections(t *testing.T) {
	tc := start(t, "unlisten", cluster.Config{Workers: 2, Sticky: true})
	ready := tc.waitReady(2)
	url := tc.url()
	get := func(ip string) (int, error) {
		resp, err := clientFrom(ip).Get(url)
		if err != nil {
			return 0, err
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		return pidOf(body), err
	}
	// Each client IP sticks to one worker: pick the first worker that
	// some IP reaches, and the IPs it serves.
	mine := map[int][]string{}
	for i := 1; i <= 16; i++ {
		ip := fmt.Sprintf("127.0.0.%d", i)
		pid, err := get(ip)
		require.NoError(t, err)
		mine[pid] = append(mine[pid], ip)
	}
	var closing cluster.WorkerInfo
	for _, w := range ready {
		if len(mine[w.Pid]) > 0 {
			closing = w
			break
		}
	}
	require.NotZero(t, closing.Pid, "no worker served a request: %v", mine)
	require.NoError(t, tc.p.Send(closing.ID, "unlisten"))
	tc.waitFor("the worker's listener closed", 30*time.Second, func(evs []cluster.Event) bool {
		for _, ev := range evs {
			if ev.Kind == cluster.EventMessage && ev.Worker.ID == closing.ID && string(ev.Message) == `"closed"` {
				return true
			}
		}
		return false
	})
	// Its clients are served by the other worker now, every time.
	for range 3 {
		for _, ip := range mine[closing.Pid] {
			pid, err := get(ip)
			require.NoError(t, err, "client %s of the worker that closed its listener", ip)
			assert.NotEqual(t, closing.Pid, pid, "client %s still reached the worker that closed its listener", ip)
		}
	}
}
