package cluster_test

import (
	"context"
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
	tc := start(t, "http", cluster.Config{Workers: 2, Sticky: true})
	tc.waitReady(2)
	var pc pidCounter
	stop := loadDuring(t, tc.url(), false, pc.check)
	time.Sleep(300 * time.Millisecond)
	require.NoError(t, tc.p.Reload(context.Background()))
	time.Sleep(300 * time.Millisecond)
	res := stop()
	t.Logf("%v; per pid %v", res, pc.pids())
	assert.Zero(t, res.Failed, "%v", res.Errors)
	assert.Greater(t, res.OK, 20)
}
