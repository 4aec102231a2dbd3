// Package tdm parses and checks the Things Graph Data Model (TDM), the
// GraphQL-shaped language of AWS IoT Things Graph definition documents
// (spec: the shared spec/things-graph.md §1.3, §2; the User Guide pages are
// cited inline as [DOC ug:<page>]).
//
// # Layers
//
//   - Parse turns a definition document into a syntax tree (Document,
//     Definition, Field, Directive, Arg, Value) with a position on every node;
//     Print writes canonical text back (Parse(Print(d)) equals d apart from
//     positions). A hand-written tokenizer and recursive-descent parser do the
//     work; no regular expressions touch TDM text.
//   - Extract classifies each definition by its directive into the thirteen
//     entity kinds, validates ids (ParseURN, the API's Urn shape) and pulls out
//     what the simulator needs: capabilities, device models, MQTT/Modbus
//     devices (topics kept raw), services, flows, systems, deployments.
//   - Set.Check cross-checks references inside a document and, through a
//     caller-supplied resolver, against other namespaces.
//   - ExpandMacro expands $macro(...) topic templates; ParseExpr / Eval
//     handle trigger conditions, startFlow actions and flow argument
//     expressions (spec §2.12); ParseEvery handles `every N hours` triggers.
//
// # The dialect accepted by Parse
//
// A document is one outer { ... } wrapping one or more definitions
// [DOC ug:iot-tg-models-gs]; anything else is an error naming the position.
//
//	Definition := (type|enum|query) Name ['(' VarDef* ')'] [implements Name ('&'? Name)*] Directive* '{' Field* '}'
//	VarDef     := '$' Name ':' Type ['=' Value]
//	Type       := Name ['!'] | '[' Type ']' ['!']          (stored without blanks: "[Int]!")
//	Directive  := '@' Name ['(' Arg* ')']
//	Arg        := Name ':' Value
//	Value      := String | Int | Float | Name | '[' Value* ']' | '{' Arg* '}' | '$' Name
//	Field      := Name [':' Type] ['(' Arg* ')'] Directive* ['{' Field* '}']
//
// Strings take double or single quotes with the escapes \" \' \\ \/ \b \f \n
// \r \t \uXXXX (surrogate pairs combined), or GraphQL block strings """...""".
// A curly quote where a string should start, a newline inside a string, and
// an unterminated string are reported with line:column. # starts a comment;
// commas are optional separators everywhere (GraphQL insignificant commas).
// Keywords, directive, facet and block names are case-insensitive: the tree
// keeps the text as written and every lookup (Definition.Directive,
// Field.Child, Directive.Arg, ...) compares with strings.EqualFold
// [DOC ug:iot-tg-models-tdm-graphql]. Columns count runes. Parse stops at the
// first syntax error and returns an ErrorList of one; nesting deeper than
// 500 levels is an error.
//
// # Decisions [INF]
//
//   - The middle TypeName of `alias: TypeName @directive` is kept but never
//     resolved (spec §2.1).
//   - The defining directive is the first directive with a known name; other
//     directives (@triggers, @annotation, @position from console exports)
//     are kept and ignored. The keyword (type/query/enum) is not checked
//     against the directive.
//   - URN metatypes compare case-insensitively, namespaces and names exactly;
//     Key builds map keys that way. @workflowType ids may use metatype
//     "workflow" or "flow".
//   - Capability member names (Action(name:), flow action calls) compare
//     case-insensitively in Check; deployment binding roles compare exactly
//     with system roles ("bound to things by exact name", spec §2.10).
//   - The device's protocol block is its first field; the capability block is
//     the first field inside it, whatever its name; only its id counts.
//   - A flow step's activity is its first child field; the action call is
//     the activity's first child. Kinds other than DeviceActivity and
//     WebserviceActivity (ChoiceActivity, ...) are kept with Kind set to the
//     block name and not checked.
//   - Expressions: see Eval for null propagation, filter results and numeric
//     semantics. Path syntax with '/' (image/value) parses as division and is
//     not supported; casts ((String) x) and method calls on values
//     ('a'.substring(1)) are rejected with an error; calls go to Env.Call by
//     their dotted name.
//   - ParseEvery: a month is 30 days, a year 365 days.
//
// # Not (yet) supported
//
// Modbus operation details beyond the operation name and response property,
// service request details (url, auth, header/query/body params), mapping
// semantics (stored only), OnError/OnSuccess blocks, and capability
// inheritance (`implements` is parsed, not followed).
package tdm
