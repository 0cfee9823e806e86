package checker

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// ednToJSON translates one line of Jepsen's history.edn (an op map in
// EDN, Clojure's data notation) to JSON, so that it is read as Jepsen's
// op maps rendered as JSON are. Map keys that are keywords lose their
// colon (:type becomes "type"); keyword values keep it (":invoke"), which
// the reader accepts; tags (#jepsen.history.Op{...}, #inst "...") are
// dropped for the value they tag; sets become arrays.
func ednToJSON(line []byte) ([]byte, error) {
	p := ednParser{s: line}
	v, err := p.value()
	if err != nil {
		return nil, err
	}
	p.space()
	if p.i < len(p.s) {
		return nil, fmt.Errorf("bad EDN at byte %d: trailing data after the value", p.i)
	}
	return json.Marshal(v)
}

type ednParser struct {
	s []byte
	i int
}

// ednDepthMax bounds nesting, so that a hostile line cannot exhaust the
// stack.
const ednDepthMax = 1000

func (p *ednParser) fail(what string) error {
	return fmt.Errorf("bad EDN at byte %d: %s", p.i, what)
}

// space skips whitespace (commas included) and comments.
func (p *ednParser) space() {
	for p.i < len(p.s) {
		switch c := p.s[p.i]; {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ',':
			p.i++
		case c == ';':
			for p.i < len(p.s) && p.s[p.i] != '\n' {
				p.i++
			}
		default:
			return
		}
	}
}

func (p *ednParser) value() (any, error) { return p.nested(0) }

func (p *ednParser) nested(depth int) (any, error) {
	if depth > ednDepthMax {
		return nil, p.fail("nested too deep")
	}
	p.space()
	if p.i >= len(p.s) {
		return nil, p.fail("unexpected end of line")
	}
	switch c := p.s[p.i]; c {
	case '{':
		p.i++
		return p.mapBody(depth)
	case '[', '(':
		p.i++
		return p.seqBody(depth, map[byte]byte{'[': ']', '(': ')'}[c])
	case '"':
		return p.str()
	case '#':
		p.i++
		if p.i < len(p.s) && p.s[p.i] == '{' {
			p.i++
			return p.seqBody(depth, '}')
		}
		if p.i < len(p.s) && p.s[p.i] == '_' {
			p.i++
			if _, err := p.nested(depth + 1); err != nil {
				return nil, err
			}
			return p.nested(depth)
		}
		if tag := p.token(); tag == "" {
			return nil, p.fail("a # that starts no tag, set or discard")
		}
		return p.nested(depth + 1)
	case '}', ']', ')':
		return nil, p.fail(fmt.Sprintf("unexpected %q", c))
	case '\\':
		p.i++
		return p.token(), nil
	}
	tok := p.token()
	if tok == "" {
		r, _ := utf8.DecodeRune(p.s[p.i:])
		return nil, p.fail(fmt.Sprintf("unexpected %q", r))
	}
	switch tok {
	case "nil":
		return nil, nil
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	if n, ok := ednNumber(tok); ok {
		return n, nil
	}
	return tok, nil // a keyword (with its colon) or a symbol
}

// token reads a keyword, symbol or number: everything up to a delimiter.
func (p *ednParser) token() string {
	start := p.i
	for p.i < len(p.s) && !strings.ContainsRune(" \t\n\r,;{}[]()\"", rune(p.s[p.i])) {
		p.i++
	}
	return string(p.s[start:p.i])
}

// ednNumber reads an integer (with an optional N, as a big integer is
// written) or a float, as JSON's text of it.
func ednNumber(tok string) (json.Number, bool) {
	t := strings.TrimPrefix(tok, "+")
	if t == "" || !strings.ContainsRune("-0123456789", rune(t[0])) {
		return "", false
	}
	if s := strings.TrimSuffix(t, "N"); s != "" {
		if _, err := strconv.ParseInt(s, 10, 64); err == nil {
			return json.Number(s), true
		}
	}
	if f, err := strconv.ParseFloat(strings.TrimSuffix(t, "M"), 64); err == nil {
		return json.Number(strconv.FormatFloat(f, 'g', -1, 64)), true
	}
	return "", false
}

func (p *ednParser) mapBody(depth int) (any, error) {
	m := map[string]any{}
	for {
		p.space()
		if p.i < len(p.s) && p.s[p.i] == '}' {
			p.i++
			return m, nil
		}
		k, err := p.nested(depth + 1)
		if err != nil {
			return nil, err
		}
		v, err := p.nested(depth + 1)
		if err != nil {
			return nil, err
		}
		var key string
		switch k := k.(type) {
		case string:
			key = strings.TrimPrefix(k, ":")
		default:
			b, _ := json.Marshal(k)
			key = string(b)
		}
		m[key] = v
	}
}

func (p *ednParser) seqBody(depth int, end byte) (any, error) {
	seq := []any{}
	for {
		p.space()
		if p.i < len(p.s) && p.s[p.i] == end {
			p.i++
			return seq, nil
		}
		v, err := p.nested(depth + 1)
		if err != nil {
			return nil, err
		}
		seq = append(seq, v)
	}
}

func (p *ednParser) str() (any, error) {
	var b strings.Builder
	p.i++ // the opening quote
	for p.i < len(p.s) {
		c := p.s[p.i]
		p.i++
		switch c {
		case '"':
			return b.String(), nil
		case '\\':
			if p.i >= len(p.s) {
				return nil, errors.New("bad EDN: unterminated string")
			}
			e := p.s[p.i]
			p.i++
			switch e {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			case 'r':
				b.WriteByte('\r')
			case 'u':
				if p.i+4 > len(p.s) {
					return nil, p.fail("short \\u escape")
				}
				r, err := strconv.ParseUint(string(p.s[p.i:p.i+4]), 16, 32)
				if err != nil {
					return nil, p.fail("bad \\u escape")
				}
				b.WriteRune(rune(r))
				p.i += 4
			default:
				b.WriteByte(e)
			}
		default:
			b.WriteByte(c)
		}
	}
	return nil, errors.New("bad EDN: unterminated string")
}
