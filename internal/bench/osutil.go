package bench

import (
	"bufio"
	"errors"
	"io"
	"os"
	"strconv"
	"strings"
)

func osArgs() []string { return os.Args }

func isEOF(err error) bool { return errors.Is(err, io.EOF) }

// PeakRSS returns this process's peak resident set size in bytes (VmHWM
// in /proc/self/status), or 0 when it cannot be read.
func PeakRSS() int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err != nil {
				return 0
			}
			return kb << 10
		}
	}
	return 0
}
