package checker

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// ednToJSON translates one line of Jepsen's history.edn (an op map in
// EDN, Clojure's data notation) to JSON, so that it is read as Jepsen's
// op maps rendered as JSON are. Map keys that are keywords lose their
// colon (:type becomes "type"); keyword values keep it (":invoke"), which
// the reader accepts; tags (#jepsen.history.Op{...}, #inst "...") are
// dropped for the value they tag; sets become arrays. It writes JSON as it
// reads, building nothing in between.
func ednToJSON(line []byte) ([]byte, error) {
	p := ednParser{s: line, out: make([]byte, 0, len(line)+len(line)/4)}
	if err := p.value(0); err != nil {
		return nil, err
	}
	p.space()
	if p.i < len(p.s) {
		return nil, p.fail("trailing data after the value")
	}
	return p.out, nil
}

type ednParser struct {
	s   []byte
	i   int
	out []byte
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

// value translates one value.
func (p *ednParser) value(depth int) error {
	if depth > ednDepthMax {
		return p.fail("nested too deep")
	}
	p.space()
	if p.i >= len(p.s) {
		return p.fail("unexpected end of line")
	}
	switch c := p.s[p.i]; c {
	case '{':
		p.i++
		return p.mapBody(depth)
	case '[':
		p.i++
		return p.seqBody(depth, ']')
	case '(':
		p.i++
		return p.seqBody(depth, ')')
	case '"':
		s, err := p.str()
		if err != nil {
			return err
		}
		p.out = appendJSONString(p.out, s)
		return nil
	case '#':
		p.i++
		switch {
		case p.i < len(p.s) && p.s[p.i] == '{':
			p.i++
			return p.seqBody(depth, '}')
		case p.i < len(p.s) && p.s[p.i] == '_':
			p.i++
			mark := len(p.out)
			if err := p.value(depth + 1); err != nil {
				return err
			}
			p.out = p.out[:mark]
			return p.value(depth)
		}
		if tag := p.token(); tag == "" {
			return p.fail("a # that starts no tag, set or discard")
		}
		return p.value(depth + 1)
	case '}', ']', ')':
		return p.fail(fmt.Sprintf("unexpected %q", c))
	case '\\':
		p.i++
		p.out = appendJSONString(p.out, p.token())
		return nil
	}
	tok := p.token()
	if tok == "" {
		r, _ := utf8.DecodeRune(p.s[p.i:])
		return p.fail(fmt.Sprintf("unexpected %q", r))
	}
	switch tok {
	case "nil":
		p.out = append(p.out, "null"...)
	case "true", "false":
		p.out = append(p.out, tok...)
	default:
		if n, ok := ednNumber(tok); ok {
			p.out = append(p.out, n...)
		} else {
			p.out = appendJSONString(p.out, tok) // a keyword (with its colon) or a symbol
		}
	}
	return nil
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
func ednNumber(tok string) (string, bool) {
	t := strings.TrimPrefix(tok, "+")
	if t == "" || !strings.ContainsRune("-0123456789", rune(t[0])) {
		return "", false
	}
	if n, err := strconv.ParseInt(strings.TrimSuffix(t, "N"), 10, 64); err == nil {
		return strconv.FormatInt(n, 10), true
	}
	if f, err := strconv.ParseFloat(strings.TrimSuffix(t, "M"), 64); err == nil && !math.IsInf(f, 0) && !math.IsNaN(f) {
		return strconv.FormatFloat(f, 'g', -1, 64), true
	}
	return "", false
}

func (p *ednParser) mapBody(depth int) error {
	p.out = append(p.out, '{')
	for n := 0; ; n++ {
		p.space()
		if p.i < len(p.s) && p.s[p.i] == '}' {
			p.i++
			p.out = append(p.out, '}')
			return nil
		}
		if n > 0 {
			p.out = append(p.out, ',')
		}
		// A key is a JSON string: a keyword's name, a string, or the JSON
		// text of anything else.
		mark := len(p.out)
		if err := p.value(depth + 1); err != nil {
			return err
		}
		key := string(p.out[mark:])
		p.out = p.out[:mark]
		switch {
		case strings.HasPrefix(key, `":`):
			p.out = append(p.out, '"')
			p.out = append(p.out, key[2:]...)
		case strings.HasPrefix(key, `"`):
			p.out = append(p.out, key...)
		default:
			p.out = appendJSONString(p.out, key)
		}
		p.out = append(p.out, ':')
		if err := p.value(depth + 1); err != nil {
			return err
		}
	}
}

func (p *ednParser) seqBody(depth int, end byte) error {
	p.out = append(p.out, '[')
	for n := 0; ; n++ {
		p.space()
		if p.i < len(p.s) && p.s[p.i] == end {
			p.i++
			p.out = append(p.out, ']')
			return nil
		}
		if n > 0 {
			p.out = append(p.out, ',')
		}
		if err := p.value(depth + 1); err != nil {
			return err
		}
	}
}

func (p *ednParser) str() (string, error) {
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
				return "", errors.New("bad EDN: unterminated string")
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
					return "", p.fail("short \\u escape")
				}
				r, err := strconv.ParseUint(string(p.s[p.i:p.i+4]), 16, 32)
				if err != nil {
					return "", p.fail("bad \\u escape")
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
	return "", errors.New("bad EDN: unterminated string")
}
