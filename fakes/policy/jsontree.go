package policy

import (
	"fmt"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// A small JSON reader that keeps the byte offset of every value and object
// key, so that every MalformedPolicyDocument error can name the line and
// column it is about. encoding/json only reports offsets for syntax errors,
// not for values that are well-formed JSON but bad policy.

type jkind uint8

const (
	jNull jkind = iota
	jBool
	jNumber
	jString
	jArray
	jObject
)

func (k jkind) String() string {
	switch k {
	case jNull:
		return "null"
	case jBool:
		return "a boolean"
	case jNumber:
		return "a number"
	case jString:
		return "a string"
	case jArray:
		return "an array"
	default:
		return "an object"
	}
}

type jnode struct {
	kind    jkind
	off     int    // byte offset of the value's first character
	str     string // jString: decoded text; jNumber: the literal; jBool: "true"/"false"
	arr     []*jnode
	members []jmember
}

type jmember struct {
	key    string
	keyOff int
	val    *jnode
}

// maxDepth bounds nesting so that a hostile document cannot exhaust the
// stack; no valid policy nests deeper than 5.
const maxDepth = 64

type jsonError struct {
	off int
	msg string
}

type jparser struct {
	s     string
	i     int
	depth int
}

// parseJSON parses one JSON value that must make up the whole of s.
func parseJSON(s string) (*jnode, *jsonError) {
	p := &jparser{s: s}
	p.ws()
	n, err := p.value()
	if err != nil {
		return nil, err
	}
	p.ws()
	if p.i < len(p.s) {
		return nil, p.errf("unexpected %s after the top-level value", p.describe())
	}
	return n, nil
}

func (p *jparser) errf(format string, args ...any) *jsonError {
	return &jsonError{off: p.i, msg: "invalid JSON: " + fmt.Sprintf(format, args...)}
}

// describe names the character at the cursor for an error message.
func (p *jparser) describe() string {
	if p.i >= len(p.s) {
		return "end of input"
	}
	r, _ := utf8.DecodeRuneInString(p.s[p.i:])
	return "character " + strconv.QuoteRune(r)
}

func (p *jparser) ws() {
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *jparser) value() (*jnode, *jsonError) {
	if p.i >= len(p.s) {
		return nil, p.errf("unexpected end of input, want a value")
	}
	switch c := p.s[p.i]; {
	case c == '{':
		return p.object()
	case c == '[':
		return p.array()
	case c == '"':
		off := p.i
		s, err := p.str()
		if err != nil {
			return nil, err
		}
		return &jnode{kind: jString, off: off, str: s}, nil
	case c == '-' || (c >= '0' && c <= '9'):
		return p.number()
	case c == 't':
		return p.literal("true", jBool)
	case c == 'f':
		return p.literal("false", jBool)
	case c == 'n':
		return p.literal("null", jNull)
	default:
		return nil, p.errf("unexpected %s, want a value", p.describe())
	}
}

func (p *jparser) literal(word string, k jkind) (*jnode, *jsonError) {
	if len(p.s)-p.i < len(word) || p.s[p.i:p.i+len(word)] != word {
		return nil, p.errf("unexpected %s, want a value", p.describe())
	}
	n := &jnode{kind: k, off: p.i, str: word}
	p.i += len(word)
	return n, nil
}

func (p *jparser) enter() *jsonError {
	p.depth++
	if p.depth > maxDepth {
		return p.errf("nesting deeper than %d levels", maxDepth)
	}
	return nil
}

func (p *jparser) object() (*jnode, *jsonError) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	n := &jnode{kind: jObject, off: p.i}
	p.i++ // {
	p.ws()
	if p.i < len(p.s) && p.s[p.i] == '}' {
		p.i++
		return n, nil
	}
	for {
		p.ws()
		if p.i >= len(p.s) || p.s[p.i] != '"' {
			return nil, p.errf("unexpected %s, want an object key string", p.describe())
		}
		keyOff := p.i
		key, err := p.str()
		if err != nil {
			return nil, err
		}
		p.ws()
		if p.i >= len(p.s) || p.s[p.i] != ':' {
			return nil, p.errf("unexpected %s after object key, want ':'", p.describe())
		}
		p.i++
		p.ws()
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		n.members = append(n.members, jmember{key: key, keyOff: keyOff, val: v})
		p.ws()
		if p.i >= len(p.s) {
			return nil, p.errf("unexpected end of input in object, want ',' or '}'")
		}
		switch p.s[p.i] {
		case ',':
			p.i++
		case '}':
			p.i++
			return n, nil
		default:
			return nil, p.errf("unexpected %s in object, want ',' or '}'", p.describe())
		}
	}
}

func (p *jparser) array() (*jnode, *jsonError) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	n := &jnode{kind: jArray, off: p.i}
	p.i++ // [
	p.ws()
	if p.i < len(p.s) && p.s[p.i] == ']' {
		p.i++
		return n, nil
	}
	for {
		p.ws()
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		n.arr = append(n.arr, v)
		p.ws()
		if p.i >= len(p.s) {
			return nil, p.errf("unexpected end of input in array, want ',' or ']'")
		}
		switch p.s[p.i] {
		case ',':
			p.i++
		case ']':
			p.i++
			return n, nil
		default:
			return nil, p.errf("unexpected %s in array, want ',' or ']'", p.describe())
		}
	}
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// number accepts exactly RFC 8259's number grammar.
func (p *jparser) number() (*jnode, *jsonError) {
	start := p.i
	if p.s[p.i] == '-' {
		p.i++
	}
	switch {
	case p.i < len(p.s) && p.s[p.i] == '0':
		p.i++
	case p.i < len(p.s) && isDigit(p.s[p.i]):
		for p.i < len(p.s) && isDigit(p.s[p.i]) {
			p.i++
		}
	default:
		return nil, p.errf("unexpected %s in number, want a digit", p.describe())
	}
	if p.i < len(p.s) && p.s[p.i] == '.' {
		p.i++
		if p.i >= len(p.s) || !isDigit(p.s[p.i]) {
			return nil, p.errf("unexpected %s after decimal point, want a digit", p.describe())
		}
		for p.i < len(p.s) && isDigit(p.s[p.i]) {
			p.i++
		}
	}
	if p.i < len(p.s) && (p.s[p.i] == 'e' || p.s[p.i] == 'E') {
		p.i++
		if p.i < len(p.s) && (p.s[p.i] == '+' || p.s[p.i] == '-') {
			p.i++
		}
		if p.i >= len(p.s) || !isDigit(p.s[p.i]) {
			return nil, p.errf("unexpected %s in exponent, want a digit", p.describe())
		}
		for p.i < len(p.s) && isDigit(p.s[p.i]) {
			p.i++
		}
	}
	return &jnode{kind: jNumber, off: start, str: p.s[start:p.i]}, nil
}

// str reads a string starting at the opening quote and returns its decoded
// text. Invalid UTF-8 and unescaped control characters are errors (IAM
// rejects them; encoding/json would silently replace them).
func (p *jparser) str() (string, *jsonError) {
	p.i++ // opening quote
	start := p.i
	// Fast path: no escapes.
	for p.i < len(p.s) {
		c := p.s[p.i]
		if c == '"' {
			s := p.s[start:p.i]
			p.i++
			return s, nil
		}
		if c == '\\' {
			break
		}
		if c < 0x20 {
			return "", p.errf("control character %#02x in string", c)
		}
		if c < utf8.RuneSelf {
			p.i++
			continue
		}
		r, w := utf8.DecodeRuneInString(p.s[p.i:])
		if r == utf8.RuneError && w == 1 {
			return "", p.errf("invalid UTF-8 in string")
		}
		p.i += w
	}
	buf := []byte(p.s[start:p.i])
	for {
		if p.i >= len(p.s) {
			return "", p.errf("unexpected end of input in string")
		}
		c := p.s[p.i]
		switch {
		case c == '"':
			p.i++
			return string(buf), nil
		case c == '\\':
			if p.i+1 >= len(p.s) {
				return "", p.errf("unexpected end of input in string escape")
			}
			e := p.s[p.i+1]
			switch e {
			case '"', '\\', '/':
				buf = append(buf, e)
			case 'b':
				buf = append(buf, '\b')
			case 'f':
				buf = append(buf, '\f')
			case 'n':
				buf = append(buf, '\n')
			case 'r':
				buf = append(buf, '\r')
			case 't':
				buf = append(buf, '\t')
			case 'u':
				r, ok := p.hex4(p.i + 2)
				if !ok {
					return "", p.errf("invalid \\u escape in string")
				}
				p.i += 6
				if utf16.IsSurrogate(r) {
					r2, ok2 := rune(0), false
					if p.i+1 < len(p.s) && p.s[p.i] == '\\' && p.s[p.i+1] == 'u' {
						r2, ok2 = p.hex4(p.i + 2)
					}
					if d := utf16.DecodeRune(r, r2); ok2 && d != utf8.RuneError {
						p.i += 6
						r = d
					} else {
						r = utf8.RuneError
					}
				}
				buf = utf8.AppendRune(buf, r)
				continue
			default:
				p.i++
				return "", p.errf("invalid escape '\\%c' in string", e)
			}
			p.i += 2
		case c < 0x20:
			return "", p.errf("control character %#02x in string", c)
		case c < utf8.RuneSelf:
			buf = append(buf, c)
			p.i++
		default:
			r, w := utf8.DecodeRuneInString(p.s[p.i:])
			if r == utf8.RuneError && w == 1 {
				return "", p.errf("invalid UTF-8 in string")
			}
			buf = append(buf, p.s[p.i:p.i+w]...)
			p.i += w
		}
	}
}

func (p *jparser) hex4(at int) (rune, bool) {
	if at+4 > len(p.s) {
		return 0, false
	}
	var r rune
	for _, c := range []byte(p.s[at : at+4]) {
		r <<= 4
		switch {
		case c >= '0' && c <= '9':
			r |= rune(c - '0')
		case c >= 'a' && c <= 'f':
			r |= rune(c-'a') + 10
		case c >= 'A' && c <= 'F':
			r |= rune(c-'A') + 10
		default:
			return 0, false
		}
	}
	return r, true
}

// lineCol turns a byte offset into a 1-based line and a 1-based column
// counted in characters (runes), as editors show them.
func lineCol(s string, off int) (line, col int) {
	if off > len(s) {
		off = len(s)
	}
	line, col = 1, 1
	for _, r := range s[:off] {
		if r == '\n' {
			line++
			col = 1
		} else {
			col++
		}
	}
	return line, col
}
