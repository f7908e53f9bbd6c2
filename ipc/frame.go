//go:build unix

package ipc

import (
	"bytes"
	"errors"
	"io"
	"os"
	"syscall"
)

// Framing: the stream is cut into lines at '\n'. The reader keeps one
// reusable buffer; a line is located with bytes.IndexByte and handed out as
// a slice of that buffer (valid until the next call), so no work is done per
// byte. The buffer grows only while a single line does not fit, and never
// beyond the size limit plus readSize.

const (
	readSize      = 64 << 10 // initial buffer, and headroom above the limit
	minFree       = 16 << 10 // compact or grow when less than this is free
	shrinkAbove   = 1 << 20  // drop a grown buffer once it is empty
	jumpAbove     = 16 << 20 // grow straight to the limit past this size
	maxQueuedFDs  = 64       // received descriptors waiting for their message
	maxFDsPerRead = 64       // ancillary buffer capacity, in descriptors
	hintAbove     = 16 << 10 // a line longer than this sizes the next reads
)

// source is what the frame reader reads from: recvmsg on a socket, or any
// io.Reader (tests, fuzzing).
type source interface {
	// readMsg reads data into p and ancillary data into oob. It returns
	// io.EOF at end of stream.
	readMsg(p, oob []byte) (n, oobn, flags int, err error)
}

type readerSource struct{ r io.Reader }

func (s readerSource) readMsg(p, _ []byte) (int, int, int, error) {
	for range 100 {
		n, err := s.r.Read(p)
		if n > 0 || err != nil {
			return n, 0, 0, err
		}
	}
	return 0, 0, 0, io.ErrNoProgress
}

// pendingFD is a received descriptor waiting for the message it belongs to,
// identified by the stream offset of that message's first byte.
type pendingFD struct {
	off int64
	fd  int
}

type frameReader struct {
	src  source
	max  int
	buf  []byte
	r    int   // start of unconsumed data
	w    int   // end of data
	scan int   // buf[r:scan] holds no '\n'
	base int64 // stream offset of buf[0]
	oob  []byte
	fds  []pendingFD
	err  error // sticky
	rerr error // error that came with the last bytes read, returned next
	v    validator

	// hint is the length, newline included, of the last line if it was
	// longer than hintAbove, else 0. While a line is shorter than hint,
	// a read asks for what takes it to that length and for as many
	// whole lines of that length as fit after it, no more: a stream of
	// large messages of one size is then read in whole messages (one at
	// a time when they are over a third of the buffer), the buffer is
	// empty after the last of each read, and no partial line is ever
	// moved to its front (fill). A wrong guess costs at most one more
	// read, or a compaction as without the hint. Lines that need a
	// buffer over shrinkAbove set no hint: fill drops such a buffer
	// whenever it is empty, and an empty buffer after each line would
	// mean a new one, grown again, for each.
	hint int
}

func newFrameReader(src source, max int) *frameReader {
	return &frameReader{
		src: src,
		max: max,
		oob: make([]byte, syscall.CmsgSpace(4*maxFDsPerRead)),
	}
}

// next returns the next line (without '\n'), the stream offset of its first
// byte, and the descriptor that arrived with it (or -1). The line aliases
// the reader's buffer and is valid until the next call.
func (fr *frameReader) next() (line []byte, off int64, fd int, err error) {
	for {
		if fr.err != nil {
			return nil, 0, -1, fr.err
		}
		if i := bytes.IndexByte(fr.buf[fr.scan:fr.w], '\n'); i >= 0 {
			end := fr.scan + i
			start := fr.r
			if end-start > fr.max {
				fr.err = ErrTooLarge
				continue
			}
			fr.r = end + 1
			fr.scan = fr.r
			fr.hint = 0
			if n := end + 1 - start; n > hintAbove && n+minFree <= shrinkAbove {
				fr.hint = n
			}
			off = fr.base + int64(start)
			return fr.buf[start:end], off, fr.takeFD(off), nil
		}
		fr.scan = fr.w
		if fr.w-fr.r > fr.max {
			fr.err = ErrTooLarge
			continue
		}
		if err := fr.fill(); err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) {
				return nil, 0, -1, err // not sticky: see Channel.SetReadDeadline
			}
			// A peer that dies with data of ours unread resets the
			// connection: in the middle of a message, that is the
			// same end as a close.
			if (err == io.EOF || errors.Is(err, syscall.ECONNRESET)) && fr.w > fr.r {
				err = io.ErrUnexpectedEOF
			}
			fr.err = err
		}
	}
}

// fill reads once from the source, making room first.
func (fr *frameReader) fill() error {
	if fr.rerr != nil {
		return fr.rerr
	}
	if fr.r == fr.w {
		fr.base += int64(fr.r)
		fr.r, fr.w, fr.scan = 0, 0, 0
		if len(fr.buf) > shrinkAbove || fr.buf == nil {
			fr.buf = make([]byte, readSize)
		}
	}
	if len(fr.buf)-fr.w < minFree {
		if fr.r > 0 {
			n := copy(fr.buf, fr.buf[fr.r:fr.w])
			fr.base += int64(fr.r)
			fr.scan -= fr.r
			fr.w = n
			fr.r = 0
		}
		if len(fr.buf)-fr.w < minFree {
			// buf[:w] is part of one line no longer than max. Every
			// buffer outgrown stays resident until the runtime returns
			// it, so doubling stops at jumpAbove: past it the buffer
			// takes its largest size at once, and one line never costs
			// more than about max + 2*jumpAbove bytes.
			size := 2 * len(fr.buf)
			if limit := fr.max + readSize; size > limit || size > jumpAbove {
				size = limit
			}
			if size > len(fr.buf) {
				nb := make([]byte, size)
				copy(nb, fr.buf[:fr.w])
				fr.buf = nb
			}
		}
	}
	p := fr.buf[fr.w:]
	if want := fr.hint - (fr.w - fr.r); want > 0 && want < len(p) {
		// The rest of the line in progress, and as many more lines of
		// the hint's length as fit.
		want += (len(p) - want) / fr.hint * fr.hint
		p = p[:want]
	}
	n, oobn, _, err := fr.src.readMsg(p, fr.oob)
	if oobn > 0 {
		fr.queueFDs(fr.oob[:oobn], fr.w, n)
	}
	fr.w += n
	if n > 0 {
		fr.rerr = err
		return nil
	}
	if err == nil {
		err = io.ErrNoProgress
	}
	return err
}

// queueFDs records the descriptors received with the n bytes now at
// buf[at:]. On Linux a read that returns descriptors ends with the data of
// the sendmsg that carried them, and that data starts with the message the
// descriptors belong to: so they belong to the last message that starts
// within these bytes, or, if none starts here, to the line in progress.
func (fr *frameReader) queueFDs(oob []byte, at, n int) {
	fds := parseRights(oob)
	if len(fds) == 0 {
		return
	}
	owner := fr.base + int64(fr.r)
	if n > 1 {
		if p := bytes.LastIndexByte(fr.buf[at:at+n-1], '\n'); p >= 0 {
			owner = fr.base + int64(at+p+1)
		}
	}
	for _, fd := range fds {
		if len(fr.fds) >= maxQueuedFDs {
			syscall.Close(fd)
			continue
		}
		fr.fds = append(fr.fds, pendingFD{off: owner, fd: fd})
	}
}

// takeFD returns the descriptor that belongs to the message starting at
// stream offset off, or -1, and closes descriptors whose message has
// passed or that came in excess.
func (fr *frameReader) takeFD(off int64) int {
	if len(fr.fds) == 0 {
		return -1
	}
	fd := -1
	k := 0
	for ; k < len(fr.fds) && fr.fds[k].off <= off; k++ {
		if fr.fds[k].off == off && fd < 0 {
			fd = fr.fds[k].fd
		} else {
			syscall.Close(fr.fds[k].fd)
		}
	}
	fr.fds = append(fr.fds[:0], fr.fds[k:]...)
	return fd
}

// closeFDs closes every queued descriptor.
func (fr *frameReader) closeFDs() {
	for _, p := range fr.fds {
		syscall.Close(p.fd)
	}
	fr.fds = fr.fds[:0]
}

// parseRights returns the descriptors in SCM_RIGHTS control messages.
func parseRights(oob []byte) []int {
	msgs, err := syscall.ParseSocketControlMessage(oob)
	if err != nil {
		return nil
	}
	var fds []int
	for i := range msgs {
		if msgs[i].Header.Level != syscall.SOL_SOCKET || msgs[i].Header.Type != syscall.SCM_RIGHTS {
			continue
		}
		r, err := syscall.ParseUnixRights(&msgs[i])
		if err == nil {
			fds = append(fds, r...)
		}
	}
	return fds
}
