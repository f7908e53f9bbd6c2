package doccheck

import (
	"go/doc"
	"go/doc/comment"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"
)

const module = "github.com/spawnkit/spawnkit"

// publicPackages are the packages whose documentation links to names with
// [Name] doc links.
var publicPackages = []string{"childproc", "cluster", "ipc", "pipeline", "pool", "shell"}

// docLinks returns every doc link of the documentation of the package in
// dir (the package comment and the comments of its exported declarations),
// each with where it was found.
func docLinks(t *testing.T, dir string) (links []*comment.DocLink, where []string) {
	t.Helper()
	fset := token.NewFileSet()
	for _, files := range parseDir(t, fset, dir, parser.ParseComments) {
		dp, err := doc.NewFromFiles(fset, files, module+"/"+filepath.Base(dir))
		if err != nil {
			t.Fatal(err)
		}
		// Every [Name] is taken as a link, so that one to a name that does
		// not exist is found rather than left as plain text.
		parser := dp.Parser()
		parser.LookupSym = func(recv, name string) bool { return true }
		var walk func(name string, ts []comment.Text)
		walk = func(name string, ts []comment.Text) {
			for _, t := range ts {
				switch t := t.(type) {
				case *comment.DocLink:
					links = append(links, t)
					where = append(where, name)
				case *comment.Link:
					walk(name, t.Text)
				}
			}
		}
		var blocks func(name string, bs []comment.Block)
		blocks = func(name string, bs []comment.Block) {
			for _, b := range bs {
				switch b := b.(type) {
				case *comment.Paragraph:
					walk(name, b.Text)
				case *comment.Heading:
					walk(name, b.Text)
				case *comment.List:
					for _, item := range b.Items {
						blocks(name, item.Content)
					}
				}
			}
		}
		check := func(name, text string) { blocks(name, parser.Parse(text).Content) }
		values := func(vs []*doc.Value) {
			for _, v := range vs {
				check(strings.Join(v.Names, ", "), v.Doc)
			}
		}
		check("package "+dp.Name, dp.Doc)
		for _, f := range dp.Funcs {
			check(f.Name, f.Doc)
		}
		values(dp.Consts)
		values(dp.Vars)
		for _, typ := range dp.Types {
			check(typ.Name, typ.Doc)
			for _, f := range typ.Funcs {
				check(f.Name, f.Doc)
			}
			for _, m := range typ.Methods {
				check(typ.Name+"."+m.Name, m.Doc)
			}
			values(typ.Consts)
			values(typ.Vars)
		}
	}
	return links, where
}

// TestDocLinksResolve checks that every [Name] doc link in the public
// packages' documentation names something that exists: a declaration of
// the package itself or of another package of this module (a renamed name
// leaves no dangling link), and that every public package has such links.
func TestDocLinksResolve(t *testing.T) {
	root := filepath.Join("..", "..")
	decls := map[string]map[string]bool{}
	declared := func(importPath string) map[string]bool {
		if decls[importPath] == nil {
			decls[importPath] = exported(t, filepath.Join(root, strings.TrimPrefix(importPath, module+"/")))
		}
		return decls[importPath]
	}
	for _, pkg := range publicPackages {
		links, where := docLinks(t, filepath.Join(root, pkg))
		if len(links) == 0 {
			t.Errorf("package %s has no doc links", pkg)
		}
		for i, l := range links {
			name := l.Name
			if l.Recv != "" {
				name = l.Recv + "." + l.Name
			}
			path := l.ImportPath
			switch {
			case path == "":
				path = module + "/" + pkg
			case !strings.HasPrefix(path, module+"/"):
				continue // the standard library's or a dependency's
			}
			if name == "" {
				continue // a link to the package itself
			}
			if !declared(path)[name] {
				t.Errorf("%s: the doc of %s links to [%s], which %s does not declare", pkg, where[i], name, path)
			}
		}
	}
}
