package iot

import (
	"fmt"
	"strconv"
	"strings"
)

// Query is a parsed AWS IoT SQL statement:
//
//	SELECT <* | expr [AS alias], ...> FROM '<topic filter>' [WHERE <condition>]
//
// AWS: IoT developer guide, "AWS IoT SQL reference". The subset here has
// literals (numbers, 'strings', true, false, null), payload references
// (a, a.b, a[0], "quoted name"), the functions in sqlFunctions (topic(),
// topic(n), clientid(), principal(), timestamp(), encode(*, 'base64'),
// string and number functions), arithmetic (+ - * / %), string
// concatenation (||), comparisons (= <> != < <= > >=) and AND, OR, NOT.
// Query.Evaluate (sqleval.go) runs a query against a message.
type Query struct {
	Fields []Field
	// Topic is the FROM topic filter, without quotes.
	Topic string
	// Where is the condition, nil without a WHERE clause.
	Where Expr
}

// Field is one SELECT item: the whole payload (Star) or an expression with
// an optional alias.
type Field struct {
	// P is the item's 0-based byte offset in the SQL.
	P     int
	Star  bool
	Expr  Expr
	Alias string
}

// Expr is an expression node. Pos is its 0-based byte offset in the SQL.
type Expr interface {
	Pos() int
	String() string
}

// Literal is a number (float64), string, bool or nil (null).
type Literal struct {
	P     int
	Value any
	// Text is the number as written, so printing keeps 1 and 1.0 apart.
	Text string
}

// Ref names a top-level member of the payload.
type Ref struct {
	P    int
	Name string
}

// Selector is X.Name.
type Selector struct {
	P    int
	X    Expr
	Name string
}

// Index is X[Index].
type Index struct {
	P     int
	X     Expr
	Index Expr
}

// Call is a function call; Name is lower-case.
type Call struct {
	P    int
	Name string
	Args []Expr
}

// Star is the whole payload as a function argument, as in
// encode(*, 'base64'); the parser accepts it only there.
// AWS: IoT SQL reference, "Functions" (encode) and "Binary payloads".
type Star struct {
	P int
}

// Unary is Op X with Op "-" or "NOT".
type Unary struct {
	P  int
	Op string
	X  Expr
}

// Binary is X Op Y. Op is one of + - * / % || = <> < <= > >= AND OR;
// != is read as <>.
type Binary struct {
	P  int
	Op string
	X  Expr
	Y  Expr
}

func (e *Literal) Pos() int  { return e.P }
func (e *Ref) Pos() int      { return e.P }
func (e *Selector) Pos() int { return e.P }
func (e *Index) Pos() int    { return e.P }
func (e *Call) Pos() int     { return e.P }
func (e *Star) Pos() int     { return e.P }
func (e *Unary) Pos() int    { return e.P }
func (e *Binary) Pos() int   { return e.P }

func (e *Literal) String() string {
	switch v := e.Value.(type) {
	case nil:
		return "null"
	case bool:
		return strconv.FormatBool(v)
	case string:
		return "'" + strings.ReplaceAll(v, "'", "''") + "'"
	default:
		return e.Text
	}
}

func quoteName(n string) string {
	if isPlainIdent(n) {
		return n
	}
	return `"` + strings.ReplaceAll(n, `"`, `""`) + `"`
}

func isPlainIdent(n string) bool {
	if n == "" || keywords[strings.ToUpper(n)] {
		return false
	}
	for i := 0; i < len(n); i++ {
		if !isIdentChar(n[i], i == 0) {
			return false
		}
	}
	return true
}

func (e *Ref) String() string      { return quoteName(e.Name) }
func (e *Selector) String() string { return e.X.String() + "." + quoteName(e.Name) }
func (e *Index) String() string    { return e.X.String() + "[" + e.Index.String() + "]" }
func (e *Call) String() string {
	args := make([]string, len(e.Args))
	for i, a := range e.Args {
		args[i] = a.String()
	}
	return e.Name + "(" + strings.Join(args, ", ") + ")"
}
func (e *Star) String() string { return "*" }
func (e *Unary) String() string {
	if e.Op == "NOT" {
		return "(NOT " + e.X.String() + ")"
	}
	return "(-" + e.X.String() + ")"
}
func (e *Binary) String() string { return "(" + e.X.String() + " " + e.Op + " " + e.Y.String() + ")" }

// String prints the query in a canonical form that parses to the same
// query.
func (q *Query) String() string {
	var b strings.Builder
	b.WriteString("SELECT ")
	for i, f := range q.Fields {
		if i > 0 {
			b.WriteString(", ")
		}
		if f.Star {
			b.WriteString("*")
			continue
		}
		b.WriteString(f.Expr.String())
		if f.Alias != "" {
			b.WriteString(" AS " + quoteName(f.Alias))
		}
	}
	b.WriteString(" FROM '" + strings.ReplaceAll(q.Topic, "'", "''") + "'")
	if q.Where != nil {
		b.WriteString(" WHERE " + q.Where.String())
	}
	return b.String()
}

var keywords = map[string]bool{"SELECT": true, "FROM": true, "WHERE": true, "AS": true, "AND": true, "OR": true, "NOT": true, "TRUE": true, "FALSE": true, "NULL": true}

// sqlFunctions maps the supported functions (lower-case) to their argument
// counts; variadic means any number. AWS: IoT SQL reference, "Functions";
// topic(n) selects the n-th (1-based) level. The evaluator is sqleval.go.
var sqlFunctions = map[string][]int{
	"topic": {0, 1}, "clientid": {0}, "principal": {0}, "timestamp": {0}, "newuuid": {0},
	"encode": {2}, "decode": {2},
	"upper": {1}, "lower": {1}, "trim": {1}, "ltrim": {1}, "rtrim": {1},
	"length": {1}, "numbytes": {1}, "concat": {variadic},
	"startswith": {2}, "endswith": {2}, "indexof": {2}, "substring": {2, 3}, "replace": {3},
	"abs": {1}, "floor": {1}, "ceil": {1}, "round": {1}, "sign": {1}, "mod": {2},
	"isnull": {1}, "isundefined": {1},
}

// variadic in sqlFunctions: the function takes any number of arguments.
const variadic = -1

type tokKind int

const (
	tokEOF tokKind = iota
	tokIdent
	tokQuoted // "name"
	tokString
	tokNumber
	tokOp
)

type token struct {
	kind tokKind
	text string // identifier, unquoted string, number text or operator
	pos  int
}

func (t token) describe() string {
	switch t.kind {
	case tokEOF:
		return "end of input"
	case tokString:
		return "string '" + t.text + "'"
	case tokQuoted:
		return `"` + t.text + `"`
	default:
		return "'" + t.text + "'"
	}
}

func isIdentChar(c byte, first bool) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || !first && (c >= '0' && c <= '9')
}

// maxSQLDepth bounds expression nesting so hostile input cannot exhaust
// the stack.
const maxSQLDepth = 100

type sqlParser struct {
	src   string
	toks  []token
	i     int
	depth int
}

// SQLError is a parse error with its 0-based byte offset.
type SQLError struct {
	Offset int
	Msg    string
	src    string
}

func (e *SQLError) Error() string {
	line, col := 1, 1
	for i := 0; i < e.Offset && i < len(e.src); i++ {
		if e.src[i] == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	return fmt.Sprintf("line %d:%d: %s", line, col, e.Msg)
}

// ParseSQL parses an AWS IoT SQL statement. Errors are *SQLError.
func ParseSQL(src string) (*Query, error) {
	p := &sqlParser{src: src}
	if err := p.lex(); err != nil {
		return nil, err
	}
	return p.query()
}

func (p *sqlParser) errAt(pos int, format string, args ...any) error {
	return &SQLError{Offset: pos, Msg: fmt.Sprintf(format, args...), src: p.src}
}

func (p *sqlParser) lex() error {
	s := p.src
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case isIdentChar(c, true):
			j := i
			for j < len(s) && isIdentChar(s[j], false) {
				j++
			}
			p.toks = append(p.toks, token{tokIdent, s[i:j], i})
			i = j
		case c >= '0' && c <= '9':
			j := i
			for j < len(s) && s[j] >= '0' && s[j] <= '9' {
				j++
			}
			if j < len(s) && s[j] == '.' {
				j++
				if j >= len(s) || s[j] < '0' || s[j] > '9' {
					return p.errAt(j, "malformed number %q", s[i:j])
				}
				for j < len(s) && s[j] >= '0' && s[j] <= '9' {
					j++
				}
			}
			p.toks = append(p.toks, token{tokNumber, s[i:j], i})
			i = j
		case c == '\'' || c == '"':
			var b strings.Builder
			j := i + 1
			for {
				if j >= len(s) {
					return p.errAt(i, "unterminated %s", map[byte]string{'\'': "string", '"': "quoted name"}[c])
				}
				if s[j] == c {
					if j+1 < len(s) && s[j+1] == c {
						b.WriteByte(c)
						j += 2
						continue
					}
					break
				}
				b.WriteByte(s[j])
				j++
			}
			kind := tokString
			if c == '"' {
				kind = tokQuoted
				if b.Len() == 0 {
					return p.errAt(i, "empty quoted name")
				}
			}
			p.toks = append(p.toks, token{kind, b.String(), i})
			i = j + 1
		default:
			two := ""
			if i+1 < len(s) {
				two = s[i : i+2]
			}
			switch two {
			case "<>", "!=", "<=", ">=", "||":
				p.toks = append(p.toks, token{tokOp, two, i})
				i += 2
				continue
			}
			if strings.IndexByte("*,().[]=<>+-/%", c) < 0 {
				return p.errAt(i, "unexpected character %q", c)
			}
			p.toks = append(p.toks, token{tokOp, string(c), i})
			i++
		}
	}
	p.toks = append(p.toks, token{kind: tokEOF, pos: len(s)})
	return nil
}

func (p *sqlParser) peek() token { return p.toks[p.i] }
func (p *sqlParser) next() token {
	t := p.toks[p.i]
	if t.kind != tokEOF {
		p.i++
	}
	return t
}

func (p *sqlParser) isKeyword(kw string) bool {
	t := p.peek()
	return t.kind == tokIdent && strings.EqualFold(t.text, kw)
}

func (p *sqlParser) isOp(op string) bool {
	t := p.peek()
	return t.kind == tokOp && t.text == op
}

func (p *sqlParser) expectKeyword(kw string) error {
	if !p.isKeyword(kw) {
		t := p.peek()
		return p.errAt(t.pos, "expected %s, found %s", kw, t.describe())
	}
	p.next()
	return nil
}

func (p *sqlParser) query() (*Query, error) {
	q := &Query{}
	if err := p.expectKeyword("SELECT"); err != nil {
		return nil, err
	}
	for {
		if p.isOp("*") {
			t := p.next()
			q.Fields = append(q.Fields, Field{P: t.pos, Star: true})
		} else {
			pos := p.peek().pos
			e, err := p.expr()
			if err != nil {
				return nil, err
			}
			f := Field{P: pos, Expr: e}
			if p.isKeyword("AS") {
				p.next()
				t := p.next()
				switch {
				case t.kind == tokQuoted, t.kind == tokIdent && !keywords[strings.ToUpper(t.text)]:
					f.Alias = t.text
				default:
					return nil, p.errAt(t.pos, "expected an alias after AS, found %s", t.describe())
				}
			}
			q.Fields = append(q.Fields, f)
		}
		if !p.isOp(",") {
			break
		}
		p.next()
	}
	if err := p.expectKeyword("FROM"); err != nil {
		return nil, err
	}
	t := p.next()
	if t.kind != tokString {
		return nil, p.errAt(t.pos, "expected a quoted topic filter after FROM, found %s", t.describe())
	}
	if msg := checkTopicFilter(t.text); msg != "" {
		return nil, p.errAt(t.pos, "invalid topic filter '%s': %s", t.text, msg)
	}
	q.Topic = t.text
	if p.isKeyword("WHERE") {
		p.next()
		e, err := p.expr()
		if err != nil {
			return nil, err
		}
		q.Where = e
	}
	if t := p.peek(); t.kind != tokEOF {
		return nil, p.errAt(t.pos, "unexpected %s", t.describe())
	}
	return q, nil
}

// checkTopicFilter returns why f is not an MQTT topic filter, or "".
// [MQTT-4.7.1-2] '#' stands alone as the last level; [MQTT-4.7.1-3] '+'
// fills a whole level. AWS: topic names are at most 256 bytes.
func checkTopicFilter(f string) string {
	switch {
	case f == "":
		return "empty"
	case len(f) > 256:
		return "longer than 256 bytes"
	case strings.IndexByte(f, 0) >= 0:
		return "contains NUL"
	}
	levels := strings.Split(f, "/")
	for i, l := range levels {
		if strings.Contains(l, "#") && (l != "#" || i != len(levels)-1) {
			return "'#' must be the whole last level"
		}
		if strings.Contains(l, "+") && l != "+" {
			return "'+' must be a whole level"
		}
	}
	return ""
}

// Precedence, loosest first: OR, AND, NOT, comparison, + - ||, * / %,
// unary minus, postfix.
func (p *sqlParser) expr() (Expr, error) {
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > maxSQLDepth {
		return nil, p.errAt(p.peek().pos, "expression nested deeper than %d", maxSQLDepth)
	}
	return p.or()
}

func (p *sqlParser) or() (Expr, error) {
	x, err := p.and()
	for err == nil && p.isKeyword("OR") {
		t := p.next()
		var y Expr
		if y, err = p.and(); err == nil {
			x = &Binary{P: t.pos, Op: "OR", X: x, Y: y}
		}
	}
	return x, err
}

func (p *sqlParser) and() (Expr, error) {
	x, err := p.not()
	for err == nil && p.isKeyword("AND") {
		t := p.next()
		var y Expr
		if y, err = p.not(); err == nil {
			x = &Binary{P: t.pos, Op: "AND", X: x, Y: y}
		}
	}
	return x, err
}

func (p *sqlParser) not() (Expr, error) {
	if p.isKeyword("NOT") {
		t := p.next()
		p.depth++
		defer func() { p.depth-- }()
		if p.depth > maxSQLDepth {
			return nil, p.errAt(t.pos, "expression nested deeper than %d", maxSQLDepth)
		}
		x, err := p.not()
		if err != nil {
			return nil, err
		}
		return &Unary{P: t.pos, Op: "NOT", X: x}, nil
	}
	return p.comparison()
}

var comparisonOps = map[string]string{"=": "=", "<>": "<>", "!=": "<>", "<": "<", "<=": "<=", ">": ">", ">=": ">="}

func (p *sqlParser) comparison() (Expr, error) {
	x, err := p.additive()
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind == tokOp && comparisonOps[t.text] != "" {
		p.next()
		y, err := p.additive()
		if err != nil {
			return nil, err
		}
		x = &Binary{P: t.pos, Op: comparisonOps[t.text], X: x, Y: y}
		if t := p.peek(); t.kind == tokOp && comparisonOps[t.text] != "" {
			return nil, p.errAt(t.pos, "comparisons do not chain; use AND")
		}
	}
	return x, nil
}

func (p *sqlParser) additive() (Expr, error) {
	x, err := p.multiplicative()
	for err == nil && (p.isOp("+") || p.isOp("-") || p.isOp("||")) {
		t := p.next()
		var y Expr
		if y, err = p.multiplicative(); err == nil {
			x = &Binary{P: t.pos, Op: t.text, X: x, Y: y}
		}
	}
	return x, err
}

func (p *sqlParser) multiplicative() (Expr, error) {
	x, err := p.unary()
	for err == nil && (p.isOp("*") || p.isOp("/") || p.isOp("%")) {
		t := p.next()
		var y Expr
		if y, err = p.unary(); err == nil {
			x = &Binary{P: t.pos, Op: t.text, X: x, Y: y}
		}
	}
	return x, err
}

func (p *sqlParser) unary() (Expr, error) {
	if p.isOp("-") {
		t := p.next()
		p.depth++
		defer func() { p.depth-- }()
		if p.depth > maxSQLDepth {
			return nil, p.errAt(t.pos, "expression nested deeper than %d", maxSQLDepth)
		}
		x, err := p.unary()
		if err != nil {
			return nil, err
		}
		return &Unary{P: t.pos, Op: "-", X: x}, nil
	}
	return p.postfix()
}

func (p *sqlParser) postfix() (Expr, error) {
	x, err := p.primary()
	if err != nil {
		return nil, err
	}
	for {
		switch {
		case p.isOp("."):
			t := p.next()
			n := p.next()
			if n.kind != tokQuoted && n.kind != tokIdent {
				return nil, p.errAt(n.pos, "expected a member name after '.', found %s", n.describe())
			}
			x = &Selector{P: t.pos, X: x, Name: n.text}
		case p.isOp("["):
			t := p.next()
			i, err := p.expr()
			if err != nil {
				return nil, err
			}
			if !p.isOp("]") {
				return nil, p.errAt(p.peek().pos, "expected ']', found %s", p.peek().describe())
			}
			p.next()
			x = &Index{P: t.pos, X: x, Index: i}
		default:
			return x, nil
		}
	}
}

func (p *sqlParser) primary() (Expr, error) {
	t := p.next()
	switch t.kind {
	case tokNumber:
		v, err := strconv.ParseFloat(t.text, 64)
		if err != nil {
			return nil, p.errAt(t.pos, "malformed number %q", t.text)
		}
		return &Literal{P: t.pos, Value: v, Text: t.text}, nil
	case tokString:
		return &Literal{P: t.pos, Value: t.text}, nil
	case tokQuoted:
		return &Ref{P: t.pos, Name: t.text}, nil
	case tokOp:
		if t.text == "(" {
			e, err := p.expr()
			if err != nil {
				return nil, err
			}
			if !p.isOp(")") {
				return nil, p.errAt(p.peek().pos, "expected ')', found %s", p.peek().describe())
			}
			p.next()
			return e, nil
		}
	case tokIdent:
		switch strings.ToUpper(t.text) {
		case "TRUE":
			return &Literal{P: t.pos, Value: true}, nil
		case "FALSE":
			return &Literal{P: t.pos, Value: false}, nil
		case "NULL":
			return &Literal{P: t.pos, Value: nil}, nil
		}
		if keywords[strings.ToUpper(t.text)] {
			break
		}
		if !p.isOp("(") {
			return &Ref{P: t.pos, Name: t.text}, nil
		}
		return p.call(t)
	}
	return nil, p.errAt(t.pos, "expected an expression, found %s", t.describe())
}

func (p *sqlParser) call(name token) (Expr, error) {
	p.next() // (
	c := &Call{P: name.pos, Name: strings.ToLower(name.text)}
	arities, ok := sqlFunctions[c.Name]
	if !ok {
		return nil, p.errAt(name.pos, "unknown function %s()", name.text)
	}
	if !p.isOp(")") {
		for {
			if p.isOp("*") {
				// AWS: IoT SQL reference, "Functions" (encode): "You can
				// specify * to encode the entire payload".
				t := p.next()
				if c.Name != "encode" || len(c.Args) != 0 {
					return nil, p.errAt(t.pos, "'*' is only allowed as the first argument of encode()")
				}
				c.Args = append(c.Args, &Star{P: t.pos})
				if !p.isOp(",") {
					break
				}
				p.next()
				continue
			}
			a, err := p.expr()
			if err != nil {
				return nil, err
			}
			c.Args = append(c.Args, a)
			if !p.isOp(",") {
				break
			}
			p.next()
		}
		if !p.isOp(")") {
			return nil, p.errAt(p.peek().pos, "expected ')' or ',', found %s", p.peek().describe())
		}
	}
	p.next()
	ok = false
	for _, n := range arities {
		ok = ok || n == len(c.Args) || n == variadic
	}
	if !ok {
		return nil, p.errAt(name.pos, "function %s() takes %v arguments, got %d", c.Name, arities, len(c.Args))
	}
	if c.Name == "encode" || c.Name == "decode" {
		// AWS: IoT SQL reference, "Functions" (encode, decode): the scheme
		// is a literal string; only 'base64' is supported.
		l, isLit := c.Args[1].(*Literal)
		if s, isStr := literalString(l, isLit); !isStr || !strings.EqualFold(s, "base64") {
			return nil, p.errAt(c.Args[1].Pos(), "%s() takes the literal scheme 'base64' as its second argument", c.Name)
		}
	}
	if c.Name == "topic" && len(c.Args) == 1 {
		// topic(n): n is a level number, 1 or more.
		l, isLit := c.Args[0].(*Literal)
		f, isNum := literalNumber(l, isLit)
		if !isNum || f < 1 || f != float64(int(f)) {
			return nil, p.errAt(c.Args[0].Pos(), "topic(n) takes a positive integer literal")
		}
	}
	return c, nil
}

func literalString(l *Literal, ok bool) (string, bool) {
	if !ok {
		return "", false
	}
	s, ok := l.Value.(string)
	return s, ok
}

func literalNumber(l *Literal, ok bool) (float64, bool) {
	if !ok {
		return 0, false
	}
	f, ok := l.Value.(float64)
	return f, ok
}
