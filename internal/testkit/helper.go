package testkit

import (
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"

	"go.uber.org/goleak"
)

// HelperEnv names the helper a test binary runs instead of its tests (see
// [Main]); [HelperEnvFor] returns the "KEY=VALUE" entry that selects one.
const HelperEnv = "SPAWNKIT_TEST_HELPER"

var (
	helpers = map[string]func(args []string) int{}
	used    sync.Map // helper name -> true once a test asked for it
)

// RegisterHelper makes the test binary able to run fn as a helper program
// named name: a child started with [HelperEnvFor] in its environment runs
// fn with its arguments (os.Args[1:]) and exits with fn's result. Call it
// from init or from TestMain before [Main]. A second registration of the
// same name panics.
func RegisterHelper(name string, fn func(args []string) int) {
	if _, dup := helpers[name]; dup {
		panic("testkit: helper registered twice: " + name)
	}
	helpers[name] = fn
}

// HelperEnvFor returns the environment entry that makes the test binary
// run helper name, and counts the helper as used. It fails t if no helper
// of that name is registered.
func HelperEnvFor(t testing.TB, name string) string {
	t.Helper()
	if helpers[name] == nil {
		t.Fatalf("testkit: no helper %q is registered", name)
	}
	used.Store(name, true)
	return HelperEnv + "=" + name
}

// MaySkipHelper counts helper name as used, for a test that may skip
// before it starts it.
func MaySkipHelper(name string) { used.Store(name, true) }

// Executable returns the path of the running test binary, the program that
// runs the helpers.
func Executable(t testing.TB) string {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return exe
}

// Main is TestMain's last step. In a child started with [HelperEnvFor] it
// runs that helper and exits with its status (2, with a message, for a
// name that is not registered). Otherwise it runs the tests, then checks
// with goleak that no goroutine is left (opts are goleak's), and, when the
// whole suite ran (no -run, -skip, -list, -fuzz or -short) and passed, it
// fails the run if a registered helper was never used, so that dead
// helpers do not accumulate.
//
// In a binary built with -race it also sets GORACE's atexit_sleep_ms to
// 0, unless GORACE already sets it, for the processes the tests start:
// the race runtime otherwise sleeps a second as each of them exits (a
// helper or a Fork child is this same binary), which made childproc's
// suite at -race -count=3 exceed go test's 10 minutes under load.
func Main(m *testing.M, opts ...goleak.Option) {
	if name, ok := os.LookupEnv(HelperEnv); ok {
		fn := helpers[name]
		if fn == nil {
			fmt.Fprintf(os.Stderr, "testkit: unknown helper %q\n", name)
			os.Exit(2)
		}
		os.Exit(fn(os.Args[1:]))
	}
	if RaceEnabled {
		os.Setenv("GORACE", raceOptions(os.Getenv("GORACE")))
	}
	goleak.VerifyTestMain(unusedCheck{m}, opts...)
}

// raceOptions returns the GORACE value gorace with atexit_sleep_ms=0
// added, or gorace itself when it sets atexit_sleep_ms.
func raceOptions(gorace string) string {
	for _, f := range strings.Fields(gorace) {
		if strings.HasPrefix(f, "atexit_sleep_ms=") {
			return gorace
		}
	}
	return strings.TrimSpace(gorace + " atexit_sleep_ms=0")
}

type unusedCheck struct{ m *testing.M }

func (u unusedCheck) Run() int {
	code := u.m.Run()
	if code != 0 || testing.Short() {
		return code
	}
	for _, f := range []string{"test.run", "test.skip", "test.list", "test.fuzz"} {
		if fl := flag.Lookup(f); fl != nil && fl.Value.String() != "" {
			return code
		}
	}
	var unused []string
	for name := range helpers {
		if _, ok := used.Load(name); !ok {
			unused = append(unused, name)
		}
	}
	slices.Sort(unused)
	for _, name := range unused {
		fmt.Fprintf(os.Stderr, "testkit: helper %q is registered but no test used it\n", name)
		code = 1
	}
	return code
}
