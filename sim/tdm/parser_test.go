package tdm

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// astOpts compares trees ignoring positions and byte offsets.
var astOpts = cmp.Options{
	cmpopts.IgnoreTypes(Pos{}),
	cmpopts.IgnoreFields(Definition{}, "Start", "End"),
}

func readTestdata(t testing.TB) map[string]string {
	t.Helper()
	// The three device documents are the ones the Things Graph service
	// embeds as its public namespace; the flow, system and deployment are
	// here.
	files, err := filepath.Glob("testdata/*.graphql")
	public, err2 := filepath.Glob("../thingsgraph/public/*.graphql")
	files = append(files, public...)
	if err != nil || err2 != nil || len(files) != 6 {
		t.Fatalf("testdata: %v files, err %v", len(files), err)
	}
	out := map[string]string{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out[filepath.Base(f)] = string(b)
	}
	return out
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"no outer braces", "type A @propertyType(id: \"x\") {ignore:void}", `1:1: expected '{' to open the definition document (definitions must be wrapped in one outer { ... })`},
		{"empty", "", `1:1: expected '{' to open the definition document (definitions must be wrapped in one outer { ... })`},
		{"empty document", "{ }", `1:3: expected a definition (type, enum or query) in the definition document, found '}'`},
		{"bad keyword", "{\n  mutation X {}\n}", `2:3: expected a definition keyword (type, enum or query) or '}', found name "mutation"`},
		{"arg colon", "{ type A @x(\n  id \"x\") {a} }", `2:6: expected ':' after argument name "id", found string "x"`},
		{"unclosed brace", "{\n type A @x(id: \"u\") {\n  a {\n  b\n", `5:1: unexpected end of document: '{' opened at 3:5 is not closed`},
		{"unclosed outer", "{ type A {a}", `1:13: unexpected end of document: '{' opened at 1:1 is not closed`},
		{"unclosed paren", "{ type A @x(id: \"u\"", `1:20: unexpected end of document: '(' opened at 1:12 is not closed`},
		{"unterminated string", "{ type A @x(id: \"abc) {a} }", `1:17: unterminated string: expected closing " before end of document`},
		{"newline in string", "{ type A @x(id: 'ab\nc') {a} }", `1:20: newline in string opened at 1:17; expected closing ' before end of line`},
		{"curly quote", "{\n type A @x(\n  id: “urn”) {a} }", `3:7: curly quote “ is not a string delimiter; use " or '`},
		{"curly single quote", "{ type A @x(id: ‘urn’) {a} }", `1:17: curly quote ‘ is not a string delimiter; use " or '`},
		{"bad escape", `{ type A @x(id: "a\qb") {a} }`, `1:19: invalid escape sequence \q in string; expected one of \" \' \\ \/ \b \f \n \r \t \uXXXX`},
		{"bad unicode escape", `{ type A @x(id: "\u12G4") {a} }`, `1:18: invalid \u escape: expected 4 hex digits, found 'G'`},
		{"unterminated block string", `{ type A @x(d: """abc) {a} }`, `1:16: unterminated block string: expected closing """ before end of document`},
		{"text after document", "{ type A {a} } type B {b}", `1:16: expected end of document after the '}' closing the definition document, found name "type" (all definitions go inside the one outer { ... })`},
		{"missing body", "{ type A @x(id: \"u\") }", `1:22: expected '{' to open the body of type A, found '}'`},
		{"bad character", "{ type A { a; } }", `1:13: unexpected character ';'; expected a name, a value or one of { } ( ) [ ] : ! @ $ = &`},
		{"bad number", "{ type A @x(v: 12ab) {a} }", `1:18: unexpected 'a' after number "12"; separate it with a blank`},
		{"lone minus", "{ type A @x(v: -x) {a} }", `1:17: expected a digit in number "-", found 'x'`},
		{"missing value", "{ type A @x(v: ) {a} }", `1:16: expected a value, found ')'`},
		{"field name", "{ type A { \"a\" } }", `1:12: expected a field name or '}', found string "a"`},
		{"var def", "{ query A(camera: String) @x {a} }", `1:11: expected '$' to start a variable definition or ')', found name "camera"`},
		{"list type", "{ query A($c: [Int) @x {a} }", `1:19: expected ']' to close the list type, found ')'`},
		{"directive name", "{ type A @ {a} }", `1:12: expected a directive name after '@', found '{'`},
		{"column counts runes", "{ type A @x(d: \"é\", e: “) {a} }", `1:24: curly quote “ is not a string delimiter; use " or '`},
		// Mistakes found in the guide's own examples (spec §2.8, §2.9, tdm-examples README).
		{"guide: CLI-escaped quotes", `{ query F @workflowType(id: \"urn:tdm:ns:workflow:F\") { steps } }`, `1:29: unexpected backslash outside a string; text copied from a CLI example keeps its \" escapes: write " instead`},
		{"guide: curly quotes in a mapping", "{ query M @mapping(id: \"urn:tdm:ns:mapping:M\", from: ”urn:tdm:aws:property:Float32 f\") {} }", `1:54: curly quote ” is not a string delimiter; use " or '`},
		{"guide: missing brace closing the flow", "{\nquery F @workflowType(id: \"urn:tdm:ns:workflow:F\") {\n  steps {\n    step(name: \"a\") { DeviceActivity(deviceModel: \"m\") { go }\n  }\n}\n", `7:1: unexpected end of document: '{' opened at 2:52 is not closed`},
		{"guide: unescaped quote in an expression", `{ query D @deployment(id: "urn:tdm:ns:deployment:D") { triggers { T { condition(expr: "devices[name == "m"].events") } } } }`, `1:105: name "m" directly follows the string "devices[name == ": a quote inside a string must be escaped (\") or be the other kind ('m')`},
		{"deep nesting", "{ type A @x(v: " + strings.Repeat("[", 600) + strings.Repeat("]", 600) + ") {a} }", `1:514: nesting deeper than 500 levels`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, err := Parse(tt.src)
			if err == nil {
				t.Fatalf("Parse(%q) = %v, nil; want error %q", tt.src, doc, tt.want)
			}
			if got := err.Error(); got != tt.want {
				t.Errorf("Parse(%q) error = %q, want %q", tt.src, got, tt.want)
			}
			if l, ok := err.(ErrorList); !ok || len(l) != 1 {
				t.Errorf("Parse(%q) error is %T %v, want ErrorList of one", tt.src, err, err)
			}
		})
	}
}

// TestImplementsAfterDirectives: the guide's `type A @stateType(id: a)
// implements B @stateType(id: b)` form parses and prints back in place.
func TestImplementsAfterDirectives(t *testing.T) {
	src := `{ type C @stateType(id: "c") implements P & Q @stateType(id: "p") { v: T } }`
	doc, err := Parse(src)
	if err != nil {
		t.Fatalf("Parse = %v", err)
	}
	d := doc.Definitions[0]
	if d.ImplementsAfter != 1 || len(d.Directives) != 2 || strings.Join(d.Implements, ",") != "P,Q" {
		t.Fatalf("definition = %+v, want implements P, Q after one directive", d)
	}
	want := "  type C @stateType(id: \"c\") implements P & Q @stateType(id: \"p\") {\n    v: T\n  }\n"
	if got := PrintDefinition(d); got != want {
		t.Errorf("PrintDefinition = %q, want %q", got, want)
	}
}

func TestParseDialect(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want *Document
	}{
		{
			name: "field forms and optional commas",
			src: `{ # comment
  TYPE Cam @StateType(id: 'urn:x' , n: -1.5e3 v: [1 2, "a"], o: {a: 1 b: $v}) {
    lastClickedImage : Uri @property(id: "p") # trailing
    ignore:void, params
    param(name:"imageUrl" property:"p")
    state { }
    alias: name(x: true)
    members: [Foo]! @property(id: "q")
  }
}`,
			want: &Document{Definitions: []*Definition{{
				Keyword: "TYPE", Name: "Cam",
				Directives: []*Directive{{Name: "StateType", Args: []*Arg{
					{Name: "id", Value: &Value{Kind: ValueString, Text: "urn:x"}},
					{Name: "n", Value: &Value{Kind: ValueFloat, Text: "-1.5e3"}},
					{Name: "v", Value: &Value{Kind: ValueList, List: []*Value{{Kind: ValueInt, Text: "1"}, {Kind: ValueInt, Text: "2"}, {Kind: ValueString, Text: "a"}}}},
					{Name: "o", Value: &Value{Kind: ValueObject, Fields: []*Arg{{Name: "a", Value: &Value{Kind: ValueInt, Text: "1"}}, {Name: "b", Value: &Value{Kind: ValueVariable, Text: "v"}}}}},
				}}},
				Fields: []*Field{
					{Name: "lastClickedImage", Type: "Uri", Directives: []*Directive{{Name: "property", Args: []*Arg{{Name: "id", Value: &Value{Kind: ValueString, Text: "p"}}}}}},
					{Name: "ignore", Type: "void"},
					{Name: "params"},
					{Name: "param", Args: []*Arg{{Name: "name", Value: &Value{Kind: ValueString, Text: "imageUrl"}}, {Name: "property", Value: &Value{Kind: ValueString, Text: "p"}}}},
					{Name: "state", HasBody: true},
					{Name: "alias", Type: "name", Args: []*Arg{{Name: "x", Value: &Value{Kind: ValueName, Text: "true"}}}},
					{Name: "members", Type: "[Foo]!", Directives: []*Directive{{Name: "property", Args: []*Arg{{Name: "id", Value: &Value{Kind: ValueString, Text: "q"}}}}}},
				},
			}}},
		},
		{
			name: "query header, implements, enum values, escapes",
			src: "{query F($a: string!, $b: [ Int ] ! = 3) implements X & Y Z @workflowType(id: \"a\\\"b\\u00e9\\n\\/\") { s }\n" +
				"enum E @enumType(id: \"e\") { LOW @enumValue(value: 0), HIGH @enumValue(value: 1) }\n" +
				"type B @x(d: \"\"\"\n    hello\n      world\n    \"\"\") {a}}",
			want: &Document{Definitions: []*Definition{
				{
					Keyword: "query", Name: "F",
					Params:     []*VarDef{{Name: "a", Type: "string!"}, {Name: "b", Type: "[Int]!", Default: &Value{Kind: ValueInt, Text: "3"}}},
					Implements: []string{"X", "Y", "Z"},
					Directives: []*Directive{{Name: "workflowType", Args: []*Arg{{Name: "id", Value: &Value{Kind: ValueString, Text: "a\"bé\n/"}}}}},
					Fields:     []*Field{{Name: "s"}},
				},
				{
					Keyword: "enum", Name: "E", Directives: []*Directive{{Name: "enumType", Args: []*Arg{{Name: "id", Value: &Value{Kind: ValueString, Text: "e"}}}}},
					Fields: []*Field{
						{Name: "LOW", Directives: []*Directive{{Name: "enumValue", Args: []*Arg{{Name: "value", Value: &Value{Kind: ValueInt, Text: "0"}}}}}},
						{Name: "HIGH", Directives: []*Directive{{Name: "enumValue", Args: []*Arg{{Name: "value", Value: &Value{Kind: ValueInt, Text: "1"}}}}}},
					},
				},
				{
					Keyword: "type", Name: "B", Directives: []*Directive{{Name: "x", Args: []*Arg{{Name: "d", Value: &Value{Kind: ValueString, Text: "hello\n  world"}}}}},
					Fields: []*Field{{Name: "a"}},
				},
			}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.src)
			if err != nil {
				t.Fatalf("Parse(%q) = %v", tt.src, err)
			}
			if diff := cmp.Diff(tt.want, got, astOpts); diff != "" {
				t.Errorf("Parse(%q) mismatch (-want +got):\n%s", tt.src, diff)
			}
			checkRoundTrip(t, tt.src, got)
		})
	}
}

func TestParsePositions(t *testing.T) {
	src := "{\n  type Camera @deviceModel(id:\"u\",\n\tcapability: \"c\") {ignore:void}\n}"
	doc, err := Parse(src)
	if err != nil {
		t.Fatal(err)
	}
	d := doc.Definitions[0]
	got := []Pos{doc.Pos, d.Pos, d.Directives[0].Pos, d.Directives[0].Args[0].Pos, d.Directives[0].Args[0].Value.Pos, d.Directives[0].Args[1].Pos, d.Fields[0].Pos}
	want := []Pos{{1, 1}, {2, 3}, {2, 15}, {2, 28}, {2, 31}, {3, 2}, {3, 20}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("positions (-want +got):\n%s", diff)
	}
	if text := src[d.Start:d.End]; !strings.HasPrefix(text, "type Camera") || !strings.HasSuffix(text, "{ignore:void}") {
		t.Errorf("definition text = %q", text)
	}
}

func TestParseTestdata(t *testing.T) {
	for name, src := range readTestdata(t) {
		t.Run(name, func(t *testing.T) {
			doc, err := Parse(src)
			if err != nil {
				t.Fatalf("Parse(%s) = %v", name, err)
			}
			if len(doc.Definitions) == 0 {
				t.Fatalf("Parse(%s): no definitions", name)
			}
			checkRoundTrip(t, src, doc)
		})
	}
}

func TestLookupsCaseInsensitive(t *testing.T) {
	doc, err := Parse(`{ type A @SystemType(ID: "u", Description: d) { x: T @Thing(Id: "t") { Sub(Topic: "s") } } }`)
	if err != nil {
		t.Fatal(err)
	}
	d := doc.Definitions[0]
	if got := d.Directive("systemtype").ArgString("id"); got != "u" {
		t.Errorf("Directive(systemtype).ArgString(id) = %q, want %q", got, "u")
	}
	if got := d.Directive("systemType").ArgString("description"); got != "d" {
		t.Errorf("ArgString(description) = %q, want %q", got, "d")
	}
	f := d.Child("X")
	if got := f.Directive("thing").ArgString("ID"); got != "t" {
		t.Errorf("Field.Directive(thing).ArgString = %q, want %q", got, "t")
	}
	if got := f.Child("sub").ArgString("topic"); got != "s" {
		t.Errorf("Child(sub).ArgString(topic) = %q, want %q", got, "s")
	}
	if d.Directive("none") != nil || f.Child("none") != nil || f.Arg("none") != nil {
		t.Errorf("lookups of missing names returned non-nil")
	}
}

// checkRoundTrip asserts Parse(Print(doc)) equals doc ignoring positions.
func checkRoundTrip(t testing.TB, src string, doc *Document) {
	t.Helper()
	printed := Print(doc)
	again, err := Parse(printed)
	if err != nil {
		t.Fatalf("Parse(Print(Parse(%q))) = %v\nprinted:\n%s", src, err, printed)
	}
	if diff := cmp.Diff(doc, again, astOpts); diff != "" {
		t.Fatalf("Parse(Print(doc)) differs (-first +second):\n%s\nprinted:\n%s", diff, printed)
	}
}
