package childproc_test

// osexecHelpers are the helper programs of the os/exec ports (os/exec's
// registerHelperCommand): the test binary runs one of them, instead of the
// tests, when helperEnv names it.
var osexecHelpers = map[string]func(args []string) int{}
