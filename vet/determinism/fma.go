package determinism

import (
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"strconv"

	"golang.org/x/tools/go/analysis"
)

// The Go spec lets an implementation fuse x*y + z into one multiply-add,
// which skips the rounding of the product, "possibly across statements"; an
// explicit conversion of the product rounds it and forbids that. The gc
// compiler fuses on arm64, ppc64, ppc64le, riscv64 and s390x, and not on
// amd64, so an unconverted product that meets an addition is a seed that
// runs differently on two machines.

// checkFusedBinary reports x*y + z, z + x*y, x*y - z and z - x*y.
func (c *fileChecker) checkFusedBinary(b *ast.BinaryExpr) {
	if (b.Op != token.ADD && b.Op != token.SUB) || !c.isRuntimeFloat(b) {
		return
	}
	for _, operand := range []ast.Expr{b.X, b.Y} {
		c.reportProduct(b, operand)
	}
}

// checkFusedAssign reports z += x*y and z -= x*y.
func (c *fileChecker) checkFusedAssign(s *ast.AssignStmt) {
	if (s.Tok != token.ADD_ASSIGN && s.Tok != token.SUB_ASSIGN) || len(s.Lhs) != 1 || !c.isRuntimeFloat(s.Lhs[0]) {
		return
	}
	c.reportProduct(s, s.Rhs[0])
}

func (c *fileChecker) reportProduct(sum ast.Node, operand ast.Expr) {
	if product := c.unroundedProduct(operand); product != nil {
		c.reportFixed(ruleFMA, sum, "the product "+c.text(product)+" meets an addition unrounded, and arm64, ppc64 and s390x may fuse them into one multiply-add",
			"round the product explicitly: "+c.wrapped(product), c.wrapFix(product))
		return
	}
	id, ok := stripSign(operand).(*ast.Ident)
	if !ok {
		return
	}
	v, ok := c.pass.TypesInfo.Uses[id].(*types.Var)
	if !ok {
		return
	}
	if product := c.productVars()[v]; product != nil {
		line := c.pass.Fset.Position(product.Pos()).Line
		c.reportFixed(ruleFMA, sum, fmt.Sprintf("%s holds the unrounded product %s (line %d), and arm64, ppc64 and s390x may fuse it into this addition", id.Name, c.text(product), line),
			"round the product where it is computed: "+c.wrapped(product), c.wrapFix(product))
	}
}

// unroundedProduct returns e's product when e, less parentheses and signs,
// is a float multiplication computed at run time.
func (c *fileChecker) unroundedProduct(e ast.Expr) *ast.BinaryExpr {
	b, ok := stripSign(e).(*ast.BinaryExpr)
	if !ok || b.Op != token.MUL || !c.isRuntimeFloat(b) {
		return nil
	}
	return b
}

func stripSign(e ast.Expr) ast.Expr {
	for {
		switch u := ast.Unparen(e).(type) {
		case *ast.UnaryExpr:
			if u.Op != token.SUB && u.Op != token.ADD {
				return u
			}
			e = u.X
		default:
			return u
		}
	}
}

// isRuntimeFloat: constant expressions are folded exactly at compile time.
func (c *fileChecker) isRuntimeFloat(e ast.Expr) bool {
	tv, ok := c.pass.TypesInfo.Types[e]
	if !ok || tv.Value != nil {
		return false
	}
	b, ok := tv.Type.Underlying().(*types.Basic)
	return ok && b.Info()&(types.IsFloat|types.IsComplex) != 0
}

// productVars are the local variables of the outermost function around the
// node being visited that are assigned an unrounded product, directly or
// through other such variables: the spec's "t = x*y; r = t + z".
func (c *fileChecker) productVars() map[*types.Var]*ast.BinaryExpr {
	var body *ast.BlockStmt
	for _, n := range c.stack {
		if fn, ok := n.(*ast.FuncDecl); ok {
			body = fn.Body
			break
		}
		if fn, ok := n.(*ast.FuncLit); ok {
			body = fn.Body
			break
		}
	}
	if body == nil {
		return nil
	}
	if vars, ok := c.products[body]; ok {
		return vars
	}
	type binding struct {
		v   *types.Var
		rhs ast.Expr
	}
	var bindings []binding
	bind := func(lhs []ast.Expr, rhs []ast.Expr) {
		if len(lhs) != len(rhs) {
			return
		}
		for i, l := range lhs {
			id, ok := l.(*ast.Ident)
			if !ok {
				continue
			}
			if v, ok := c.objectOf(id).(*types.Var); ok && v.Parent() != c.pass.Pkg.Scope() {
				bindings = append(bindings, binding{v, rhs[i]})
			}
		}
	}
	ast.Inspect(body, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.AssignStmt:
			if n.Tok == token.DEFINE || n.Tok == token.ASSIGN {
				bind(n.Lhs, n.Rhs)
			}
		case *ast.ValueSpec:
			names := make([]ast.Expr, len(n.Names))
			for i, name := range n.Names {
				names[i] = name
			}
			bind(names, n.Values)
		}
		return true
	})
	vars := map[*types.Var]*ast.BinaryExpr{}
	for changed := true; changed; {
		changed = false
		for _, b := range bindings {
			if vars[b.v] != nil {
				continue
			}
			product := c.unroundedProduct(b.rhs)
			if id, ok := ast.Unparen(b.rhs).(*ast.Ident); ok && product == nil {
				if v, ok := c.pass.TypesInfo.Uses[id].(*types.Var); ok {
					product = vars[v]
				}
			}
			if product != nil {
				vars[b.v] = product
				changed = true
			}
		}
	}
	if c.products == nil {
		c.products = map[*ast.BlockStmt]map[*types.Var]*ast.BinaryExpr{}
	}
	c.products[body] = vars
	return vars
}

func (c *fileChecker) text(e ast.Expr) string {
	return types.ExprString(e)
}

// conversionName is how this file spells the type of e, or "" when it
// cannot (a type from a package the file does not import by name).
func (c *fileChecker) conversionName(e ast.Expr) string {
	t := types.Unalias(c.pass.TypesInfo.TypeOf(e))
	named, ok := t.(*types.Named)
	if !ok {
		return t.String()
	}
	obj := named.Obj()
	if obj.Pkg() == nil || obj.Pkg() == c.pass.Pkg {
		return obj.Name()
	}
	for _, spec := range c.file.Imports {
		path, _ := strconv.Unquote(spec.Path.Value)
		if path != obj.Pkg().Path() {
			continue
		}
		switch {
		case spec.Name == nil:
			return obj.Pkg().Name() + "." + obj.Name()
		case spec.Name.Name != "_" && spec.Name.Name != ".":
			return spec.Name.Name + "." + obj.Name()
		case spec.Name.Name == ".":
			return obj.Name()
		}
	}
	return ""
}

func (c *fileChecker) wrapped(product *ast.BinaryExpr) string {
	name := c.conversionName(product)
	if name == "" {
		name = "T"
	}
	return name + "(" + c.text(product) + ")"
}

func (c *fileChecker) wrapFix(product *ast.BinaryExpr) []analysis.SuggestedFix {
	name := c.conversionName(product)
	if name == "" {
		return nil
	}
	return []analysis.SuggestedFix{{
		Message: "round the product with an explicit conversion",
		TextEdits: []analysis.TextEdit{
			{Pos: product.Pos(), End: product.Pos(), NewText: []byte(name + "(")},
			{Pos: product.End(), End: product.End(), NewText: []byte(")")},
		},
	}}
}
