package tdm

import (
	"fmt"
	"strings"
)

// Pos is a position in a source text: 1-based line and 1-based column,
// where the column counts runes (not bytes).
type Pos struct{ Line, Col int }

// String returns "line:col".
func (p Pos) String() string { return fmt.Sprintf("%d:%d", p.Line, p.Col) }

// Document is a parsed TDM definition document: the definitions inside the
// one outer { ... }.
type Document struct {
	Pos         Pos
	Definitions []*Definition
}

// Definition is one `type`, `enum` or `query` definition.
type Definition struct {
	Pos        Pos
	Keyword    string // "type", "enum" or "query" as written (any case)
	Name       string
	Params     []*VarDef
	Implements []string
	// ImplementsAfter is how many directives precede the implements
	// clause: 0 for the GraphQL form `type A implements B @d`, more for
	// `type A @stateType(id: a) implements B @stateType(id: b)`.
	ImplementsAfter int
	Directives      []*Directive
	Fields          []*Field
	Start, End      int // byte offsets of the definition (keyword to closing '}') in the source
}

// VarDef is a flow parameter `$name: Type = default`.
type VarDef struct {
	Pos     Pos
	Name    string // without the '$'
	Type    string // as written, without blanks: "string!", "[Int]!"
	Default *Value
}

// Directive is `@name(args)`.
type Directive struct {
	Pos  Pos
	Name string
	Args []*Arg
}

// Arg is `name: value`, in a directive, a field or an object value.
type Arg struct {
	Pos   Pos
	Name  string
	Value *Value
}

// ValueKind says what a Value holds.
type ValueKind int

// The kinds of Value.
const (
	ValueString   ValueKind = iota // quoted or block string; Text is the decoded text
	ValueInt                       // integer literal; Text as written
	ValueFloat                     // float literal; Text as written
	ValueName                      // bare word (Int16, STRING, true, void); Text as written
	ValueList                      // [ ... ]; List holds the items
	ValueObject                    // { name: value ... }; Fields holds the members
	ValueVariable                  // $name; Text is the name without '$'
)

var kindNames = [...]string{"string", "int", "float", "name", "list", "object", "variable"}

// String names the kind ("string", "int", ...).
func (k ValueKind) String() string {
	if k >= 0 && int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("ValueKind(%d)", int(k))
}

// Value is an argument or default value.
type Value struct {
	Pos    Pos
	Kind   ValueKind
	Text   string
	List   []*Value
	Fields []*Arg
}

// Field is a member of a definition body or of a nested block:
// Name [: Type] [(args)] @directives [{ fields }].
type Field struct {
	Pos        Pos
	Name       string
	Type       string
	Args       []*Arg
	Directives []*Directive
	Fields     []*Field
	HasBody    bool // written with { ... } (possibly empty), as opposed to a bare name
}

// Directive returns the first directive named name (case-insensitive), or nil.
func (d *Definition) Directive(name string) *Directive { return findDirective(d.Directives, name) }

// Child returns the first top-level field named name (case-insensitive), or nil.
func (d *Definition) Child(name string) *Field { return findField(d.Fields, name) }

// Arg returns the first argument named name (case-insensitive), or nil.
func (d *Directive) Arg(name string) *Arg {
	if d == nil {
		return nil
	}
	return findArg(d.Args, name)
}

// ArgValue returns the value of argument name (case-insensitive), or nil.
func (d *Directive) ArgValue(name string) *Value {
	if a := d.Arg(name); a != nil {
		return a.Value
	}
	return nil
}

// ArgString returns the text of argument name when it is a string or a bare
// name, and "" otherwise.
func (d *Directive) ArgString(name string) string {
	if d == nil {
		return ""
	}
	return argString(d.Args, name)
}

// Arg returns the first argument named name (case-insensitive), or nil.
func (f *Field) Arg(name string) *Arg {
	if f == nil {
		return nil
	}
	return findArg(f.Args, name)
}

// ArgValue returns the value of argument name (case-insensitive), or nil.
func (f *Field) ArgValue(name string) *Value {
	if a := f.Arg(name); a != nil {
		return a.Value
	}
	return nil
}

// ArgString returns the text of argument name when it is a string or a bare
// name, and "" otherwise.
func (f *Field) ArgString(name string) string {
	if f == nil {
		return ""
	}
	return argString(f.Args, name)
}

// Directive returns the first directive named name (case-insensitive), or nil.
func (f *Field) Directive(name string) *Directive {
	if f == nil {
		return nil
	}
	return findDirective(f.Directives, name)
}

// Child returns the first child field named name (case-insensitive), or nil.
func (f *Field) Child(name string) *Field {
	if f == nil {
		return nil
	}
	return findField(f.Fields, name)
}

// Children returns every child field named name (case-insensitive).
func (f *Field) Children(name string) []*Field {
	if f == nil {
		return nil
	}
	var out []*Field
	for _, c := range f.Fields {
		if strings.EqualFold(c.Name, name) {
			out = append(out, c)
		}
	}
	return out
}

// StringValue returns the text of a String or Name value.
func (v *Value) StringValue() (string, bool) {
	if v == nil || (v.Kind != ValueString && v.Kind != ValueName) {
		return "", false
	}
	return v.Text, true
}

// Source returns the value as TDM source text would spell it, except that a
// string is returned decoded, without quotes: the form expression arguments
// (`"${camera}"`) are used in.
func (v *Value) Source() string {
	if v == nil {
		return ""
	}
	switch v.Kind {
	case ValueString, ValueInt, ValueFloat, ValueName:
		return v.Text
	case ValueVariable:
		return "$" + v.Text
	}
	var b strings.Builder
	printValue(&b, v)
	return b.String()
}

// Strings returns a string value as a one-element list, or the string and
// name items of a list value.
func (v *Value) Strings() []string {
	if v == nil {
		return nil
	}
	if s, ok := v.StringValue(); ok {
		return []string{s}
	}
	var out []string
	for _, it := range v.List {
		if s, ok := it.StringValue(); ok {
			out = append(out, s)
		}
	}
	return out
}

func findDirective(ds []*Directive, name string) *Directive {
	for _, d := range ds {
		if strings.EqualFold(d.Name, name) {
			return d
		}
	}
	return nil
}

func findArg(as []*Arg, name string) *Arg {
	for _, a := range as {
		if strings.EqualFold(a.Name, name) {
			return a
		}
	}
	return nil
}

func findField(fs []*Field, name string) *Field {
	for _, f := range fs {
		if strings.EqualFold(f.Name, name) {
			return f
		}
	}
	return nil
}

func argString(as []*Arg, name string) string {
	if a := findArg(as, name); a != nil {
		s, _ := a.Value.StringValue()
		return s
	}
	return ""
}

// Severities of an Error.
const (
	SeverityError   = "error"
	SeverityWarning = "warning"
)

// Error is one problem found in a document, at a position, optionally
// attributed to the entity (by id) it belongs to.
type Error struct {
	Pos      Pos
	EntityID string
	Msg      string
	// Severity is SeverityError (also when empty) or SeverityWarning: a
	// warning names something suspicious that does not stop the document
	// from being accepted (an outEvent no step waits for).
	Severity string
}

// IsWarning reports whether e is a warning.
func (e *Error) IsWarning() bool { return e.Severity == SeverityWarning }

// Error returns "line:col: msg", or "line:col: id: msg" when EntityID is
// set; a warning reads "line:col: [id: ]warning: msg".
func (e *Error) Error() string {
	msg := e.Msg
	if e.IsWarning() {
		msg = "warning: " + msg
	}
	if e.EntityID != "" {
		return fmt.Sprintf("%d:%d: %s: %s", e.Pos.Line, e.Pos.Col, e.EntityID, msg)
	}
	return fmt.Sprintf("%d:%d: %s", e.Pos.Line, e.Pos.Col, msg)
}

// ErrorList is a list of errors; Parse returns one with a single element.
type ErrorList []*Error

// Error joins the messages with "; ".
func (l ErrorList) Error() string {
	parts := make([]string, len(l))
	for i, e := range l {
		parts[i] = e.Error()
	}
	return strings.Join(parts, "; ")
}

// Errors returns the elements of l that are not warnings, or nil.
func (l ErrorList) Errors() ErrorList { return l.filter(false) }

// Warnings returns the warnings of l, or nil.
func (l ErrorList) Warnings() ErrorList { return l.filter(true) }

func (l ErrorList) filter(warnings bool) ErrorList {
	var out ErrorList
	for _, e := range l {
		if e.IsWarning() == warnings {
			out = append(out, e)
		}
	}
	return out
}

// Err returns l as an error, or nil when l is empty (avoiding a non-nil
// interface holding a nil list).
func (l ErrorList) Err() error {
	if len(l) == 0 {
		return nil
	}
	return l
}

func errorf(pos Pos, id, format string, args ...any) *Error {
	return &Error{Pos: pos, EntityID: id, Msg: fmt.Sprintf(format, args...), Severity: SeverityError}
}

func warningf(pos Pos, id, format string, args ...any) *Error {
	return &Error{Pos: pos, EntityID: id, Msg: fmt.Sprintf(format, args...), Severity: SeverityWarning}
}
