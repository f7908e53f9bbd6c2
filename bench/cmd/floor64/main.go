//go:build linux

// Command floor64 measures the bare-socket floor of the ipc-64k scenario:
// how fast 64 KiB lines go from a parent to a child over a Unix socketpair
// when nothing but the kernel stands between them. The parent writes -n
// lines of 64 KiB (one blocking write each, newline included); the child,
// the same binary started with os/exec, reads them with blocking read(2)
// into a 64 KiB buffer, counts newlines (the least any framing must do)
// and answers once it has seen them all. It prints MB/s, counted as the
// ipc-64k scenario counts them.
//
//	go run ./bench/cmd/floor64 -n 10000
//
// Linux only, like the figures it is compared with.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"time"
)

const size = 64 << 10

func main() {
	n := flag.Int("n", 10000, "lines to send")
	child := flag.Bool("child", false, "internal: be the reading child (the socket is fd 3)")
	flag.Parse()
	if *child {
		if err := read(*n); err != nil {
			log.Fatal(err)
		}
		return
	}
	mbs, err := send(*n)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("floor %.0f MB/s\n", mbs)
}

// read is the child: it counts newlines until it has seen n, then answers.
func read(n int) error {
	buf := make([]byte, size)
	for seen := 0; seen < n; {
		k, err := syscall.Read(3, buf)
		if err != nil {
			return err
		}
		if k == 0 {
			return fmt.Errorf("end of file after %d of %d lines", seen, n)
		}
		seen += bytes.Count(buf[:k], []byte{'\n'})
	}
	_, err := syscall.Write(3, []byte("done\n"))
	return err
}

// send is the parent: it starts the child, writes n lines and returns
// MB/s from the first write to the child's answer.
func send(n int) (float64, error) {
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return 0, err
	}
	theirs := os.NewFile(uintptr(fds[1]), "child end")
	cmd := exec.Command(os.Args[0], "-child", "-n", strconv.Itoa(n))
	cmd.ExtraFiles = []*os.File{theirs}
	cmd.Stderr = os.Stderr
	err = cmd.Start()
	theirs.Close()
	if err != nil {
		return 0, err
	}
	defer cmd.Wait()
	defer syscall.Close(fds[0])
	line := append(bytes.Repeat([]byte("x"), size-1), '\n')
	start := time.Now()
	for range n {
		for off := 0; off < len(line); {
			k, err := syscall.Write(fds[0], line[off:])
			if err != nil {
				return 0, err
			}
			off += k
		}
	}
	answer := make([]byte, 5)
	if _, err := syscall.Read(fds[0], answer); err != nil {
		return 0, err
	}
	d := time.Since(start)
	return float64(n) * size / d.Seconds() / 1e6, nil
}
