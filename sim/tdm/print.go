package tdm

import (
	"strings"
)

// Print returns doc as canonical TDM text: one outer { ... }, two-space
// indentation, double-quoted strings, commas between arguments, no comments.
// Parse(Print(doc)) yields the same tree apart from positions and offsets.
func Print(doc *Document) string {
	var b strings.Builder
	b.WriteString("{\n")
	for _, d := range doc.Definitions {
		printDefinition(&b, d)
	}
	b.WriteString("}\n")
	return b.String()
}

// PrintDefinition returns one definition as canonical TDM text (without the
// document braces).
func PrintDefinition(d *Definition) string {
	var b strings.Builder
	printDefinition(&b, d)
	return b.String()
}

func printDefinition(b *strings.Builder, d *Definition) {
	b.WriteString("  ")
	b.WriteString(d.Keyword)
	b.WriteByte(' ')
	b.WriteString(d.Name)
	if len(d.Params) > 0 {
		b.WriteByte('(')
		for i, v := range d.Params {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteByte('$')
			b.WriteString(v.Name)
			b.WriteString(": ")
			b.WriteString(v.Type)
			if v.Default != nil {
				b.WriteString(" = ")
				printValue(b, v.Default)
			}
		}
		b.WriteByte(')')
	}
	k := d.ImplementsAfter
	if k < 0 || k > len(d.Directives) || len(d.Implements) == 0 {
		k = 0
	}
	printDirectives(b, d.Directives[:k])
	if len(d.Implements) > 0 {
		b.WriteString(" implements ")
		b.WriteString(strings.Join(d.Implements, " & "))
	}
	printDirectives(b, d.Directives[k:])
	b.WriteString(" {\n")
	for _, f := range d.Fields {
		printField(b, f, 2)
	}
	b.WriteString("  }\n")
}

func printDirectives(b *strings.Builder, ds []*Directive) {
	for _, d := range ds {
		b.WriteString(" @")
		b.WriteString(d.Name)
		printArgs(b, d.Args, "(", ")")
	}
}

func printArgs(b *strings.Builder, as []*Arg, open, close string) {
	if len(as) == 0 {
		return
	}
	b.WriteString(open)
	for i, a := range as {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(a.Name)
		b.WriteString(": ")
		printValue(b, a.Value)
	}
	b.WriteString(close)
}

func printField(b *strings.Builder, f *Field, depth int) {
	indent(b, depth)
	b.WriteString(f.Name)
	if f.Type != "" {
		b.WriteString(": ")
		b.WriteString(f.Type)
	}
	printArgs(b, f.Args, "(", ")")
	printDirectives(b, f.Directives)
	if f.HasBody {
		b.WriteString(" {\n")
		for _, c := range f.Fields {
			printField(b, c, depth+1)
		}
		indent(b, depth)
		b.WriteByte('}')
	}
	b.WriteByte('\n')
}

func indent(b *strings.Builder, depth int) {
	for i := 0; i < depth; i++ {
		b.WriteString("  ")
	}
}

func printValue(b *strings.Builder, v *Value) {
	switch v.Kind {
	case ValueString:
		writeQuoted(b, v.Text, '"')
	case ValueVariable:
		b.WriteByte('$')
		b.WriteString(v.Text)
	case ValueList:
		b.WriteByte('[')
		for i, it := range v.List {
			if i > 0 {
				b.WriteString(", ")
			}
			printValue(b, it)
		}
		b.WriteByte(']')
	case ValueObject:
		if len(v.Fields) == 0 {
			b.WriteString("{}")
			return
		}
		printArgs(b, v.Fields, "{", "}")
	default:
		b.WriteString(v.Text)
	}
}

// writeQuoted writes s between quote characters, escaping the quote, the
// backslash and control bytes. Other bytes (including invalid UTF-8) are
// copied as they are so that a re-parse decodes the same bytes.
func writeQuoted(b *strings.Builder, s string, quote byte) {
	const hex = "0123456789abcdef"
	b.WriteByte(quote)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == quote || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c == '\n':
			b.WriteString(`\n`)
		case c == '\r':
			b.WriteString(`\r`)
		case c == '\t':
			b.WriteString(`\t`)
		case c < 0x20:
			b.WriteString(`\u00`)
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte(quote)
}
