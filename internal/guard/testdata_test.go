package guard

import (
	"go/parser"
	"go/token"
	"path/filepath"
)

func parseDir(dir string) ([]Finding, error) {
	fset := token.NewFileSet()
	files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
	var out []Finding
	for _, path := range files {
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return nil, err
		}
		out = append(out, File(fset, f)...)
	}
	return out, nil
}
