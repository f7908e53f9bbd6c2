//go:build unix

package ipc

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

// benchPair returns two connected Channels for benchmarks.
func benchPair(b *testing.B) (a, c *Channel) {
	a, f, err := Pair()
	if err != nil {
		b.Fatal(err)
	}
	c, err = New(f, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		a.Close()
		c.Close()
	})
	return a, c
}

// BenchmarkRoundTripSmall: send a small object, an echo goroutine sends
// it back raw, receive it.
func BenchmarkRoundTripSmall(b *testing.B) {
	a, c := benchPair(b)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			m, err := c.Recv()
			if err != nil {
				return
			}
			if err := c.Send(m); err != nil {
				return
			}
		}
	}()
	type msg struct {
		Cmd string `json:"cmd"`
		N   int    `json:"n"`
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if err := a.Send(msg{Cmd: "ping", N: i}); err != nil {
			b.Fatal(err)
		}
		if _, err := a.Recv(); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	a.Close()
	<-done
}

func benchThroughput(b *testing.B, payload Message) { benchThroughputRecv(b, payload, false) }

// benchThroughputRecv is benchThroughput with the receiver on AppendRecv
// into one reused message when reuse is set.
func benchThroughputRecv(b *testing.B, payload Message, reuse bool) {
	a, c := benchPair(b)
	done := make(chan int)
	go func() {
		n := 0
		var m Message
		for {
			var err error
			if reuse {
				m, err = c.AppendRecv(m[:0])
			} else {
				m, err = c.Recv()
			}
			if err != nil {
				done <- n
				return
			}
			n++
		}
	}()
	b.SetBytes(int64(len(payload) + 1))
	b.ReportAllocs()
	b.ResetTimer()
	sent := 0
	for b.Loop() {
		if err := a.Send(payload); err != nil {
			b.Fatal(err)
		}
		sent++
	}
	a.Close()
	if got := <-done; got != sent {
		b.Fatalf("received %d of %d messages", got, sent)
	}
}

// BenchmarkThroughput64KiB: one-way raw 64 KiB messages (a JSON string).
func BenchmarkThroughput64KiB(b *testing.B) {
	benchThroughput(b, Message(`"`+strings.Repeat("x", 64<<10-2)+`"`))
}

// BenchmarkThroughput64KiBAppendRecv is BenchmarkThroughput64KiB with the
// receiver on AppendRecv: no allocation (nor the garbage collection it
// brings) per message.
func BenchmarkThroughput64KiBAppendRecv(b *testing.B) {
	benchThroughputRecv(b, Message(`"`+strings.Repeat("x", 64<<10-2)+`"`), true)
}

// BenchmarkThroughput32KiBAppendRecv: one-way raw messages of rawLimit
// bytes, the largest that Send copies next to their newline, the receiver
// on AppendRecv.
func BenchmarkThroughput32KiBAppendRecv(b *testing.B) {
	benchThroughputRecv(b, Message(`"`+strings.Repeat("x", rawLimit-2)+`"`), true)
}

// BenchmarkThroughputSizesAppendRecv: one-way raw messages on either side
// of the size above which the frame reader sizes its reads by the last
// message (hintAbove), the receiver on AppendRecv.
func BenchmarkThroughputSizesAppendRecv(b *testing.B) {
	for _, size := range []int{8 << 10, 17 << 10, 24 << 10, 40 << 10, 100 << 10} {
		b.Run(fmt.Sprintf("size=%dKiB", size>>10), func(b *testing.B) {
			benchThroughputRecv(b, Message(`"`+strings.Repeat("x", size-2)+`"`), true)
		})
	}
}

// BenchmarkThroughputSmall: one-way raw small objects.
func BenchmarkThroughputSmall(b *testing.B) {
	benchThroughput(b, Message(`{"cmd":"tick","n":12345,"ok":true}`))
}

// BenchmarkSendEncodeSmall: one-way small Go values encoded by Send.
func BenchmarkSendEncodeSmall(b *testing.B) {
	a, c := benchPair(b)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			if _, err := c.Recv(); err != nil {
				return
			}
		}
	}()
	v := struct {
		Cmd string `json:"cmd"`
		N   int    `json:"n"`
		OK  bool   `json:"ok"`
	}{"tick", 12345, true}
	b.ReportAllocs()
	for b.Loop() {
		if err := a.Send(v); err != nil {
			b.Fatal(err)
		}
	}
	a.Close()
	<-done
}

// BenchmarkValidate64KiB measures the JSON syntax check alone.
func BenchmarkValidate64KiB(b *testing.B) {
	line := []byte(`{"data":"` + strings.Repeat("abcdefg\\\"", 64<<10/9) + `","n":[1,2,3.5e10]}`)
	var v validator
	b.SetBytes(int64(len(line)))
	for b.Loop() {
		if at, msg := v.check(line); at >= 0 {
			b.Fatal(msg)
		}
	}
}

// BenchmarkValidateText64KiB: the check on a 64 KiB string of text lines,
// two escapes in each 60 bytes.
func BenchmarkValidateText64KiB(b *testing.B) {
	benchValidate(b, []byte(`{"text":"`+strings.Repeat(`Lorem ipsum dolor sit amet, \"consectetur\" adipiscing elit\n`, 64<<10/64)+`"}`))
}

// BenchmarkValidateSmall: the check on a small object (short strings).
func BenchmarkValidateSmall(b *testing.B) {
	benchValidate(b, []byte(`{"cmd":"tick","n":12345,"ok":true,"name":"worker-3"}`))
}

func benchValidate(b *testing.B, line []byte) {
	var v validator
	b.SetBytes(int64(len(line)))
	for b.Loop() {
		if at, msg := v.check(line); at >= 0 {
			b.Fatal(msg)
		}
	}
}

// BenchmarkValidatePlain64KiB: the check on a 64 KiB string without escapes.
func BenchmarkValidatePlain64KiB(b *testing.B) {
	line := []byte(`"` + strings.Repeat("x", 64<<10-2) + `"`)
	var v validator
	b.SetBytes(int64(len(line)))
	for b.Loop() {
		if at, msg := v.check(line); at >= 0 {
			b.Fatal(msg)
		}
	}
}

// BenchmarkThroughput1MiB: one-way raw 1 MiB messages, which outgrow the
// read buffer (received straight into the Message, see frame.go).
func BenchmarkThroughput1MiB(b *testing.B) {
	benchThroughput(b, Message(`"`+strings.Repeat("x", 1<<20-2)+`"`))
}

// loopReader serves an endless repetition of one stream, filling every
// read completely, as a socket does when the sender is ahead.
type loopReader struct {
	data []byte
	at   int
}

func (r *loopReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		k := copy(p[n:], r.data[r.at:])
		n += k
		r.at = (r.at + k) % len(r.data)
	}
	return n, nil
}

// benchRecvPath measures what RecvFile does with bytes once they are read
// (framing, validation, copies), without the socket and the scheduler:
// the stream comes from memory through the frame reader's io.Reader
// source.
func benchRecvPath(b *testing.B, msg string) {
	stream := bytes.Repeat([]byte(msg+"\n"), max(1, (4<<20)/(len(msg)+1)))
	c := &Channel{maxSize: DefaultMaxMessageSize}
	c.fr = newFrameReader(readerSource{&loopReader{data: stream}}, c.maxSize)
	b.SetBytes(int64(len(msg) + 1))
	b.ReportAllocs()
	for b.Loop() {
		m, err := c.Recv()
		if err != nil {
			b.Fatal(err)
		}
		if len(m) != len(msg) {
			b.Fatalf("message of %d bytes, want %d", len(m), len(msg))
		}
	}
}

// BenchmarkRecvPath64KiB: RecvFile's work on 64 KiB messages.
func BenchmarkRecvPath64KiB(b *testing.B) {
	benchRecvPath(b, `{"data":"`+strings.Repeat("x", 64<<10-11)+`"}`)
}

// BenchmarkRecvPath1MiB: RecvFile's work on 1 MiB messages.
func BenchmarkRecvPath1MiB(b *testing.B) {
	benchRecvPath(b, `{"data":"`+strings.Repeat("x", 1<<20-11)+`"}`)
}

// BenchmarkRecvPathSmall: RecvFile's work on small objects.
func BenchmarkRecvPathSmall(b *testing.B) {
	benchRecvPath(b, `{"op":"ping","seq":12345,"ts":"2026-11-26T00:00:00Z"}`)
}
