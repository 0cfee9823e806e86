package checker

import (
	"strconv"
	"unicode/utf8"
)

// parseMopsFast parses an array of micro-operations in the plain shape
// writers produce ([["append","x",1],["r","x",[1,2]]]) in one pass without
// allocating per element, which makes large histories read several times
// faster. It gives up (ok false) on anything else: escapes in strings,
// numbers that are not plain integers, any error. decodeMops then reads
// the same bytes, slowly, and says what is wrong.
func parseMopsFast(raw []byte, withResults bool) (mops []Mop, ok bool) {
	p := fastParser{s: raw}
	if !p.byte('[') {
		return nil, false
	}
	mops = []Mop{}
	if p.peek(']') {
		p.i++
		return mops, p.end()
	}
	for {
		m, ok := p.mop(withResults)
		if !ok {
			return nil, false
		}
		mops = append(mops, m)
		if p.peek(',') {
			p.i++
			continue
		}
		if !p.byte(']') {
			return nil, false
		}
		return mops, p.end()
	}
}

type fastParser struct {
	s []byte
	i int
}

func (p *fastParser) space() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t' || p.s[p.i] == '\n' || p.s[p.i] == '\r') {
		p.i++
	}
}

// peek says whether the next byte after spaces is c, without taking it.
func (p *fastParser) peek(c byte) bool {
	p.space()
	return p.i < len(p.s) && p.s[p.i] == c
}

func (p *fastParser) byte(c byte) bool {
	if !p.peek(c) {
		return false
	}
	p.i++
	return true
}

func (p *fastParser) end() bool {
	p.space()
	return p.i == len(p.s)
}

// str reads a string without escapes, of valid UTF-8 (encoding/json
// replaces what is not).
func (p *fastParser) str() (string, bool) {
	if !p.byte('"') {
		return "", false
	}
	start := p.i
	ascii := true
	for p.i < len(p.s) {
		switch c := p.s[p.i]; {
		case c == '"':
			p.i++
			s := p.s[start : p.i-1]
			return string(s), ascii || utf8.Valid(s)
		case c == '\\' || c < 0x20:
			return "", false
		case c >= 0x80:
			ascii = false
		}
		p.i++
	}
	return "", false
}

// int reads an integer as JSON writes one: no leading zeros, no fraction.
func (p *fastParser) int() (int, bool) {
	p.space()
	start := p.i
	if p.i < len(p.s) && p.s[p.i] == '-' {
		p.i++
	}
	digits := p.i
	for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
		p.i++
	}
	if p.i == digits || p.s[digits] == '0' && p.i-digits > 1 {
		return 0, false
	}
	if p.i < len(p.s) && (p.s[p.i] == '.' || p.s[p.i] == 'e' || p.s[p.i] == 'E') {
		return 0, false
	}
	n, err := strconv.ParseInt(string(p.s[start:p.i]), 10, strconv.IntSize)
	return int(n), err == nil
}

func (p *fastParser) null() bool {
	p.space()
	if len(p.s)-p.i >= 4 && string(p.s[p.i:p.i+4]) == "null" {
		p.i += 4
		return true
	}
	return false
}

func (p *fastParser) mop(withResult bool) (Mop, bool) {
	var m Mop
	if !p.byte('[') {
		return m, false
	}
	f, ok := p.str()
	if !ok || !p.byte(',') {
		return m, false
	}
	if len(f) > 0 && f[0] == ':' {
		f = f[1:]
	}
	switch f {
	case "append":
		m.Kind = MopAppend
	case "r":
		m.Kind = MopRead
	case "w":
		m.Kind = MopWrite
	default:
		return m, false
	}
	if p.peek('"') {
		if m.Key, ok = p.str(); !ok {
			return m, false
		}
	} else {
		n, ok := p.int()
		if !ok {
			return m, false
		}
		m.Key = strconv.Itoa(n)
	}
	if !p.byte(',') {
		return m, false
	}
	switch {
	case m.Kind != MopRead:
		if m.Value, ok = p.int(); !ok {
			return m, false
		}
	case p.null():
	case p.peek('['):
		p.i++
		list := []int{}
		if !p.peek(']') {
			for {
				n, ok := p.int()
				if !ok {
					return m, false
				}
				list = append(list, n)
				if !p.byte(',') {
					break
				}
			}
		}
		if !p.byte(']') {
			return m, false
		}
		if withResult {
			m.List = list
		}
	default:
		n, ok := p.int()
		if !ok {
			return m, false
		}
		if withResult {
			m.Value, m.Found = n, true
		}
	}
	return m, p.byte(']')
}

// parseTxnLineFast reads a transaction line in the plain shape WriteTxns
// writes: each field once, in lower case, strings without escapes. It
// gives up (ok false) on anything else, and decodeStrict reads the line.
func parseTxnLineFast(text []byte) (rec jsonTxn, ok bool) {
	p := fastParser{s: text}
	if !p.byte('{') {
		return rec, false
	}
	if p.peek('}') {
		return rec, false
	}
	for {
		key, ok := p.str()
		if !ok || !p.byte(':') {
			return rec, false
		}
		switch key {
		case "process":
			if rec.Process != nil {
				return rec, false
			}
			n, ok := p.int()
			if !ok {
				return rec, false
			}
			rec.Process = &n
		case "call":
			if rec.Call != nil {
				return rec, false
			}
			n, ok := p.int()
			if !ok {
				return rec, false
			}
			call := int64(n)
			rec.Call = &call
		case "return":
			if rec.Return != nil {
				return rec, false
			}
			p.space()
			start := p.i
			if !p.null() {
				if _, ok := p.int(); !ok {
					return rec, false
				}
			}
			rec.Return = text[start:p.i]
		case "kind", "status":
			v, ok := p.str()
			if !ok {
				return rec, false
			}
			field := &rec.Kind
			if key == "status" {
				field = &rec.Status
			}
			if *field != nil {
				return rec, false
			}
			*field = &v
		case "mops":
			if rec.Mops != nil {
				return rec, false
			}
			p.space()
			start := p.i
			if !p.skipArray(0) {
				return rec, false
			}
			rec.Mops = text[start:p.i]
		default:
			return rec, false
		}
		if p.byte(',') {
			continue
		}
		if !p.byte('}') {
			return rec, false
		}
		return rec, p.end()
	}
}

// skipArray passes over an array of arrays, strings without escapes,
// integers and null: what micro-operations hold.
func (p *fastParser) skipArray(depth int) bool {
	if depth > 3 || !p.byte('[') {
		return false
	}
	if p.byte(']') {
		return true
	}
	for {
		var ok bool
		switch {
		case p.peek('['):
			ok = p.skipArray(depth + 1)
		case p.peek('"'):
			_, ok = p.str()
		case p.null():
			ok = true
		default:
			_, ok = p.int()
		}
		if !ok {
			return false
		}
		if p.byte(',') {
			continue
		}
		return p.byte(']')
	}
}
