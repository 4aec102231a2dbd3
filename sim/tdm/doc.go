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
//     entity kinds, validates ids (ParseURN, the API's Urn shape) and fills
//     typed structures (model.go) for every construct of spec §2: property
//     facets, enums, states (members with usage facets, list members,
//     `implements`), events, actions, capabilities (with `implements`),
//     device models, MQTT and Modbus devices, REST and Lambda services,
//     mappings, flows (variables, steps, Device/Webservice/Choice
//     activities, OnError, OnSuccess, console directives), systems (nested
//     too) and deployments (bindings, triggers with parsed expressions).
//     It reports what is wrong inside one definition: malformed or
//     mis-typed URNs (a usage directive or argument whose URN metatype does
//     not fit), unknown data types, non-numeric facets, unknown protocol
//     and operation blocks, incomplete Modbus requests, expressions that do
//     not parse, missing arguments.
//   - Set.Diagnose cross-checks references inside a document and, through
//     a caller-supplied resolver, against other namespaces, and returns
//     errors and warnings (Error.Severity); Set.Check returns the errors
//     only. Every problem is one *Error at the offending token (line:col
//     of the URN, name or argument, not of the enclosing definition) with
//     a message saying what was found and what was expected. The list of
//     checks is on Diagnose.
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
//     are kept as written on Property, State, Flow, Step, Trigger, System
//     and Deployment (Directives) and Print round-trips them. The keyword
//     (type/query/enum) is not checked against the directive.
//   - `implements` may come before the directives (GraphQL) or between them,
//     as in `type C @stateType(id: c) implements P @stateType(id: p)`
//     (Definition.ImplementsAfter keeps the place). The second directive's
//     id names the parent; with the GraphQL form only the name is known and
//     Check looks it up among the document's definitions.
//   - URN metatypes compare case-insensitively, namespaces and names exactly;
//     Key builds map keys that way. @workflowType ids may use metatype
//     "workflow" or "flow".
//   - Capability member names (Action(name:), flow action calls, argument
//     names) and ${...} variable names compare case-insensitively (the
//     guide: "keywords and variables are case insensitive"; console exports
//     write ${GreenLight1} for $greenLight1). Deployment binding roles and
//     startFlow flow roles compare exactly with system roles ("bound to
//     things by exact name", spec §2.10); a case-only mismatch is named in
//     the message.
//   - Data types: the built-in keywords of spec §1.5 in any case, with the
//     aliases bool, byte, float, double, plus json (the public Json
//     property needs it); anything else bare is an error. The primitive
//     properties urn:tdm:aws:property:<Type> count as known in Check even
//     when the resolver lacks them (IsBuiltinProperty).
//   - The device's protocol block is its first field; the capability block is
//     the first field inside it, whatever its name; only its id counts.
//     Operation blocks are checked per protocol: Publish (MQTT), the seven
//     Modbus operations, HttpGet/HttpPost (REST),
//     InvokeGreengrassLambda/InvokeCloudLambda (AwsLambda). A Lambda ARN
//     must end in a numeric version (:1); aliases such as :Latest are
//     reported, since the edge runtime does not resolve them.
//   - A flow step's activity is its first child other than OnError and
//     OnSuccess; the action call is the activity's first child.
//     ChoiceActivity keeps Kind "ChoiceActivity" and fills Activity.Choice.
//     Events a step may wait for are outEvents, choice setEvents, Catch
//     raiseEvents and OnSuccess branch events.
//   - Expressions inside document strings are parsed with document
//     positions (the string's start plus the offset; exact unless an escape
//     sequence precedes the point on the same line).
//   - Mapping entries that do not parse are stored with MapEntry.Err and
//     reported by Diagnose as warnings, not errors: the guide's own mapping
//     examples contain syntax errors (spec §2.8). Mappings are not applied.
//   - Warnings (Diagnose only): an outEvent or setEvent no step waits for, a
//     parameter a call leaves out, a ChoiceActivity without default, a
//     DeviceActivity without deviceId, an `implements` name that cannot be
//     resolved, an unparsable map entry.
//   - Expressions: see Eval for null propagation, filter results and numeric
//     semantics; ParseExpr for the image/value rule ('/' with no blank on
//     either side between a name or ']' and a name is a path separator;
//     otherwise it divides). Casts convert ((Integer) '4' is 4, (String) 1.5
//     is "1.5", floats truncate toward zero); the types are String, Integer,
//     Int, Long, Short, Byte, Int8..UInt64, Double, Float, Float32,
//     Float64, Boolean, Bool, Number and Object in any case; integers stay
//     64-bit. Calls go to tdm.lib.Math
//     (min, max, abs, floor, ceil, round, pow, sqrt; also written Math.x),
//     then to java.lang.String methods of a value (length, charAt,
//     substring, toUpperCase, toLowerCase, trim, isEmpty, contains,
//     startsWith, endsWith, equals, equalsIgnoreCase, indexOf,
//     lastIndexOf, concat, replace, toString; strings indexed by runes),
//     then to Env.Call by their dotted name (ThingsGraph.startFlow,
//     tdm.lib.getDate, tdm.lib.getTime).
//   - ParseEvery: a month is 30 days, a year 365 days.
//
// # Not (yet) supported
//
// Mapping semantics (stored and checked only; the runtime applies none);
// execution of OnError, OnSuccess and ChoiceActivity (parsed and checked;
// the runtime executes them in a later issue); the @triggers definition
// text is kept raw, not parsed into triggers; the console's trigger field
// language beyond the expressions above; array parameters of library
// functions; Java's 32-bit int wrap-around in casts and arithmetic;
// checking values against property facets (minValue, maxLength, ...) at
// run time; enum values in expressions.
package tdm
