package determinism

import (
	"go/ast"
	"go/token"
	"go/types"
)

const fixMapOrder = "range over sorted keys (slices.Sorted(maps.Keys(m))), or annotate a reviewed exception: //detsim:maporder <reason>"

// sortFuncs sort their first argument in place.
var sortFuncs = map[string]bool{
	"sort.Strings": true, "sort.Ints": true, "sort.Float64s": true,
	"sort.Slice": true, "sort.SliceStable": true, "sort.Sort": true, "sort.Stable": true,
	"slices.Sort": true, "slices.SortFunc": true, "slices.SortStableFunc": true,
}

// sortedIterators collect an iterator into a sorted slice.
var sortedIterators = map[string]bool{
	"slices.Sorted": true, "slices.SortedFunc": true, "slices.SortedStableFunc": true,
}

var mapIterators = map[string]bool{"maps.Keys": true, "maps.Values": true, "maps.All": true}

func (c *fileChecker) checkRange(rs *ast.RangeStmt) {
	switch c.pass.TypesInfo.TypeOf(rs.X).Underlying().(type) {
	case *types.Chan:
		c.report(ruleChannel, rs, "a range over a channel", "react to messages and timers in Receive and Timer")
	case *types.Map:
		if !c.orderFree(rs) {
			c.report(ruleMapOrder, rs, "a range over a map visits its entries in random order, and this loop's effects can depend on it", fixMapOrder)
		}
	}
}

// checkMapsIterator reports maps.Keys, maps.Values and maps.All unless
// their order is sorted away at once or cannot reach behaviour.
func (c *fileChecker) checkMapsIterator(call *ast.CallExpr) {
	if !mapIterators[c.calleeName(call)] {
		return
	}
	switch parent := c.parent().(type) {
	case *ast.CallExpr:
		if sortedIterators[c.calleeName(parent)] && len(parent.Args) > 0 && parent.Args[0] == call {
			return
		}
	case *ast.RangeStmt:
		if parent.X == call && c.orderFree(parent) {
			return
		}
	}
	c.report(ruleMapOrder, call, c.calleeName(call)+" yields in map order", fixMapOrder)
}

// calleeName is the full name of the function or method a call calls, or
// "" when it calls something else (a conversion, a func value, a builtin).
func (c *fileChecker) calleeName(call *ast.CallExpr) string {
	var id *ast.Ident
	switch fun := ast.Unparen(call.Fun).(type) {
	case *ast.Ident:
		id = fun
	case *ast.SelectorExpr:
		id = fun.Sel
	case *ast.IndexExpr: // an explicitly instantiated generic function
		return c.calleeName(&ast.CallExpr{Fun: fun.X})
	default:
		return ""
	}
	if fn, ok := c.pass.TypesInfo.Uses[id].(*types.Func); ok {
		return fn.FullName()
	}
	return ""
}

func (c *fileChecker) builtinName(call *ast.CallExpr) string {
	if id, ok := ast.Unparen(call.Fun).(*ast.Ident); ok {
		if b, ok := c.pass.TypesInfo.Uses[id].(*types.Builtin); ok {
			return b.Name()
		}
	}
	return ""
}

// orderFree says whether a loop's effects are provably the same in every
// visiting order. The body may only
//   - collect into slices that are sorted right after the loop
//     (the first use of the slice after the loop is a sort),
//   - add into integers (+=, -=, *=, |=, &=, ^=, ++, --): integer
//     arithmetic wraps, and is commutative and associative,
//   - set entries of a map at the range key, which differs every iteration,
//   - delete from maps, define per-iteration variables, and continue,
//
// with if statements around those, and no call but conversions and pure
// builtins anywhere. No value that the loop writes may be read in it,
// except by its own accumulation.
func (c *fileChecker) orderFree(rs *ast.RangeStmt) bool {
	var key types.Object
	if id, ok := rs.Key.(*ast.Ident); ok && id.Name != "_" {
		key = c.objectOf(id)
	}
	loop := &loopEffects{c: c, rs: rs, key: key, written: map[types.Object]bool{}}
	if !loop.stmts(rs.Body.List) {
		return false
	}
	for _, e := range loop.reads {
		if c.readsAny(e, loop.written) {
			return false
		}
	}
	return true
}

type loopEffects struct {
	c       *fileChecker
	rs      *ast.RangeStmt
	key     types.Object
	written map[types.Object]bool
	reads   []ast.Expr
}

func (l *loopEffects) stmts(list []ast.Stmt) bool {
	for _, s := range list {
		if !l.stmt(s) {
			return false
		}
	}
	return true
}

func (l *loopEffects) read(exprs ...ast.Expr) bool {
	for _, e := range exprs {
		if !l.c.callFree(e) {
			return false
		}
	}
	l.reads = append(l.reads, exprs...)
	return true
}

func (l *loopEffects) stmt(s ast.Stmt) bool {
	c := l.c
	switch s := s.(type) {
	case *ast.BlockStmt:
		return l.stmts(s.List)
	case *ast.BranchStmt:
		return s.Tok == token.CONTINUE && s.Label == nil
	case *ast.IfStmt:
		if s.Init != nil && !l.stmt(s.Init) {
			return false
		}
		if !l.read(s.Cond) || !l.stmts(s.Body.List) {
			return false
		}
		return s.Else == nil || l.stmt(s.Else)
	case *ast.IncDecStmt:
		return l.accumulate(s.X)
	case *ast.ExprStmt:
		call, ok := ast.Unparen(s.X).(*ast.CallExpr)
		return ok && c.builtinName(call) == "delete" && l.read(call.Args...)
	case *ast.AssignStmt:
		switch s.Tok {
		case token.DEFINE:
			for _, lhs := range s.Lhs {
				if id, ok := lhs.(*ast.Ident); !ok || (id.Name != "_" && c.pass.TypesInfo.Defs[id] == nil) {
					return false
				}
			}
			return l.read(s.Rhs...)
		case token.ADD_ASSIGN, token.SUB_ASSIGN, token.MUL_ASSIGN, token.OR_ASSIGN, token.AND_ASSIGN, token.XOR_ASSIGN:
			return len(s.Lhs) == 1 && l.accumulate(s.Lhs[0]) && l.read(s.Rhs...)
		case token.ASSIGN:
			if len(s.Lhs) != 1 || len(s.Rhs) != 1 {
				return false
			}
			return l.collect(s.Lhs[0], s.Rhs[0]) || l.extreme(s.Lhs[0], s.Rhs[0]) || l.setAtKey(s.Lhs[0], s.Rhs[0])
		}
	}
	return false
}

// accumulate accepts an integer that the loop adds into.
func (l *loopEffects) accumulate(target ast.Expr) bool {
	t, ok := l.c.pass.TypesInfo.TypeOf(target).Underlying().(*types.Basic)
	if !ok || t.Info()&types.IsInteger == 0 {
		return false // a float sum rounds differently in another order; a string grows in it
	}
	return l.write(target)
}

// collect accepts s = append(s, ...) where the slice is sorted next.
func (l *loopEffects) collect(lhs, rhs ast.Expr) bool {
	call, ok := ast.Unparen(rhs).(*ast.CallExpr)
	if !ok || l.c.builtinName(call) != "append" || len(call.Args) < 2 || call.Ellipsis.IsValid() {
		return false
	}
	id, ok := lhs.(*ast.Ident)
	if !ok {
		return false
	}
	first, ok := call.Args[0].(*ast.Ident)
	obj := l.c.objectOf(id)
	if !ok || obj == nil || l.c.objectOf(first) != obj || !l.c.sortedNext(l.rs, obj) {
		return false
	}
	l.written[obj] = true
	return l.read(call.Args[1:]...)
}

// extreme accepts x = max(x, ...) and x = min(x, ...) of an ordered type:
// the extreme of a set is the same in every order.
func (l *loopEffects) extreme(lhs, rhs ast.Expr) bool {
	call, ok := ast.Unparen(rhs).(*ast.CallExpr)
	if !ok || len(call.Args) < 2 {
		return false
	}
	if name := l.c.builtinName(call); name != "max" && name != "min" {
		return false
	}
	id, ok := lhs.(*ast.Ident)
	first, ok2 := call.Args[0].(*ast.Ident)
	if !ok || !ok2 || l.c.objectOf(id) == nil || l.c.objectOf(first) != l.c.objectOf(id) {
		return false
	}
	return l.write(id) && l.read(call.Args[1:]...)
}

// setAtKey accepts m2[k] = v where k is the range key.
func (l *loopEffects) setAtKey(lhs, rhs ast.Expr) bool {
	index, ok := lhs.(*ast.IndexExpr)
	if !ok || l.key == nil {
		return false
	}
	if _, isMap := l.c.pass.TypesInfo.TypeOf(index.X).Underlying().(*types.Map); !isMap {
		return false
	}
	if id, ok := index.Index.(*ast.Ident); !ok || l.c.objectOf(id) != l.key {
		return false
	}
	return l.write(index.X) && l.read(rhs)
}

// write records the variable at the root of target as written, and what
// target's own indices and pointers read.
func (l *loopEffects) write(target ast.Expr) bool {
	for {
		switch e := ast.Unparen(target).(type) {
		case *ast.Ident:
			obj := l.c.objectOf(e)
			if obj == nil {
				return false
			}
			l.written[obj] = true
			return true
		case *ast.SelectorExpr:
			target = e.X
		case *ast.IndexExpr:
			if !l.read(e.Index) {
				return false
			}
			target = e.X
		case *ast.StarExpr:
			target = e.X
		default:
			return false
		}
	}
}

func (c *fileChecker) objectOf(id *ast.Ident) types.Object {
	if obj := c.pass.TypesInfo.Uses[id]; obj != nil {
		return obj
	}
	return c.pass.TypesInfo.Defs[id]
}

// readsAny says whether e mentions one of objs.
func (c *fileChecker) readsAny(e ast.Expr, objs map[types.Object]bool) bool {
	found := false
	ast.Inspect(e, func(n ast.Node) bool {
		if id, ok := n.(*ast.Ident); ok && objs[c.pass.TypesInfo.Uses[id]] {
			found = true
		}
		return !found
	})
	return found
}

// purePackages are packages whose functions only compute from their
// arguments: calling one in another order changes nothing. (math's
// inexact functions are reported by their own rule.)
var purePackages = map[string]bool{
	"strings": true, "bytes": true, "unicode": true, "unicode/utf8": true, "unicode/utf16": true,
	"strconv": true, "math": true, "math/bits": true, "cmp": true,
}

// callFree says whether e calls nothing but conversions, pure builtins and
// the functions of purePackages, so that evaluating it in another order
// cannot change anything.
func (c *fileChecker) callFree(e ast.Expr) bool {
	free := true
	ast.Inspect(e, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.CallExpr:
			if tv, ok := c.pass.TypesInfo.Types[n.Fun]; ok && tv.IsType() {
				return true
			}
			switch c.builtinName(n) {
			case "len", "cap", "min", "max", "real", "imag", "complex":
				return true
			}
			if c.callsPureFunction(n) {
				return true
			}
			free = false
		case *ast.FuncLit:
			free = false
		case *ast.UnaryExpr:
			if n.Op == token.ARROW {
				free = false
			}
		}
		return free
	})
	return free
}

// callsPureFunction: a function of purePackages, or a method of
// time.Time or time.Duration, which are values.
func (c *fileChecker) callsPureFunction(call *ast.CallExpr) bool {
	sel, ok := ast.Unparen(call.Fun).(*ast.SelectorExpr)
	if !ok {
		return false
	}
	fn, ok := c.pass.TypesInfo.Uses[sel.Sel].(*types.Func)
	if !ok || fn.Pkg() == nil {
		return false
	}
	if recv := fn.Type().(*types.Signature).Recv(); recv != nil {
		named, ok := recv.Type().(*types.Named)
		return ok && fn.Pkg().Path() == "time" && (named.Obj().Name() == "Time" || named.Obj().Name() == "Duration")
	}
	return fn.Parent() == fn.Pkg().Scope() && purePackages[fn.Pkg().Path()]
}

// sortedNext says whether the first use of slice after the loop sorts it.
func (c *fileChecker) sortedNext(rs *ast.RangeStmt, slice types.Object) bool {
	body := c.enclosingBody()
	if body == nil {
		return false
	}
	var first *ast.Ident
	ast.Inspect(body, func(n ast.Node) bool {
		if id, ok := n.(*ast.Ident); ok && id.Pos() > rs.End() && c.pass.TypesInfo.Uses[id] == slice {
			if first == nil || id.Pos() < first.Pos() {
				first = id
			}
		}
		return true
	})
	if first == nil {
		return false
	}
	sorted := false
	ast.Inspect(body, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok || len(call.Args) == 0 || !sortFuncs[c.calleeName(call)] {
			return !sorted
		}
		arg := ast.Unparen(call.Args[0])
		// sort.Sort(sort.StringSlice(keys)) sorts keys.
		if conv, ok := arg.(*ast.CallExpr); ok && len(conv.Args) == 1 {
			if tv, ok := c.pass.TypesInfo.Types[conv.Fun]; ok && tv.IsType() {
				arg = ast.Unparen(conv.Args[0])
			}
		}
		sorted = arg == first
		return !sorted
	})
	return sorted
}

// enclosingBody is the body of the innermost function around the node
// being visited.
func (c *fileChecker) enclosingBody() *ast.BlockStmt {
	for i := len(c.stack) - 1; i >= 0; i-- {
		switch fn := c.stack[i].(type) {
		case *ast.FuncDecl:
			return fn.Body
		case *ast.FuncLit:
			return fn.Body
		}
	}
	return nil
}
