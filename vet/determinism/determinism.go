package determinism

import (
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"strconv"
	"strings"

	"golang.org/x/tools/go/analysis"
)

// Analyzer reports, in the non-test files of a package, every construct that
// breaks the determinism contract. See the package documentation for the
// rules and their fixes.
var Analyzer = &analysis.Analyzer{
	Name: "determinism",
	Doc: "report what breaks detsim's determinism contract in simulated code\n\n" +
		"Wall clock, sleeps and timers; goroutines, channels and select; math/rand, " +
		"the global source of math/rand/v2 and crypto/rand; math functions that are " +
		"not exactly rounded; ranges over maps whose order can reach behaviour; and " +
		"floating-point expressions a compiler may fuse into a multiply-add.",
	Run: run,
}

// A rule is one clause of the contract; its name is what a report starts
// with and what an annotation names.
type rule string

const (
	ruleWallClock rule = "wallclock"
	ruleGoroutine rule = "goroutine"
	ruleChannel   rule = "channel"
	ruleRand      rule = "rand"
	ruleMath      rule = "math"
	ruleMapOrder  rule = "maporder"
	ruleFMA       rule = "fma"
)

var rules = []rule{ruleWallClock, ruleGoroutine, ruleChannel, ruleRand, ruleMath, ruleMapOrder, ruleFMA}

// finding is what a forbidden object breaks and how to mend it.
type finding struct {
	rule rule
	what string
	fix  string
}

const (
	fixClock       = "use the host's clock and timers: env.Now(), env.After(d)"
	fixRand        = "draw from the world's seed: env.Rand() or World.Stream"
	fixInexactMath = "use detsim's internal/detmath, or + - * / with explicit float64() conversions"
)

// forbiddenObjects are named by types.Object's full name, so a renamed or
// dot import, a method value or a function value is caught like a call.
var forbiddenObjects = map[string]finding{
	"time.Now":       {ruleWallClock, "time.Now reads the wall clock", fixClock},
	"time.Since":     {ruleWallClock, "time.Since reads the wall clock", fixClock},
	"time.Until":     {ruleWallClock, "time.Until reads the wall clock", fixClock},
	"time.Sleep":     {ruleWallClock, "time.Sleep sleeps on the wall clock", "set a timer with env.After(d) and go on in Timer"},
	"time.After":     {ruleWallClock, "time.After is a wall-clock timer", fixClock},
	"time.AfterFunc": {ruleWallClock, "time.AfterFunc is a wall-clock timer", fixClock},
	"time.NewTimer":  {ruleWallClock, "time.NewTimer is a wall-clock timer", fixClock},
	"time.NewTicker": {ruleWallClock, "time.NewTicker is a wall-clock ticker", "re-arm a timer with env.After(d) in Timer"},
	"time.Tick":      {ruleWallClock, "time.Tick is a wall-clock ticker", "re-arm a timer with env.After(d) in Timer"},

	"context.WithTimeout":       {ruleWallClock, "context.WithTimeout arms a wall-clock timer", fixClock},
	"context.WithTimeoutCause":  {ruleWallClock, "context.WithTimeoutCause arms a wall-clock timer", fixClock},
	"context.WithDeadline":      {ruleWallClock, "context.WithDeadline arms a wall-clock timer", fixClock},
	"context.WithDeadlineCause": {ruleWallClock, "context.WithDeadlineCause arms a wall-clock timer", fixClock},

	"(*sync.WaitGroup).Go": {ruleGoroutine, "WaitGroup.Go starts a goroutine", "one event runs at a time: do the work in the handler, or schedule it"},

	"math/rand/v2.NewZipf":             {ruleRand, "rand.NewZipf computes with math.Exp and math.Log, whose last bit differs between machines", "draw ranks from a table built with internal/detmath, as nodes/client does"},
	"(*math/rand/v2.Rand).ExpFloat64":  {ruleRand, "Rand.ExpFloat64 falls back to math.Exp and math.Log, whose last bit differs between machines", "compute -detmath.Log(1-r.Float64()) instead"},
	"(*math/rand/v2.Rand).NormFloat64": {ruleRand, "Rand.NormFloat64 falls back to math.Exp and math.Log, whose last bit differs between machines", "use a polar method built on internal/detmath, as net's latency models do"},

	"(reflect.Value).MapKeys":  {ruleMapOrder, "reflect.Value.MapKeys returns the keys in map order", "sort the keys before they reach behaviour"},
	"(reflect.Value).MapRange": {ruleMapOrder, "reflect.Value.MapRange iterates in map order", "sort the keys, or annotate a reviewed exception: //detsim:maporder <reason>"},
}

// forbiddenImports cannot be used deterministically at all.
var forbiddenImports = map[string]finding{
	"math/rand":    {ruleRand, "math/rand's global source is not seeded by the world", fixRand},
	"crypto/rand":  {ruleRand, "crypto/rand cannot be replayed", fixRand},
	"hash/maphash": {ruleRand, "hash/maphash seeds itself at random in every process", "hash with a fixed function such as hash/fnv"},
}

// randV2Seeded are the math/rand/v2 names that neither touch the global
// source nor compute with math.Exp or math.Log.
var randV2Seeded = map[string]bool{
	"New": true, "NewPCG": true, "NewChaCha8": true,
	"Rand": true, "PCG": true, "ChaCha8": true, "Source": true, "Zipf": true,
}

// mathExact are the functions of package math whose result IEEE 754 or
// their definition makes exact, so every machine gets the same bits. The
// others are assembly on some architectures and Go code that the compiler
// may fuse on others.
var mathExact = map[string]bool{
	"Abs": true, "Ceil": true, "Copysign": true, "Dim": true, "FMA": true, "Floor": true,
	"Float32bits": true, "Float32frombits": true, "Float64bits": true, "Float64frombits": true,
	"Frexp": true, "Ilogb": true, "Inf": true, "IsInf": true, "IsNaN": true, "Ldexp": true,
	"Logb": true, "Max": true, "Min": true, "Mod": true, "Modf": true, "NaN": true,
	"Nextafter": true, "Nextafter32": true, "Remainder": true, "Round": true,
	"RoundToEven": true, "Signbit": true, "Sqrt": true, "Trunc": true,
}

func run(pass *analysis.Pass) (any, error) {
	for _, file := range pass.Files {
		name := pass.Fset.File(file.Pos()).Name()
		// Tests drive the simulator from outside it: they may time
		// themselves, run worlds in parallel and read files.
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		c := &fileChecker{pass: pass, file: file, notes: readAnnotations(pass, file)}
		c.check()
		c.notes.reportUnused(pass)
	}
	return nil, nil
}

// fileChecker walks one file, keeping the enclosing nodes so that a rule
// can look at the function a construct sits in.
type fileChecker struct {
	pass  *analysis.Pass
	file  *ast.File
	notes *annotations
	stack []ast.Node
	// products holds, per function, the local variables assigned an
	// unrounded floating-point product.
	products map[*ast.BlockStmt]map[*types.Var]*ast.BinaryExpr
}

func (c *fileChecker) report(r rule, n ast.Node, what, fix string) {
	c.reportFixed(r, n, what, fix, nil)
}

func (c *fileChecker) reportFixed(r rule, n ast.Node, what, fix string, fixes []analysis.SuggestedFix) {
	if c.notes.accepts(c.pass.Fset, r, n.Pos()) {
		return
	}
	c.pass.Report(analysis.Diagnostic{
		Pos:            n.Pos(),
		End:            n.End(),
		Category:       string(r),
		Message:        fmt.Sprintf("%s: %s; %s", r, what, fix),
		SuggestedFixes: fixes,
	})
}

func (c *fileChecker) check() {
	for _, spec := range c.file.Imports {
		path, err := strconv.Unquote(spec.Path.Value)
		if err != nil {
			continue
		}
		if f, bad := forbiddenImports[path]; bad {
			c.report(f.rule, spec, f.what, f.fix)
		}
	}
	ast.Inspect(c.file, func(n ast.Node) bool {
		if n == nil {
			c.stack = c.stack[:len(c.stack)-1]
			return false
		}
		c.visit(n)
		c.stack = append(c.stack, n)
		return true
	})
}

func (c *fileChecker) visit(n ast.Node) {
	info := c.pass.TypesInfo
	switch n := n.(type) {
	case *ast.GoStmt:
		c.report(ruleGoroutine, n, "a go statement starts a goroutine", "one event runs at a time: do the work in the handler, or schedule it with a timer")
	case *ast.SelectStmt:
		c.report(ruleChannel, n, "select waits on channels", "react to messages and timers in Receive and Timer")
	case *ast.SendStmt:
		c.report(ruleChannel, n, "a send on a channel", "send a message with env.Send")
	case *ast.ChanType:
		c.report(ruleChannel, n, "a channel type", "keep pending work in a slice or a queue")
	case *ast.UnaryExpr:
		if n.Op == token.ARROW {
			c.report(ruleChannel, n, "a receive from a channel", "react to messages and timers in Receive and Timer")
		}
	case *ast.RangeStmt:
		c.checkRange(n)
	case *ast.CallExpr:
		c.checkMapsIterator(n)
	case *ast.BinaryExpr:
		c.checkFusedBinary(n)
	case *ast.AssignStmt:
		c.checkFusedAssign(n)
	case *ast.SelectorExpr:
		if obj, ok := info.Uses[n.Sel]; ok {
			c.checkObject(n, obj)
		}
	case *ast.Ident:
		// A selector's Sel is checked with the selector, so that the
		// report spans pkg.Name; a bare identifier is a dot import.
		if parent, ok := c.parent().(*ast.SelectorExpr); ok && parent.Sel == n {
			return
		}
		if obj, ok := info.Uses[n]; ok {
			c.checkObject(n, obj)
		}
	}
}

func (c *fileChecker) parent() ast.Node {
	if len(c.stack) == 0 {
		return nil
	}
	return c.stack[len(c.stack)-1]
}

// checkObject reports a use of a forbidden package-level object or method.
func (c *fileChecker) checkObject(n ast.Node, obj types.Object) {
	if obj.Pkg() == nil {
		return
	}
	fn, isFunc := obj.(*types.Func)
	if isFunc {
		if f, bad := forbiddenObjects[fn.FullName()]; bad {
			c.report(f.rule, n, f.what, f.fix)
			return
		}
	}
	if obj.Parent() != obj.Pkg().Scope() {
		return // a method, field or local: only the table above names those
	}
	switch obj.Pkg().Path() {
	case "math/rand/v2":
		if !randV2Seeded[obj.Name()] && obj.Name() != "NewZipf" {
			c.report(ruleRand, n, "rand."+obj.Name()+" draws from the global random source", fixRand)
		}
	case "math":
		if isFunc && !mathExact[obj.Name()] {
			what := "math." + obj.Name() + " is not exactly rounded, so its last bit can differ between machines"
			switch obj.Name() {
			case "Exp", "Log":
				c.report(ruleMath, n, what, "use detmath."+obj.Name()+" (internal/detmath)")
			default:
				c.report(ruleMath, n, what, fixInexactMath)
			}
		}
	}
}
