package doccheck

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// testDirs maps the package names the documentation uses in test names
// (pkg.TestX) to their directories, from the repository root.
var testDirs = map[string]string{
	"childproc": "childproc", "cluster": "cluster", "ipc": "ipc",
	"pipeline": "pipeline", "pool": "pool", "shell": "shell",
	"testkit": "internal/testkit", "doccheck": "internal/doccheck",
	"cmd/spawnkit": "cmd/spawnkit",
}

// testFuncs returns the names of the top-level functions declared in the
// _test.go files of dir.
func testFuncs(t *testing.T, dir string) map[string]bool {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	names := map[string]bool{}
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(dir, e.Name()), nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			if fd, ok := d.(*ast.FuncDecl); ok && fd.Recv == nil {
				names[fd.Name.Name] = true
			}
		}
	}
	return names
}

// TestDocsNameTestsThatExist checks that every test named as backing a
// promise (`pkg.TestX`, `pkg.FuzzX`, `pkg.ExampleX`, `pkg.BenchmarkX`) in the
// README and docs/ is a function of that package's tests, so that a test
// renamed or removed cannot leave a promise citing nothing. A name ending
// in * (`childproc.TestPTY*`) is a prefix: some test must start with it.
func TestDocsNameTestsThatExist(t *testing.T) {
	root := filepath.Join("..", "..")
	ref := regexp.MustCompile(`\b(childproc|cluster|ipc|pipeline|pool|shell|testkit|doccheck|cmd/spawnkit)\.((?:Test|Fuzz|Example|Benchmark)[A-Za-z0-9_]*)(\*?)`)
	docs := []string{"README.md", "cluster/README.md", "bench/README.md"}
	more, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range more {
		docs = append(docs, filepath.Join("docs", filepath.Base(m)))
	}
	funcs := map[string]map[string]bool{}
	checked := 0
	for _, doc := range docs {
		b, err := os.ReadFile(filepath.Join(root, doc))
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range ref.FindAllStringSubmatch(string(b), -1) {
			pkg, name, prefix := m[1], m[2], m[3] == "*"
			if name == "TestX" {
				continue // GUARANTEES.md's illustration of the naming
			}
			if funcs[pkg] == nil {
				funcs[pkg] = testFuncs(t, filepath.Join(root, testDirs[pkg]))
			}
			checked++
			if prefix {
				found := false
				for f := range funcs[pkg] {
					found = found || strings.HasPrefix(f, name)
				}
				if !found {
					t.Errorf("%s: no test of %s starts with %s", doc, pkg, name)
				}
				continue
			}
			if !funcs[pkg][name] {
				t.Errorf("%s names %s.%s, which %s's tests do not declare", doc, pkg, name, testDirs[pkg])
			}
		}
	}
	if checked < 100 {
		t.Errorf("only %d test names found in the docs: the pattern no longer matches them", checked)
	}
}
