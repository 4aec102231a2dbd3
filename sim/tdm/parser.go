package tdm

import (
	"fmt"
	"strings"
)

// maxDepth bounds nesting of braces, brackets and parentheses so that a
// hostile document cannot exhaust the stack.
const maxDepth = 500

// Parse parses a TDM definition document. The document must be one outer
// { ... } holding one or more definitions [DOC ug:iot-tg-models-gs]. On a
// syntax error Parse stops and returns an ErrorList with that one error.
func Parse(src string) (doc *Document, err error) {
	p := &parser{lx: lexer{src: src, line: 1, col: 1}}
	defer func() {
		if r := recover(); r != nil {
			b, ok := r.(bailout)
			if !ok {
				panic(r)
			}
			doc, err = nil, ErrorList{b.err}
		}
	}()
	p.next()
	return p.document(), nil
}

type parser struct {
	lx        lexer
	tok, prev token
	open      []token // unclosed '{', '(' and '['
}

func (p *parser) next() { p.prev, p.tok = p.tok, p.lx.next() }

func (p *parser) fail(pos Pos, format string, args ...any) {
	panic(bailout{errorf(pos, "", format, args...)})
}

func (p *parser) is(punct string) bool { return p.tok.kind == tPunct && p.tok.text == punct }

// unexpected reports the current token where what was expected. At the end
// of the document inside a block it names the innermost unclosed opener.
func (p *parser) unexpected(what string) {
	if p.tok.kind == tEOF && len(p.open) > 0 {
		o := p.open[len(p.open)-1]
		p.fail(p.tok.pos, "unexpected end of document: '%s' opened at %d:%d is not closed", o.text, o.pos.Line, o.pos.Col)
	}
	p.fail(p.tok.pos, "expected %s, found %s", what, describe(p.tok))
}

// expect consumes punct or fails saying what was expected.
func (p *parser) expect(punct, context string) token {
	t := p.tok
	if !p.is(punct) {
		p.unexpected("'" + punct + "'" + context)
	}
	p.next()
	return t
}

// push consumes an opener and records it.
func (p *parser) push() {
	if len(p.open) >= maxDepth {
		p.fail(p.tok.pos, "nesting deeper than %d levels", maxDepth)
	}
	p.open = append(p.open, p.tok)
	p.next()
}

// pop consumes the closer matching the innermost opener.
func (p *parser) pop() token {
	t := p.tok
	p.open = p.open[:len(p.open)-1]
	p.next()
	return t
}

func (p *parser) name(what string) (string, Pos) {
	if p.tok.kind != tName {
		p.unexpected(what)
	}
	t := p.tok
	p.next()
	return t.text, t.pos
}

func (p *parser) document() *Document {
	if !p.is("{") {
		p.fail(p.tok.pos, "expected '{' to open the definition document (definitions must be wrapped in one outer { ... })")
	}
	d := &Document{Pos: p.tok.pos}
	p.push()
	if p.is("}") {
		p.unexpected("a definition (type, enum or query) in the definition document")
	}
	for !p.is("}") {
		d.Definitions = append(d.Definitions, p.definition())
	}
	p.pop()
	if p.tok.kind != tEOF {
		p.fail(p.tok.pos, "expected end of document after the '}' closing the definition document, found %s (all definitions go inside the one outer { ... })", describe(p.tok))
	}
	return d
}

func isKeyword(s string) bool {
	return strings.EqualFold(s, "type") || strings.EqualFold(s, "enum") || strings.EqualFold(s, "query")
}

func (p *parser) definition() *Definition {
	kw := p.tok
	if kw.kind != tName || !isKeyword(kw.text) {
		p.unexpected("a definition keyword (type, enum or query) or '}'")
	}
	p.next()
	def := &Definition{Pos: kw.pos, Keyword: kw.text, Start: kw.off}
	def.Name, _ = p.name(fmt.Sprintf("a name after %q", kw.text))
	if p.is("(") {
		p.push()
		for !p.is(")") {
			def.Params = append(def.Params, p.varDef())
		}
		p.pop()
	}
	def.Implements = p.implements()
	def.Directives = p.directives()
	if def.Implements == nil {
		// `type A @stateType(id: a) implements B @stateType(id: b)`: the
		// form the guide uses for state inheritance (spec §2.2).
		if def.Implements = p.implements(); def.Implements != nil {
			def.ImplementsAfter = len(def.Directives)
			def.Directives = append(def.Directives, p.directives()...)
		}
	}
	if !p.is("{") {
		p.unexpected(fmt.Sprintf("'{' to open the body of %s %s", kw.text, def.Name))
	}
	p.push()
	for !p.is("}") {
		def.Fields = append(def.Fields, p.field())
	}
	def.End = p.pop().end
	return def
}

// implements parses an optional `implements A [&] B ...` clause.
func (p *parser) implements() []string {
	if p.tok.kind != tName || !strings.EqualFold(p.tok.text, "implements") {
		return nil
	}
	p.next()
	n, _ := p.name("an interface name after \"implements\"")
	names := []string{n}
	for {
		if p.is("&") {
			p.next()
			n, _ = p.name("an interface name after '&'")
		} else if p.tok.kind == tName {
			n, _ = p.name("")
		} else {
			return names
		}
		names = append(names, n)
	}
}

func (p *parser) varDef() *VarDef {
	if !p.is("$") {
		p.unexpected("'$' to start a variable definition or ')'")
	}
	v := &VarDef{Pos: p.tok.pos}
	p.next()
	v.Name, _ = p.name("a variable name after '$'")
	p.expect(":", fmt.Sprintf(" after variable $%s", v.Name))
	v.Type = p.typ()
	if p.is("=") {
		p.next()
		v.Default = p.value()
	}
	return v
}

// typ parses Name['!'] | '[' Type ']'['!'] and returns it without blanks.
func (p *parser) typ() string {
	var s string
	if p.is("[") {
		p.push()
		inner := p.typ()
		if !p.is("]") {
			p.unexpected("']' to close the list type")
		}
		p.pop()
		s = "[" + inner + "]"
	} else {
		s, _ = p.name("a type name or '['")
	}
	if p.is("!") {
		p.next()
		s += "!"
	}
	return s
}

func (p *parser) directives() []*Directive {
	var ds []*Directive
	for p.is("@") {
		d := &Directive{Pos: p.tok.pos}
		p.next()
		d.Name, _ = p.name("a directive name after '@'")
		if p.is("(") {
			d.Args = p.args(")")
		}
		ds = append(ds, d)
	}
	return ds
}

// args parses arguments up to the closer of the opener at the current token.
func (p *parser) args(closer string) []*Arg {
	p.push()
	var as []*Arg
	for !p.is(closer) {
		if p.tok.kind == tName && p.prev.kind == tString && p.prev.end == p.tok.off {
			// "a "b" c": the string ended at an unescaped quote.
			p.fail(p.tok.pos, "name %q directly follows the string %q: a quote inside a string must be escaped (\\\") or be the other kind ('%s')", p.tok.text, p.prev.text, p.tok.text)
		}
		a := &Arg{Pos: p.tok.pos}
		a.Name, _ = p.name("an argument name or '" + closer + "'")
		p.expect(":", fmt.Sprintf(" after argument name %q", a.Name))
		a.Value = p.value()
		as = append(as, a)
	}
	p.pop()
	return as
}

func (p *parser) value() *Value {
	t := p.tok
	v := &Value{Pos: t.pos, Text: t.text}
	switch t.kind {
	case tString:
		v.Kind = ValueString
	case tInt:
		v.Kind = ValueInt
	case tFloat:
		v.Kind = ValueFloat
	case tName:
		v.Kind = ValueName
	case tPunct:
		switch t.text {
		case "$":
			p.next()
			v.Kind = ValueVariable
			v.Text, _ = p.name("a variable name after '$'")
			return v
		case "[":
			v.Kind, v.Text = ValueList, ""
			p.push()
			for !p.is("]") {
				v.List = append(v.List, p.value())
			}
			p.pop()
			return v
		case "{":
			v.Kind, v.Text = ValueObject, ""
			v.Fields = p.args("}")
			return v
		}
		p.unexpected("a value")
	default:
		p.unexpected("a value")
	}
	p.next()
	return v
}

func (p *parser) field() *Field {
	f := &Field{}
	f.Name, f.Pos = p.name("a field name or '}'")
	if p.is(":") {
		p.next()
		f.Type = p.typ()
	}
	if p.is("(") {
		f.Args = p.args(")")
	}
	f.Directives = p.directives()
	if p.is("{") {
		f.HasBody = true
		p.push()
		for !p.is("}") {
			f.Fields = append(f.Fields, p.field())
		}
		p.pop()
	}
	return f
}
