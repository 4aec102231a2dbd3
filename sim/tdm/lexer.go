package tdm

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

type tokKind int

const (
	tEOF tokKind = iota
	tName
	tString
	tInt
	tFloat
	tPunct
)

// token is one lexeme. For tString, text is the decoded string; for tPunct
// it is the punctuator itself.
type token struct {
	kind     tokKind
	text     string
	pos      Pos
	off, end int // byte offsets
}

// describe says what a token is, for "found ..." in error messages.
func describe(t token) string {
	switch t.kind {
	case tEOF:
		return "end of document"
	case tName:
		return fmt.Sprintf("name %q", t.text)
	case tString:
		s := t.text
		if utf8.RuneCountInString(s) > 40 {
			s = string([]rune(s)[:40]) + "..."
		}
		return fmt.Sprintf("string %q", s)
	case tInt, tFloat:
		return "number " + t.text
	}
	return "'" + t.text + "'"
}

// bailout carries the first syntax error up to Parse.
type bailout struct{ err *Error }

// lexer turns TDM text into tokens on demand. Whitespace, commas (GraphQL
// "insignificant commas") and # comments separate tokens.
type lexer struct {
	src       string
	off       int
	line, col int
}

func (l *lexer) pos() Pos { return Pos{l.line, l.col} }

func (l *lexer) fail(p Pos, format string, args ...any) {
	panic(bailout{errorf(p, "", format, args...)})
}

// adv consumes one rune.
func (l *lexer) adv() rune {
	c := l.src[l.off]
	if c < utf8.RuneSelf {
		l.off++
		if c == '\n' {
			l.line++
			l.col = 1
		} else {
			l.col++
		}
		return rune(c)
	}
	r, n := utf8.DecodeRuneInString(l.src[l.off:])
	l.off += n
	l.col++
	return r
}

func (l *lexer) peek(i int) byte {
	if l.off+i < len(l.src) {
		return l.src[l.off+i]
	}
	return 0
}

func isNameStart(c byte) bool {
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isNameChar(c byte) bool { return isNameStart(c) || isDigit(c) }

func quoteRune(r rune) string {
	switch r {
	case '“', '”', '‘', '’':
		return string(r)
	}
	return fmt.Sprintf("%q", r)
}

// next returns the next token or panics with a bailout.
func (l *lexer) next() token {
	for l.off < len(l.src) {
		c := l.src[l.off]
		switch {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == ',':
			l.adv()
			continue
		case c == '#':
			for l.off < len(l.src) && l.src[l.off] != '\n' {
				l.adv()
			}
			continue
		case c == 0xEF && strings.HasPrefix(l.src[l.off:], "\uFEFF"):
			l.adv() // byte order mark
			continue
		}
		break
	}
	t := token{pos: l.pos(), off: l.off}
	if l.off >= len(l.src) {
		t.kind, t.end = tEOF, l.off
		return t
	}
	c := l.src[l.off]
	switch {
	case strings.IndexByte("{}()[]:!@$=&", c) >= 0:
		l.adv()
		t.kind, t.text = tPunct, l.src[t.off:l.off]
	case isNameStart(c):
		for l.off < len(l.src) && isNameChar(l.src[l.off]) {
			l.off++
			l.col++
		}
		t.kind, t.text = tName, l.src[t.off:l.off]
	case c == '-' || isDigit(c):
		l.number(&t)
	case c == '"' && strings.HasPrefix(l.src[l.off:], `"""`):
		t.kind, t.text = tString, l.blockString()
	case c == '"' || c == '\'':
		t.kind, t.text = tString, l.quoted()
	default:
		r, _ := utf8.DecodeRuneInString(l.src[l.off:])
		switch r {
		case '“', '”', '‘', '’':
			l.fail(t.pos, "curly quote %c is not a string delimiter; use \" or '", r)
		case '\\':
			// The guide prints documents inside CLI strings, so copied text
			// keeps its \" escapes.
			l.fail(t.pos, "unexpected backslash outside a string; text copied from a CLI example keeps its \\\" escapes: write \" instead")
		}
		l.fail(t.pos, "unexpected character %s; expected a name, a value or one of { } ( ) [ ] : ! @ $ = &", quoteRune(r))
	}
	t.end = l.off
	return t
}

// number lexes -?digits[.digits][(e|E)[+-]digits].
func (l *lexer) number(t *token) {
	digits := func(what string) {
		if !isDigit(l.peek(0)) {
			l.fail(l.pos(), "expected a digit%s in number %q, found %s", what, l.src[t.off:l.off], l.found())
		}
		for isDigit(l.peek(0)) {
			l.adv()
		}
	}
	t.kind = tInt
	if l.peek(0) == '-' {
		l.adv()
	}
	digits("")
	if l.peek(0) == '.' {
		l.adv()
		digits(" after '.'")
		t.kind = tFloat
	}
	if c := l.peek(0); c == 'e' || c == 'E' {
		l.adv()
		if c := l.peek(0); c == '+' || c == '-' {
			l.adv()
		}
		digits(" in the exponent")
		t.kind = tFloat
	}
	if c := l.peek(0); isNameStart(c) || c == '.' {
		l.fail(l.pos(), "unexpected %s after number %q; separate it with a blank", l.found(), l.src[t.off:l.off])
	}
	t.text = l.src[t.off:l.off]
}

// found describes the rune at the current offset.
func (l *lexer) found() string {
	if l.off >= len(l.src) {
		return "end of document"
	}
	r, _ := utf8.DecodeRuneInString(l.src[l.off:])
	if r == '\n' {
		return "end of line"
	}
	return quoteRune(r)
}

// quoted lexes a '...' or "..." string with JSON-style escapes (plus \').
func (l *lexer) quoted() string {
	open := l.pos()
	q := l.src[l.off]
	l.adv()
	start := l.off
	var b *strings.Builder
	for {
		if l.off >= len(l.src) {
			l.fail(open, "unterminated string: expected closing %c before end of document", q)
		}
		c := l.src[l.off]
		switch c {
		case q:
			s := l.src[start:l.off]
			if b != nil {
				b.WriteString(s)
				s = b.String()
			}
			l.adv()
			return s
		case '\n', '\r':
			l.fail(l.pos(), "newline in string opened at %d:%d; expected closing %c before end of line", open.Line, open.Col, q)
		case '\\':
			if b == nil {
				b = &strings.Builder{}
			}
			b.WriteString(l.src[start:l.off])
			l.escape(b)
			start = l.off
		default:
			l.adv()
		}
	}
}

// escape decodes one backslash escape into b.
func (l *lexer) escape(b *strings.Builder) {
	at := l.pos()
	l.adv() // backslash
	if l.off >= len(l.src) {
		l.fail(at, "unterminated escape sequence at end of document")
	}
	c := l.src[l.off]
	switch c {
	case '"', '\'', '\\', '/':
		b.WriteByte(c)
	case 'b':
		b.WriteByte('\b')
	case 'f':
		b.WriteByte('\f')
	case 'n':
		b.WriteByte('\n')
	case 'r':
		b.WriteByte('\r')
	case 't':
		b.WriteByte('\t')
	case 'u':
		l.adv()
		r := l.hex4(at)
		if r >= 0xD800 && r < 0xDC00 && l.peek(0) == '\\' && l.peek(1) == 'u' {
			save := *l
			l.adv()
			l.adv()
			if r2 := l.hex4(at); r2 >= 0xDC00 && r2 < 0xE000 {
				r = (r-0xD800)<<10 | (r2 - 0xDC00) + 0x10000
			} else {
				*l = save
			}
		}
		b.WriteRune(r)
		return
	default:
		r, _ := utf8.DecodeRuneInString(l.src[l.off:])
		l.fail(at, "invalid escape sequence \\%c in string; expected one of \\\" \\' \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX", r)
	}
	l.adv()
}

func (l *lexer) hex4(at Pos) rune {
	var r rune
	for i := 0; i < 4; i++ {
		c := l.peek(0)
		var d byte
		switch {
		case isDigit(c):
			d = c - '0'
		case c >= 'a' && c <= 'f':
			d = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			d = c - 'A' + 10
		default:
			l.fail(at, "invalid \\u escape: expected 4 hex digits, found %s", l.found())
		}
		r = r<<4 | rune(d)
		l.adv()
	}
	return r
}

// blockString lexes a GraphQL block string """...""" and returns its value
// after the GraphQL BlockStringValue() algorithm (common indent removed,
// leading and trailing blank lines dropped). Only \""" is an escape.
func (l *lexer) blockString() string {
	open := l.pos()
	l.adv()
	l.adv()
	l.adv()
	var raw strings.Builder
	start := l.off
	for {
		if l.off >= len(l.src) {
			l.fail(open, `unterminated block string: expected closing """ before end of document`)
		}
		if strings.HasPrefix(l.src[l.off:], `\"""`) {
			raw.WriteString(l.src[start:l.off])
			raw.WriteString(`"""`)
			for i := 0; i < 4; i++ {
				l.adv()
			}
			start = l.off
			continue
		}
		if strings.HasPrefix(l.src[l.off:], `"""`) {
			raw.WriteString(l.src[start:l.off])
			l.adv()
			l.adv()
			l.adv()
			return blockStringValue(raw.String())
		}
		l.adv()
	}
}

func blockStringValue(raw string) string {
	raw = strings.ReplaceAll(raw, "\r\n", "\n")
	raw = strings.ReplaceAll(raw, "\r", "\n")
	lines := strings.Split(raw, "\n")
	indent := -1
	for _, ln := range lines[1:] {
		n := leadingWS(ln)
		if n < len(ln) && (indent < 0 || n < indent) {
			indent = n
		}
	}
	if indent > 0 {
		for i := 1; i < len(lines); i++ {
			if len(lines[i]) >= indent {
				lines[i] = lines[i][indent:]
			} else {
				lines[i] = ""
			}
		}
	}
	for len(lines) > 0 && leadingWS(lines[0]) == len(lines[0]) {
		lines = lines[1:]
	}
	for len(lines) > 0 && leadingWS(lines[len(lines)-1]) == len(lines[len(lines)-1]) {
		lines = lines[:len(lines)-1]
	}
	return strings.Join(lines, "\n")
}

func leadingWS(s string) int {
	n := 0
	for n < len(s) && (s[n] == ' ' || s[n] == '\t') {
		n++
	}
	return n
}
