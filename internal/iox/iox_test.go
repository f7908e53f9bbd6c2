package iox

import (
	"bytes"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestLastLine(t *testing.T) {
	for _, tc := range []struct {
		in   string
		max  int
		want string
	}{
		{"", 10, ""},
		{" \r\n\t\n", 10, ""},
		{"one", 10, "one"},
		{"one\ntwo\n", 10, "two"},
		{"one\r\ntwo  \r\n\n", 10, "two"},
		{"one\n0123456789abc\n", 10, "…3456789abc"},
		{"0123456789\n", 10, "0123456789"},
	} {
		if got := LastLine([]byte(tc.in), tc.max); got != tc.want {
			t.Errorf("LastLine(%q, %d) = %q, want %q", tc.in, tc.max, got, tc.want)
		}
	}
}

func TestCopyThroughPipe(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	data := strings.Repeat("spawnkit ", 20000) // several buffers
	go func() {
		w.WriteString(data)
		w.Close()
	}()
	var out bytes.Buffer
	n, err := Copy(&out, r)
	r.Close()
	if err != nil || n != int64(len(data)) || out.String() != data {
		t.Fatalf("Copy = %d, %v; %d bytes match: %v", n, err, out.Len(), out.String() == data)
	}
}

func TestWaitOrClose(t *testing.T) {
	// Closed already: giveUp is not called, even with a zero delay.
	done := make(chan struct{})
	close(done)
	WaitOrClose(done, 0, func() { t.Error("giveUp called for a closed done") })

	// Closed within the delay: giveUp is not called.
	done = make(chan struct{})
	time.AfterFunc(10*time.Millisecond, func() { close(done) })
	WaitOrClose(done, time.Hour, func() { t.Error("giveUp called before the delay") })

	// Still open after the delay: giveUp is what closes it.
	done = make(chan struct{})
	start := time.Now()
	called := 0
	WaitOrClose(done, 50*time.Millisecond, func() { called++; close(done) })
	if called != 1 || time.Since(start) < 50*time.Millisecond {
		t.Errorf("giveUp called %d times after %v, want once after 50ms", called, time.Since(start))
	}

	// A negative delay never gives up.
	done = make(chan struct{})
	time.AfterFunc(100*time.Millisecond, func() { close(done) })
	WaitOrClose(done, -1, func() { t.Error("giveUp called with a negative delay") })
}

func TestZeros(t *testing.T) {
	b := []byte("dirty buffer")
	n, err := Zeros{}.Read(b)
	if n != len(b) || err != nil || !bytes.Equal(b, make([]byte, len(b))) {
		t.Fatalf("Read = %d, %v, %q; want %d, nil and zeros", n, err, b, len(b))
	}
	var out bytes.Buffer
	if n, err := Copy(&out, io.LimitReader(Zeros{}, 100<<10)); n != 100<<10 || err != nil || !bytes.Equal(out.Bytes(), make([]byte, 100<<10)) {
		t.Fatalf("Copy of 100 KiB of Zeros = %d, %v", n, err)
	}
}
