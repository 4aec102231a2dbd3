package tdm

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Expr is a parsed TDM expression (spec §2.12). String returns canonical
// text that ParseExpr parses back to the same tree.
type Expr interface {
	String() string
	exprPos() Pos
}

// Lit is a literal: Value is a string, int64, float64, bool or nil. Raw is
// the literal as written for numbers, booleans and null (10L, True, NULL),
// and the decoded text for strings.
type Lit struct {
	Pos   Pos
	Value any
	Raw   string
}

// Ident is a name, written bare or with a '$' (Dollar).
type Ident struct {
	Pos    Pos
	Name   string
	Dollar bool
}

// Template is ${ X }.
type Template struct {
	Pos Pos
	X   Expr
}

// ListLit is [a, b, ...].
type ListLit struct {
	Pos   Pos
	Elems []Expr
}

// Member is X.Name.
type Member struct {
	Pos  Pos
	X    Expr
	Name string
}

// Index is X[Index]: an index or key, or, when Index is a predicate
// (comparison, && / ||, !), a filter over a list of objects.
type Index struct {
	Pos   Pos
	X     Expr
	Index Expr
}

// Call is Fun(Args); Fun is a dotted name such as ThingsGraph.startFlow.
type Call struct {
	Pos  Pos
	Fun  Expr
	Args []Expr
}

// Unary is Op X with Op "!" or "-".
type Unary struct {
	Pos Pos
	Op  string
	X   Expr
}

// Binary is X Op Y.
type Binary struct {
	Pos  Pos
	Op   string
	X, Y Expr
}

// Cond is C ? Then : Else.
type Cond struct {
	Pos           Pos
	C, Then, Else Expr
}

// Cast is (Type) X, a Java-style cast such as ((String) x).charAt(0)
// [DOC ug:iot-tg-models-tdm-expressions]. Eval treats it as a conversion;
// Type is kept as written (the accepted names are listed in the package doc).
type Cast struct {
	Pos  Pos
	Type string
	X    Expr
}

func (e *Lit) exprPos() Pos      { return e.Pos }
func (e *Ident) exprPos() Pos    { return e.Pos }
func (e *Template) exprPos() Pos { return e.Pos }
func (e *ListLit) exprPos() Pos  { return e.Pos }
func (e *Member) exprPos() Pos   { return e.Pos }
func (e *Index) exprPos() Pos    { return e.Pos }
func (e *Call) exprPos() Pos     { return e.Pos }
func (e *Unary) exprPos() Pos    { return e.Pos }
func (e *Binary) exprPos() Pos   { return e.Pos }
func (e *Cond) exprPos() Pos     { return e.Pos }
func (e *Cast) exprPos() Pos     { return e.Pos }

// binary operator precedence, loosest first; 0 = not a binary operator.
func binPrec(op string) int {
	switch op {
	case "??":
		return 1
	case "||":
		return 2
	case "&&":
		return 3
	case "==", "!=":
		return 4
	case "<", "<=", ">", ">=":
		return 5
	case "+", "-":
		return 6
	case "*", "/", "%":
		return 7
	}
	return 0
}

// --- lexer ---

type eTokKind int

const (
	eEOF eTokKind = iota
	eIdent
	eDollarIdent
	eNumber
	eString
	eOp
)

type eTok struct {
	kind  eTokKind
	text  string // ident name, number text, decoded string, operator
	pos   Pos
	space bool // blanks precede the token
}

func describeE(t eTok) string {
	switch t.kind {
	case eEOF:
		return "end of expression"
	case eIdent:
		return fmt.Sprintf("identifier %q", t.text)
	case eDollarIdent:
		return fmt.Sprintf("identifier %q", "$"+t.text)
	case eNumber:
		return "number " + t.text
	case eString:
		return fmt.Sprintf("string %q", t.text)
	}
	return "'" + t.text + "'"
}

var eOps = []string{"${", "<=", ">=", "==", "!=", "&&", "||", "??", ".", "[", "]", "(", ")", ",", "!", "-", "+", "*", "/", "%", "<", ">", "?", ":", "}"}

func (l *lexer) exprNext() eTok {
	space := false
	for l.off < len(l.src) {
		c := l.src[l.off]
		if c == ' ' || c == '\t' || c == '\r' || c == '\n' {
			l.adv()
			space = true
			continue
		}
		break
	}
	t := eTok{pos: l.pos(), space: space}
	if l.off >= len(l.src) {
		return t
	}
	c := l.src[l.off]
	rest := l.src[l.off:]
	switch {
	case c == '$' && l.peek(1) != '{':
		l.adv()
		if !isExprIdentStart(l.src[l.off:]) {
			l.fail(t.pos, "expected an identifier or '{' after '$', found %s", l.found())
		}
		t.kind, t.text = eDollarIdent, l.exprIdent()
	case isExprIdentStart(rest):
		t.kind, t.text = eIdent, l.exprIdent()
	case isDigit(c):
		t.kind, t.text = eNumber, l.exprNumber()
	case c == '"' || c == '\'':
		t.kind, t.text = eString, l.quoted()
	default:
		for _, op := range eOps {
			if strings.HasPrefix(rest, op) {
				for range op {
					l.adv()
				}
				t.kind, t.text = eOp, op
				return t
			}
		}
		r, _ := utf8.DecodeRuneInString(rest)
		switch r {
		case '=':
			l.fail(t.pos, "unexpected '='; expected '==' to compare (assignment is not an expression)")
		case '&', '|':
			l.fail(t.pos, "unexpected %q; expected '%c%c'", r, r, r)
		case '“', '”', '‘', '’':
			l.fail(t.pos, "curly quote %c is not a string delimiter; use \" or '", r)
		}
		l.fail(t.pos, "unexpected character %s in expression", quoteRune(r))
	}
	return t
}

func isExprIdentStart(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return r == '_' || unicode.IsLetter(r)
}

func (l *lexer) exprIdent() string {
	start := l.off
	for l.off < len(l.src) {
		r, _ := utf8.DecodeRuneInString(l.src[l.off:])
		if r != '_' && !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			break
		}
		l.adv()
	}
	return l.src[start:l.off]
}

// exprNumber lexes digits[.digits][e[+-]digits][L|UL|F|D] (Java-style
// suffixes, spec §2.12 `10L`, `10UL`).
func (l *lexer) exprNumber() string {
	start := l.off
	for isDigit(l.peek(0)) {
		l.adv()
	}
	if l.peek(0) == '.' && isDigit(l.peek(1)) {
		l.adv()
		for isDigit(l.peek(0)) {
			l.adv()
		}
	}
	if c := l.peek(0); (c == 'e' || c == 'E') && (isDigit(l.peek(1)) || (l.peek(1) == '+' || l.peek(1) == '-') && isDigit(l.peek(2))) {
		l.adv()
		l.adv()
		for isDigit(l.peek(0)) {
			l.adv()
		}
	}
	switch c := l.peek(0); {
	case c == 'U' || c == 'u':
		if d := l.peek(1); d == 'L' || d == 'l' {
			l.adv()
			l.adv()
		}
	case c == 'L' || c == 'l' || c == 'F' || c == 'f' || c == 'D' || c == 'd':
		l.adv()
	}
	if l.off < len(l.src) && isExprIdentStart(l.src[l.off:]) {
		l.fail(l.pos(), "unexpected %s after number %q; separate it with a blank", l.found(), l.src[start:l.off])
	}
	return l.src[start:l.off]
}

// numberValue converts a number token to int64 or float64.
func numberValue(raw string) (any, error) {
	s := strings.TrimRight(raw, "LlUuFfDd")
	suffix := strings.ToLower(raw[len(s):])
	isFloat := strings.ContainsAny(s, ".eE") || suffix == "f" || suffix == "d"
	if !isFloat {
		if v, err := strconv.ParseInt(s, 10, 64); err == nil {
			return v, nil
		}
		if suffix == "ul" {
			if v, err := strconv.ParseUint(s, 10, 64); err == nil {
				return float64(v), nil
			}
		}
		return nil, fmt.Errorf("integer %s is out of range", raw)
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return nil, fmt.Errorf("number %s is out of range", raw)
	}
	return v, nil
}

// --- parser ---

type exprParser struct {
	lx        lexer
	tok, prev eTok
	depth     int
}

// ParseExpr parses one expression (spec §2.12): literals (10L, 10UL,
// 'text', True, null, lists), names ($a, a), paths (a.b, a/b, a[0],
// list[name == 'x']), calls of named functions (ThingsGraph.startFlow(...),
// tdm.lib.Math.max(a, b)), method calls on values ('abc'.substring(1)),
// casts ((String) x), unary ! and -, the binary operators, ?? and ?:. The
// whole expression may be wrapped in ${...}. The error is an *Error whose
// position is relative to src (line 1, column 1 is its first rune).
//
// [INF] A '/' is a path separator, not a division, when it has no blank on
// either side, the token before it is a name or a closing ']', and a name
// follows it directly: image/value and devices[x == 1]/lastEvent are
// paths, image / value, a/2 and (a)/b are divisions. Paths print with '.'.
func ParseExpr(src string) (e Expr, err error) {
	return parseExprAt(src, Pos{1, 1})
}

// parseExprAt parses src as if it started at position at of a larger text,
// so that node positions and errors name that text's lines and columns.
func parseExprAt(src string, at Pos) (e Expr, err error) {
	if at.Line < 1 || at.Col < 1 {
		at = Pos{1, 1}
	}
	p := &exprParser{lx: lexer{src: src, line: at.Line, col: at.Col}}
	defer func() {
		if r := recover(); r != nil {
			b, ok := r.(bailout)
			if !ok {
				panic(r)
			}
			e, err = nil, b.err
		}
	}()
	p.next()
	if p.tok.kind == eEOF {
		p.fail(p.tok.pos, "empty expression")
	}
	e = p.expr()
	if p.tok.kind != eEOF {
		p.unexpected("an operator or end of expression")
	}
	return e, nil
}

func (p *exprParser) next() { p.prev, p.tok = p.tok, p.lx.exprNext() }

// pathSlash reports whether the current '/' token separates path segments
// (see ParseExpr).
func (p *exprParser) pathSlash() bool {
	if !p.isOp("/") || p.tok.space {
		return false
	}
	switch {
	case p.prev.kind == eIdent || p.prev.kind == eDollarIdent:
	case p.prev.kind == eOp && p.prev.text == "]":
	default:
		return false
	}
	return p.lx.off < len(p.lx.src) && isExprIdentStart(p.lx.src[p.lx.off:])
}

func (p *exprParser) fail(pos Pos, format string, args ...any) {
	panic(bailout{errorf(pos, "", format, args...)})
}

func (p *exprParser) unexpected(what string) {
	p.fail(p.tok.pos, "expected %s, found %s", what, describeE(p.tok))
}

func (p *exprParser) isOp(op string) bool { return p.tok.kind == eOp && p.tok.text == op }

func (p *exprParser) expect(op, context string) {
	if !p.isOp(op) {
		p.unexpected("'" + op + "'" + context)
	}
	p.next()
}

func (p *exprParser) enter() {
	p.depth++
	if p.depth > maxDepth {
		p.fail(p.tok.pos, "expression nested deeper than %d levels", maxDepth)
	}
}

func (p *exprParser) expr() Expr {
	p.enter()
	defer func() { p.depth-- }()
	c := p.binary(1)
	if !p.isOp("?") {
		return c
	}
	pos := p.tok.pos
	p.next()
	then := p.expr()
	p.expect(":", " in conditional expression")
	return &Cond{Pos: pos, C: c, Then: then, Else: p.expr()}
}

func (p *exprParser) binary(min int) Expr {
	x := p.unary()
	for p.tok.kind == eOp {
		op := p.tok.text
		prec := binPrec(op)
		if prec == 0 || prec < min {
			break
		}
		pos := p.tok.pos
		p.next()
		x = &Binary{Pos: pos, Op: op, X: x, Y: p.binary(prec + 1)}
	}
	return x
}

func (p *exprParser) unary() Expr {
	if p.isOp("!") || p.isOp("-") {
		p.enter()
		defer func() { p.depth-- }()
		u := &Unary{Pos: p.tok.pos, Op: p.tok.text}
		p.next()
		u.X = p.unary()
		return u
	}
	return p.postfix(p.primary())
}

func (p *exprParser) postfix(x Expr) Expr {
	for {
		pos := p.tok.pos
		switch {
		case p.isOp(".") || p.pathSlash():
			sep := p.tok.text
			p.next()
			if p.tok.kind != eIdent {
				p.unexpected("a member name after '" + sep + "'")
			}
			x = &Member{Pos: pos, X: x, Name: p.tok.text}
			p.next()
		case p.isOp("["):
			p.next()
			idx := p.expr()
			p.expect("]", " to close '['")
			x = &Index{Pos: pos, X: x, Index: idx}
		case p.isOp("("):
			p.next()
			switch x.(type) {
			case *Ident, *Member:
			default:
				p.fail(pos, "cannot call %s: only functions (ThingsGraph.startFlow, tdm.lib.Math.max) and methods of values ('abc'.substring) can be called", x)
			}
			x = &Call{Pos: pos, Fun: x, Args: p.list(")")}
		default:
			return x
		}
	}
}

// list parses comma-separated expressions up to closer (the opener is consumed).
func (p *exprParser) list(closer string) []Expr {
	var xs []Expr
	for !p.isOp(closer) {
		xs = append(xs, p.expr())
		if p.isOp(",") {
			p.next()
			continue
		}
		if !p.isOp(closer) {
			p.unexpected("',' or '" + closer + "'")
		}
	}
	p.next()
	return xs
}

// startsOperand reports whether the current token can begin an operand,
// which after a parenthesised bare name means a cast.
func (p *exprParser) startsOperand() bool {
	switch p.tok.kind {
	case eIdent, eDollarIdent, eNumber, eString:
		return true
	}
	return p.isOp("(") || p.isOp("${")
}

func (p *exprParser) primary() Expr {
	t := p.tok
	switch t.kind {
	case eIdent:
		p.next()
		switch {
		case strings.EqualFold(t.text, "true"):
			return &Lit{Pos: t.pos, Value: true, Raw: t.text}
		case strings.EqualFold(t.text, "false"):
			return &Lit{Pos: t.pos, Value: false, Raw: t.text}
		case strings.EqualFold(t.text, "null"):
			return &Lit{Pos: t.pos, Value: nil, Raw: t.text}
		}
		return &Ident{Pos: t.pos, Name: t.text}
	case eDollarIdent:
		p.next()
		return &Ident{Pos: t.pos, Name: t.text, Dollar: true}
	case eNumber:
		p.next()
		v, err := numberValue(t.text)
		if err != nil {
			p.fail(t.pos, "%v", err)
		}
		return &Lit{Pos: t.pos, Value: v, Raw: t.text}
	case eString:
		p.next()
		return &Lit{Pos: t.pos, Value: t.text, Raw: t.text}
	case eOp:
		switch t.text {
		case "(":
			p.next()
			x := p.expr()
			p.expect(")", " to close '('")
			id, ok := x.(*Ident)
			if !ok || id.Dollar {
				return x
			}
			known := castKind(id.Name) != ""
			switch {
			case known && (p.startsOperand() || p.isOp("-") || p.isOp("!")):
				p.enter()
				defer func() { p.depth-- }()
				return &Cast{Pos: t.pos, Type: id.Name, X: p.unary()}
			case p.startsOperand():
				p.fail(id.Pos, "unknown type (%s) in a cast; expected one of %s", id.Name, castTypeList)
			}
			return x
		case "${":
			p.next()
			x := p.expr()
			p.expect("}", " to close '${'")
			return &Template{Pos: t.pos, X: x}
		case "[":
			p.enter()
			defer func() { p.depth-- }()
			p.next()
			return &ListLit{Pos: t.pos, Elems: p.list("]")}
		}
	}
	p.unexpected("an operand (name, literal, '(', '[' or '${')")
	return nil
}

// dottedName returns "a.b.c" for an identifier path, or "".
func dottedName(x Expr) string {
	switch x := x.(type) {
	case *Ident:
		return x.Name
	case *Member:
		if base := dottedName(x.X); base != "" {
			return base + "." + x.Name
		}
	}
	return ""
}

// --- printing ---

func (e *Lit) String() string {
	if s, ok := e.Value.(string); ok {
		var b strings.Builder
		writeQuoted(&b, s, '\'')
		return b.String()
	}
	return e.Raw
}

func (e *Ident) String() string {
	if e.Dollar {
		return "$" + e.Name
	}
	return e.Name
}

func (e *Template) String() string { return "${" + e.X.String() + "}" }

func (e *ListLit) String() string { return "[" + joinExprs(e.Elems) + "]" }

func joinExprs(xs []Expr) string {
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = x.String()
	}
	return strings.Join(parts, ", ")
}

// operand prints x as the base of a postfix operator or unary operand.
func operand(x Expr, allowUnary bool) string {
	switch x.(type) {
	case *Binary, *Cond:
		return "(" + x.String() + ")"
	case *Unary, *Cast:
		if !allowUnary {
			return "(" + x.String() + ")"
		}
	}
	return x.String()
}

func (e *Member) String() string { return operand(e.X, false) + "." + e.Name }

func (e *Cast) String() string {
	switch e.X.(type) {
	case *Binary, *Cond, *ListLit:
		return "(" + e.Type + ") (" + e.X.String() + ")"
	}
	return "(" + e.Type + ") " + e.X.String()
}

func (e *Index) String() string { return operand(e.X, false) + "[" + e.Index.String() + "]" }

func (e *Call) String() string { return operand(e.Fun, false) + "(" + joinExprs(e.Args) + ")" }

func (e *Unary) String() string { return e.Op + operand(e.X, true) }

func (e *Binary) String() string {
	prec := binPrec(e.Op)
	side := func(x Expr, right bool) string {
		switch x := x.(type) {
		case *Cond:
			return "(" + x.String() + ")"
		case *Binary:
			q := binPrec(x.Op)
			if q < prec || (right && q == prec) {
				return "(" + x.String() + ")"
			}
		}
		return x.String()
	}
	return side(e.X, false) + " " + e.Op + " " + side(e.Y, true)
}

func (e *Cond) String() string {
	c := e.C.String()
	if _, ok := e.C.(*Cond); ok {
		c = "(" + c + ")"
	}
	return c + " ? " + e.Then.String() + " : " + e.Else.String()
}
