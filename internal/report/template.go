package report

import (
	_ "embed"
	"html/template"
)

//go:embed page.html.tmpl
var pageSource string

// pageTemplate is the page. It takes a *view; html/template escapes every
// string in it for the context it lands in.
var pageTemplate = template.Must(template.New("page").Parse(pageSource))
