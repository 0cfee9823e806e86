package determinism

import (
	"go/ast"
	"go/token"
	"slices"
	"strings"

	"golang.org/x/tools/go/analysis"
)

const annotationPrefix = "//detsim:"

// annotation is a reviewed exception: "//detsim:RULE REASON" on the line of
// a report or on the line before it accepts that rule's reports there.
type annotation struct {
	pos    token.Pos
	rule   rule
	reason string
	used   bool
}

// annotations are one file's, keyed by the line they stand on.
type annotations struct {
	byLine map[int][]*annotation
	all    []*annotation
}

func readAnnotations(pass *analysis.Pass, file *ast.File) *annotations {
	notes := &annotations{byLine: map[int][]*annotation{}}
	for _, group := range file.Comments {
		for _, comment := range group.List {
			text, ok := strings.CutPrefix(comment.Text, annotationPrefix)
			if !ok {
				continue
			}
			name, reason, _ := strings.Cut(text, " ")
			// A further "//" starts a remark of its own.
			reason, _, _ = strings.Cut(reason, "//")
			reason = strings.TrimSpace(reason)
			r := rule(name)
			switch {
			case !slices.Contains(rules, r):
				pass.Report(analysis.Diagnostic{Pos: comment.Pos(), End: comment.End(), Category: "annotation",
					Message: "annotation: //detsim:" + name + " names no rule; the rules are " + ruleList()})
				continue
			case reason == "":
				pass.Report(analysis.Diagnostic{Pos: comment.Pos(), End: comment.End(), Category: "annotation",
					Message: "annotation: //detsim:" + name + " needs a reason: why can this not reach behaviour?"})
				continue
			}
			a := &annotation{pos: comment.Pos(), rule: r, reason: reason}
			line := pass.Fset.Position(comment.Pos()).Line
			notes.byLine[line] = append(notes.byLine[line], a)
			notes.all = append(notes.all, a)
		}
	}
	return notes
}

func ruleList() string {
	names := make([]string, len(rules))
	for i, r := range rules {
		names[i] = string(r)
	}
	return strings.Join(names, ", ")
}

// accepts says whether an annotation on pos's line or the line before
// accepts a report of rule r at pos, and marks it used.
func (notes *annotations) accepts(fset *token.FileSet, r rule, pos token.Pos) bool {
	line := fset.Position(pos).Line
	for _, l := range []int{line, line - 1} {
		for _, a := range notes.byLine[l] {
			if a.rule == r {
				a.used = true
				return true
			}
		}
	}
	return false
}

// reportUnused keeps exceptions honest: one that accepts nothing has
// outlived the code it was written for.
func (notes *annotations) reportUnused(pass *analysis.Pass) {
	for _, a := range notes.all {
		if !a.used {
			pass.Report(analysis.Diagnostic{Pos: a.pos, Category: "annotation",
				Message: "annotation: //detsim:" + string(a.rule) + " accepts no report on its line or the next; remove it"})
		}
	}
}
