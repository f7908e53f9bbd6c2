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

// exported returns the exported names a package declares, outside tests:
// "Name" for top-level declarations, "Type.Method" and "Type.Field".
func exported(t *testing.T, dir string) map[string]bool {
	t.Helper()
	fset := token.NewFileSet()
	names := map[string]bool{}
	for _, files := range parseDir(t, fset, dir, parser.SkipObjectResolution) {
		for _, f := range files {
			for _, decl := range f.Decls {
				switch d := decl.(type) {
				case *ast.FuncDecl:
					if d.Recv == nil {
						names[d.Name.Name] = true
						continue
					}
					typ := d.Recv.List[0].Type
					if star, ok := typ.(*ast.StarExpr); ok {
						typ = star.X
					}
					if id, ok := typ.(*ast.Ident); ok {
						names[id.Name+"."+d.Name.Name] = true
					}
				case *ast.GenDecl:
					for _, spec := range d.Specs {
						switch s := spec.(type) {
						case *ast.TypeSpec:
							names[s.Name.Name] = true
							if st, ok := s.Type.(*ast.StructType); ok {
								for _, field := range st.Fields.List {
									for _, n := range field.Names {
										names[s.Name.Name+"."+n.Name] = true
									}
								}
							}
						case *ast.ValueSpec:
							for _, n := range s.Names {
								names[n.Name] = true
							}
						}
					}
				}
			}
		}
	}
	return names
}

func readNodeMD(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "docs", "NODE.md"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestNodeMDNamesExist checks every `pkg.Name` and `pkg.Type.Member` of
// docs/NODE.md against the packages' declarations.
func TestNodeMDNamesExist(t *testing.T) {
	doc := readNodeMD(t)
	ref := regexp.MustCompile("`(childproc|cluster|ipc|pipeline|pool|shell)\\.([A-Z][A-Za-z0-9]*(?:\\.[A-Z][A-Za-z0-9]*)?)`")
	decls := map[string]map[string]bool{}
	found := 0
	for _, m := range ref.FindAllStringSubmatch(doc, -1) {
		pkg, name := m[1], m[2]
		if decls[pkg] == nil {
			decls[pkg] = exported(t, filepath.Join("..", "..", pkg))
		}
		found++
		if !decls[pkg][name] {
			t.Errorf("docs/NODE.md names %s.%s, which package %s does not declare", pkg, name, pkg)
		}
	}
	if found < 100 {
		t.Errorf("only %d references found: has the table format changed?", found)
	}
}

// nodeNames are the Node.js v20 child_process and cluster options, events,
// methods and properties docs/NODE.md must map, each as it appears there
// in backquotes (possibly inside a longer quoted name).
var nodeNames = []string{
	// functions
	"spawn(", "exec(", "execFile(", "fork(", "spawnSync", "execSync", "execFileSync",
	// options
	"cwd", "env", "argv0", "'pipe'", "'inherit'", "'ignore'", "'ipc'", "'overlapped'", "detached",
	"uid", "gid", "shell", "signal", "timeout", "killSignal", "maxBuffer", "encoding", "input",
	"serialization: 'json'", "serialization: 'advanced'", "execPath", "execArgv", "silent",
	"windowsHide", "windowsVerbatimArguments",
	// ChildProcess events
	"'spawn'", "'error'", "'exit'", "'close'", "'message'", "'disconnect'",
	// ChildProcess methods and properties
	"subprocess.pid", ".stdout", "subprocess.stdio", "subprocess.kill(", "Symbol.dispose",
	"subprocess.killed", "subprocess.exitCode", "subprocess.signalCode", "subprocess.spawnargs",
	"subprocess.spawnfile", "subprocess.connected", "subprocess.send(", "keepOpen",
	"subprocess.disconnect()", "subprocess.unref()", "subprocess.ref()", "subprocess.channel",
	// the child's side
	"process.send(", "process.on('message')", "process.on('disconnect')", "process.disconnect()",
	"process.connected", "process.channel",
	// cluster
	"cluster.isPrimary", "cluster.isMaster", "cluster.isWorker", "cluster.fork(", "cluster.disconnect(",
	"cluster.setupPrimary(", "cluster.settings", "exec", "args", "inspectPort", "SCHED_NONE", "SCHED_RR",
	"cluster.workers", "cluster.on('fork')", "cluster.on('online')", "cluster.on('listening'",
	"cluster.on('message')", "cluster.on('exit'", "cluster.on('disconnect')", "cluster.on('setup')",
	"worker.id", "worker.process", "worker.send(", "worker.kill(", "worker.disconnect()",
	"worker.isConnected()", "worker.isDead()", "worker.exitedAfterDisconnect", "cluster.worker",
	"cluster.worker.disconnect()",
}

func TestNodeMDMapsEveryNodeName(t *testing.T) {
	doc := readNodeMD(t)
	quoted := regexp.MustCompile("`[^`]+`")
	var all strings.Builder
	for _, q := range quoted.FindAllString(doc, -1) {
		all.WriteString(q)
		all.WriteByte('\n')
	}
	for _, name := range nodeNames {
		if !strings.Contains(all.String(), name) {
			t.Errorf("docs/NODE.md does not mention Node's %s", name)
		}
	}
}
