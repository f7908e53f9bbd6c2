package doccheck

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// parseDir parses the non-test Go files of dir, whatever their build
// constraints (a name declared only for darwin is still declared), and
// returns them grouped by package name, each group in file name order.
func parseDir(t *testing.T, fset *token.FileSet, dir string, mode parser.Mode) map[string][]*ast.File {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	pkgs := map[string][]*ast.File{}
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(dir, name), nil, mode)
		if err != nil {
			t.Fatal(err)
		}
		pkgs[f.Name.Name] = append(pkgs[f.Name.Name], f)
	}
	if len(pkgs) == 0 {
		t.Fatalf("%s: no Go files", dir)
	}
	for _, files := range pkgs {
		sort.Slice(files, func(i, j int) bool { return fset.File(files[i].Pos()).Name() < fset.File(files[j].Pos()).Name() })
	}
	return pkgs
}
