package guard

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// Finding is one break of the contract.
type Finding struct {
	Pos  token.Position
	What string
}

func (f Finding) String() string { return fmt.Sprintf("%s: %s", f.Pos, f.What) }

var forbiddenCalls = map[string]map[string]string{
	"time": {
		"Now": "reads the wall clock", "Since": "reads the wall clock", "Until": "reads the wall clock",
		"Sleep": "sleeps", "After": "uses a wall-clock timer", "AfterFunc": "uses a wall-clock timer",
		"NewTimer": "uses a wall-clock timer", "NewTicker": "uses a wall-clock ticker", "Tick": "uses a wall-clock ticker",
	},
	"math": {
		"Exp": "differs in the last bit between machines; use internal/detmath",
		"Log": "differs in the last bit between machines; use internal/detmath",
		"Pow": "is built on Exp and Log; use internal/detmath",
	},
}

// allowedRandV2 are the math/rand/v2 names that neither touch the global
// source nor compute with math.Exp or math.Log (NewZipf does).
var allowedRandV2 = map[string]bool{
	"New": true, "NewPCG": true, "NewChaCha8": true,
	"Rand": true, "PCG": true, "ChaCha8": true, "Source": true,
}

// Allowed are the findings the contract tolerates, each named with its
// reason: exactly one.
var Allowed = []struct{ File, What, Why string }{
	{
		File: "nodes/etcdraft/entropy.go", What: "imports crypto/rand",
		Why: "etcd raft (unchanged) draws its election timeouts from crypto/rand.Reader; the adapter stands a reader fed by the host's seeded stream in for it, under a process-wide lock",
	},
}

func allowed(f Finding) bool {
	for _, a := range Allowed {
		if strings.HasSuffix(filepath.ToSlash(f.Pos.Filename), "/"+a.File) && strings.HasPrefix(f.What, a.What) {
			return true
		}
	}
	return false
}

// Dirs checks every non-test .go file under the given directories. It
// leaves out the Allowed findings.
func Dirs(dirs ...string) ([]Finding, error) {
	var out []Finding
	fset := token.NewFileSet()
	for _, dir := range dirs {
		err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && d.Name() == "testdata" {
				return filepath.SkipDir
			}
			if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return nil
			}
			f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
			if err != nil {
				return err
			}
			for _, fd := range File(fset, f) {
				if !allowed(fd) {
					out = append(out, fd)
				}
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].String() < out[j].String() })
	return out, nil
}

// File checks one parsed file.
func File(fset *token.FileSet, f *ast.File) []Finding {
	var out []Finding
	report := func(n ast.Node, format string, args ...any) {
		out = append(out, Finding{Pos: fset.Position(n.Pos()), What: fmt.Sprintf(format, args...)})
	}
	imports := map[string]string{} // local name -> import path
	for _, spec := range f.Imports {
		path, _ := strconv.Unquote(spec.Path.Value)
		name := path[strings.LastIndex(path, "/")+1:]
		if path == "math/rand/v2" {
			name = "rand"
		}
		if spec.Name != nil {
			name = spec.Name.Name
		}
		imports[name] = path
		switch path {
		case "math/rand":
			report(spec, "imports math/rand, whose global source is not seeded by the world; use Env.Rand or World.Stream")
		case "crypto/rand":
			report(spec, "imports crypto/rand, which cannot be replayed")
		}
	}
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.GoStmt:
			report(n, "starts a goroutine")
		case *ast.SelectStmt:
			report(n, "uses select")
		case *ast.ChanType:
			report(n, "uses a channel type")
		case *ast.SendStmt:
			report(n, "sends on a channel")
		case *ast.UnaryExpr:
			if n.Op == token.ARROW {
				report(n, "receives from a channel")
			}
		case *ast.SelectorExpr:
			pkg, ok := n.X.(*ast.Ident)
			if !ok {
				return true
			}
			path, imported := imports[pkg.Name]
			if !imported {
				return true
			}
			if why, bad := forbiddenCalls[path][n.Sel.Name]; bad {
				report(n, "%s.%s %s", path, n.Sel.Name, why)
			}
			if path == "math/rand/v2" && !allowedRandV2[n.Sel.Name] {
				report(n, "rand.%s uses the global random source; use Env.Rand or World.Stream", n.Sel.Name)
			}
		}
		return true
	})
	return out
}
