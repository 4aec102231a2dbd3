package iot

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// This file evaluates a parsed Query against one message, following the
// AWS IoT developer guide, "AWS IoT SQL reference" (pages "SELECT clause",
// "Data types", "Operators", "Functions", "JSON extensions", "Binary
// payloads"). Choices the guide leaves open are marked [INF].
//
// Values are represented as:
//
//	undefinedValue  Undefined (not a value; omitted from output objects)
//	nil             Null
//	bool            Boolean
//	int64           Int
//	float64         Decimal (finite; 64-bit, not AWS's 34 digits [INF])
//	string          String
//	[]any           Array
//	*object         Object (members in insertion order)
//
// The semantics do not depend on the rule's SQL version [INF]: 10.0 in a
// payload stays a Decimal (as in 2015-10-08), and encode/decode (2016-03-23
// and later in AWS) are always available.

// Message is what a topic rule sees of one MQTT message.
type Message struct {
	Topic     string
	ClientID  string // "" for messages published over HTTPS
	Principal string // certificate id or IAM principal, for principal()
	Payload   []byte
	Timestamp time.Time // arrival time, for timestamp()
}

// EvalError is a rule error found while evaluating a query: Offset is the
// 0-based byte offset in the SQL of the expression at fault (-1 when the
// error concerns the whole query).
type EvalError struct {
	Offset int
	Msg    string
}

// Error gives the offset and the message.
func (e *EvalError) Error() string {
	if e.Offset < 0 {
		return "evaluating SQL: " + e.Msg
	}
	return fmt.Sprintf("evaluating SQL at offset %d: %s", e.Offset, e.Msg)
}

type undefinedValue struct{}

// undefined is the Undefined value. AWS: IoT SQL reference, "Data types".
var undefined any = undefinedValue{}

func isUndefined(v any) bool { _, ok := v.(undefinedValue); return ok }

// object is a JSON object that keeps its members in insertion order, so
// outputs list members as the payload and the SELECT list do.
type object struct {
	keys []string
	vals map[string]any
}

func newObject() *object { return &object{vals: map[string]any{}} }

func (o *object) set(k string, v any) {
	if _, ok := o.vals[k]; !ok {
		o.keys = append(o.keys, k)
	}
	o.vals[k] = v
}

// evalCtx is one evaluation: the message and its payload decoded once.
type evalCtx struct {
	m       Message
	payload any // decoded JSON payload; undefined when not JSON
}

// Evaluate runs q against m. matched is false when the FROM topic filter
// does not match m.Topic or the WHERE condition is not true (false, or
// Undefined). out is the message the rule's actions receive: a JSON object
// built from the SELECT list, or, for a bare SELECT *, the payload bytes
// unchanged (AWS passes binary payloads through; AWS: IoT SQL reference,
// "Binary payloads"). err is an *EvalError for rule errors; type mismatches
// are Undefined, not errors.
func (q *Query) Evaluate(m Message) (out []byte, matched bool, err error) {
	if !MatchTopic(q.Topic, m.Topic) {
		return nil, false, nil
	}
	c := &evalCtx{m: m, payload: undefined}
	if v, ok := decodeJSON(m.Payload); ok {
		c.payload = v
	}
	if q.Where != nil {
		w, err := c.eval(q.Where)
		if err != nil {
			return nil, false, err
		}
		// [INF] Like AND/OR/NOT, WHERE takes a Boolean or a "true"/"false"
		// string; anything else (Undefined included) is not a match.
		if b, ok := toBool(w); !ok || !b {
			return nil, false, nil
		}
	}
	if len(q.Fields) == 1 && q.Fields[0].Star {
		// AWS: IoT SQL reference, "JSON extensions": "If the message payload
		// is not in JSON format, * returns the entire message payload as
		// raw bytes." [INF] A JSON payload is passed on as published too
		// (AWS re-serializes it; only insignificant whitespace may differ).
		return bytes.Clone(m.Payload), true, nil
	}
	res := newObject()
	for i, f := range q.Fields {
		if f.Star {
			// AWS: IoT SQL reference, "Binary payloads": data can be added
			// to "an empty or a JSON payload".
			switch p := c.payload.(type) {
			case *object:
				for _, k := range p.keys {
					res.set(k, p.vals[k])
				}
			default:
				if len(bytes.TrimSpace(m.Payload)) == 0 {
					continue
				}
				// [INF] AWS fails the rule; the guide does not say how.
				return nil, false, &EvalError{Offset: f.P, Msg: "SELECT * with other items needs an empty or JSON object payload"}
			}
			continue
		}
		v, err := c.eval(f.Expr)
		if err != nil {
			return nil, false, err
		}
		if isUndefined(v) {
			// AWS: IoT SQL reference, "Data types": Undefined is omitted.
			continue
		}
		res.set(fieldName(f, i), v)
	}
	return encodeValue(res), true, nil
}

// fieldName is the output member name of the i-th (0-based) SELECT item:
// the alias, else the last member name of a reference (AWS: IoT SQL
// reference, "SELECT clause": SELECT color → {"color":...}). [INF] AWS
// does not document the name of other unaliased items (function calls,
// operators, literals, indexes); they are named _1, _2, ... by their
// 1-based position in the SELECT list.
func fieldName(f Field, i int) string {
	if f.Alias != "" {
		return f.Alias
	}
	switch e := f.Expr.(type) {
	case *Ref:
		return e.Name
	case *Selector:
		return e.Name
	}
	return "_" + strconv.Itoa(i+1)
}

func (c *evalCtx) eval(e Expr) (any, error) {
	switch e := e.(type) {
	case *Literal:
		return literalValue(e), nil
	case *Ref:
		return member(c.payload, e.Name), nil
	case *Selector:
		x, err := c.eval(e.X)
		if err != nil {
			return nil, err
		}
		return member(x, e.Name), nil
	case *Index:
		x, err := c.eval(e.X)
		if err != nil {
			return nil, err
		}
		i, err := c.eval(e.Index)
		if err != nil {
			return nil, err
		}
		return index(x, i), nil
	case *Call:
		v, err := c.call(e)
		return capSize(v), err
	case *Unary:
		x, err := c.eval(e.X)
		if err != nil {
			return nil, err
		}
		if e.Op == "NOT" {
			// AWS: IoT SQL reference, "Operators" (NOT).
			if b, ok := toBool(x); ok {
				return !b, nil
			}
			return undefined, nil
		}
		return negate(x), nil
	case *Binary:
		x, err := c.eval(e.X)
		if err != nil {
			return nil, err
		}
		y, err := c.eval(e.Y)
		if err != nil {
			return nil, err
		}
		return capSize(binary(e.Op, x, y)), nil
	case *Star:
		return nil, &EvalError{Offset: e.P, Msg: "'*' is only allowed as the first argument of encode()"}
	case nil:
		return nil, &EvalError{Offset: -1, Msg: "missing expression"}
	}
	return nil, &EvalError{Offset: e.Pos(), Msg: fmt.Sprintf("unsupported expression %T", e)}
}

// maxValueBytes bounds the strings and arrays an expression may build, so
// a hostile rule (replace(s, ”, s) nested, or encode nested 100 deep)
// cannot exhaust memory. [INF] A value past it is Undefined; the limit is
// the AWS IoT message size quota, 128 KB.
const maxValueBytes = 128 * 1024

// capSize turns a String or Array larger than maxValueBytes (as JSON,
// roughly) into Undefined.
func capSize(v any) any {
	switch v := v.(type) {
	case string:
		if len(v) > maxValueBytes {
			return undefined
		}
	case []any:
		if valueSize(v, maxValueBytes) > maxValueBytes {
			return undefined
		}
	}
	return v
}

// valueSize is about the JSON size of v, counted no further than limit.
func valueSize(v any, limit int) int {
	switch v := v.(type) {
	case string:
		return len(v) + 2
	case []any:
		n := 2
		for _, x := range v {
			if n += valueSize(x, limit-n) + 1; n > limit {
				break
			}
		}
		return n
	case *object:
		n := 2
		for _, k := range v.keys {
			if n += len(k) + 4 + valueSize(v.vals[k], limit-n); n > limit {
				break
			}
		}
		return n
	}
	return 8
}

// literalValue: a number literal without '.' is an Int when it fits in
// int64 ([INF] larger ones are Decimals).
func literalValue(l *Literal) any {
	f, ok := l.Value.(float64)
	if !ok {
		return l.Value
	}
	if !strings.ContainsAny(l.Text, ".eE") {
		if n, err := strconv.ParseInt(l.Text, 10, 64); err == nil {
			return n
		}
	}
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return undefined
	}
	return f
}

func member(x any, name string) any {
	if o, ok := x.(*object); ok {
		if v, ok := o.vals[name]; ok {
			return v
		}
	}
	return undefined
}

// index: an Array indexed by a 0-based Int (or whole Decimal [INF]);
// anything else, or out of range, is Undefined.
func index(x, i any) any {
	a, ok := x.([]any)
	if !ok {
		return undefined
	}
	var n int64
	switch i := i.(type) {
	case int64:
		n = i
	case float64:
		if i != math.Trunc(i) || math.Abs(i) > 1<<53 {
			return undefined
		}
		n = int64(i)
	default:
		return undefined
	}
	if n < 0 || n >= int64(len(a)) {
		return undefined
	}
	return a[n]
}

// decimalRE is the string form AWS converts to a Decimal. AWS: IoT SQL
// reference, "Data types", Conversions.
var decimalRE = regexp.MustCompile(`^-?\d+(\.\d+)?([eE]-?\d+)?$`)

// toDecimal converts Int, Decimal and numeric strings; ok is false for
// everything else.
func toDecimal(v any) (float64, bool) {
	switch v := v.(type) {
	case int64:
		return float64(v), true
	case float64:
		return v, true
	case string:
		if !decimalRE.MatchString(v) {
			return 0, false
		}
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || math.IsInf(f, 0) {
			return 0, false
		}
		return f, true
	}
	return 0, false
}

// toBool: Boolean, or the strings "true"/"false" in any case. AWS: IoT SQL
// reference, "Data types", Conversions (To Boolean).
func toBool(v any) (bool, bool) {
	switch v := v.(type) {
	case bool:
		return v, true
	case string:
		switch strings.ToLower(v) {
		case "true":
			return true, true
		case "false":
			return false, true
		}
	}
	return false, false
}

// toString is the standard conversion to String; ok is false for Null and
// Undefined. AWS: IoT SQL reference, "Data types", Conversions (To string).
func toString(v any) (string, bool) {
	switch v := v.(type) {
	case string:
		return v, true
	case nil, undefinedValue:
		return "", false
	case bool:
		return strconv.FormatBool(v), true
	case int64:
		return strconv.FormatInt(v, 10), true
	case float64:
		return formatDecimal(v), true
	}
	return string(encodeValue(v)), true
}

// wholeNumber returns a whole Decimal as an Int when it fits in int64
// ([INF] floor, ceil and round of a larger value stay Decimal), and
// Undefined when it is not finite.
func wholeNumber(f float64) any {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return undefined
	}
	if f >= -(1<<63) && f < 1<<63 {
		return int64(f)
	}
	return f
}

func decimal(f float64) any {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return undefined
	}
	return f
}

func negate(x any) any {
	switch x := x.(type) {
	case int64:
		if x == math.MinInt64 {
			return -float64(x)
		}
		return -x
	case float64:
		return -x
	case string:
		// [INF] like binary '-': a numeric string becomes a Decimal.
		if f, ok := toDecimal(x); ok {
			return -f
		}
	}
	return undefined
}

// binary applies a binary operator. AWS: IoT SQL reference, "Operators".
func binary(op string, x, y any) any {
	switch op {
	case "AND", "OR":
		a, ok1 := toBool(x)
		b, ok2 := toBool(y)
		if !ok1 || !ok2 {
			return undefined
		}
		if op == "AND" {
			return a && b
		}
		return a || b
	case "=", "<>":
		if isUndefined(x) || isUndefined(y) {
			return undefined
		}
		eq := equal(x, y)
		if op == "=" {
			return eq
		}
		return !eq
	case "<", "<=", ">", ">=":
		return compare(op, x, y)
	case "||":
		// [INF] AWS does not document ||; it is concat(x, y).
		return concat([]any{x, y})
	case "+":
		_, xs := x.(string)
		_, ys := y.(string)
		if xs || ys {
			// "+" with a String operand converts the other and concatenates.
			a, ok1 := toString(x)
			b, ok2 := toString(y)
			if !ok1 || !ok2 || len(a)+len(b) > maxValueBytes {
				return undefined
			}
			return a + b
		}
	}
	return arith(op, x, y)
}

// arith is + - * / % on Int and Decimal; Int op Int stays Int. Strings
// that convert to Decimal give a Decimal (not for +, where a String means
// concatenation). [INF] Int division truncates toward zero, % takes the
// sign of the dividend, division or remainder by zero is Undefined, and an
// Int result that overflows int64 becomes a Decimal.
func arith(op string, x, y any) any {
	a, aInt := x.(int64)
	b, bInt := y.(int64)
	if aInt && bInt {
		switch op {
		case "+":
			if s := a + b; (s > a) == (b > 0) {
				return s
			}
		case "-":
			if d := a - b; (d < a) == (b > 0) {
				return d
			}
		case "*":
			if a == 0 || b == 0 {
				return int64(0)
			}
			if p := a * b; p/b == a && !(a == -1 && b == math.MinInt64) && !(b == -1 && a == math.MinInt64) {
				return p
			}
		case "/", "%":
			if b == 0 {
				return undefined
			}
			if b == -1 && a == math.MinInt64 {
				if op == "%" {
					return int64(0)
				}
				break
			}
			if op == "/" {
				return a / b
			}
			return a % b
		}
	}
	if op == "+" {
		if !isNumber(x) || !isNumber(y) {
			return undefined
		}
	}
	f, ok1 := toDecimal(x)
	g, ok2 := toDecimal(y)
	if !ok1 || !ok2 {
		return undefined
	}
	switch op {
	case "+":
		return decimal(f + g)
	case "-":
		return decimal(f - g)
	case "*":
		return decimal(f * g)
	case "/":
		if g == 0 {
			return undefined
		}
		return decimal(f / g)
	case "%":
		if g == 0 {
			return undefined
		}
		return decimal(math.Mod(f, g))
	}
	return undefined
}

func isNumber(v any) bool {
	switch v.(type) {
	case int64, float64:
		return true
	}
	return false
}

// compare: both operands are converted to Decimal; otherwise Undefined.
func compare(op string, x, y any) any {
	var c int
	a, aInt := x.(int64)
	b, bInt := y.(int64)
	if aInt && bInt {
		c = cmpOrdered(a, b)
	} else {
		f, ok1 := toDecimal(x)
		g, ok2 := toDecimal(y)
		if !ok1 || !ok2 {
			return undefined
		}
		c = cmpOrdered(f, g)
	}
	switch op {
	case "<":
		return c < 0
	case "<=":
		return c <= 0
	case ">":
		return c > 0
	}
	return c >= 0
}

func cmpOrdered[T int64 | float64](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// equal is "=": Int and Decimal compare as numbers, Arrays item by item in
// order, Objects member by member in any order; values of mismatched types
// are not equal. [INF] Null = Null is true (the guide gives Null <> Null
// as false), and the same rules apply to items nested in Arrays and
// Objects.
func equal(x, y any) bool {
	switch a := x.(type) {
	case nil:
		return y == nil
	case bool:
		b, ok := y.(bool)
		return ok && a == b
	case string:
		b, ok := y.(string)
		return ok && a == b
	case int64:
		switch b := y.(type) {
		case int64:
			return a == b
		case float64:
			return float64(a) == b
		}
	case float64:
		switch b := y.(type) {
		case int64:
			return a == float64(b)
		case float64:
			return a == b
		}
	case []any:
		b, ok := y.([]any)
		if !ok || len(a) != len(b) {
			return false
		}
		for i := range a {
			if !equal(a[i], b[i]) {
				return false
			}
		}
		return true
	case *object:
		b, ok := y.(*object)
		if !ok || len(a.vals) != len(b.vals) {
			return false
		}
		for k, v := range a.vals {
			w, ok := b.vals[k]
			if !ok || !equal(v, w) {
				return false
			}
		}
		return true
	}
	return false
}

// concat: AWS: IoT SQL reference, "Functions" (concat). No arguments is
// Undefined, one is returned unchanged; with an Array among them the
// result is one Array of all items (Arrays flattened one level),
// otherwise, with a String among them, the concatenated strings. [INF]
// Otherwise (say only numbers), or with a Null or Undefined argument, the
// result is Undefined.
func concat(args []any) any {
	switch len(args) {
	case 0:
		return undefined
	case 1:
		return args[0]
	}
	hasArray, hasString := false, false
	for _, a := range args {
		switch a.(type) {
		case nil, undefinedValue:
			return undefined
		case []any:
			hasArray = true
		case string:
			hasString = true
		}
	}
	size := 0
	for _, a := range args {
		if size += valueSize(a, maxValueBytes-size); size > maxValueBytes {
			return undefined
		}
	}
	if hasArray {
		var out []any
		for _, a := range args {
			if arr, ok := a.([]any); ok {
				out = append(out, arr...)
			} else {
				out = append(out, a)
			}
		}
		return out
	}
	if !hasString {
		return undefined
	}
	var b strings.Builder
	for _, a := range args {
		s, _ := toString(a)
		b.WriteString(s)
	}
	return b.String()
}

// call evaluates a function. AWS: IoT SQL reference, "Functions".
func (c *evalCtx) call(e *Call) (any, error) {
	if e.Name == "encode" {
		return c.encode(e)
	}
	args := make([]any, len(e.Args))
	for i, a := range e.Args {
		v, err := c.eval(a)
		if err != nil {
			return nil, err
		}
		args[i] = v
	}
	arities, known := sqlFunctions[e.Name]
	arityOK := false
	for _, n := range arities {
		arityOK = arityOK || n == len(args) || n == variadic
	}
	if !known || !arityOK {
		// The parser rejects these; a hand-built Query may not.
		return nil, &EvalError{Offset: e.P, Msg: fmt.Sprintf("function %s() with %d arguments is not supported", e.Name, len(args))}
	}
	switch e.Name {
	case "topic":
		return c.topic(args)
	case "clientid":
		// "n/a" when the message was not sent over MQTT.
		if c.m.ClientID == "" {
			return "n/a", nil
		}
		return c.m.ClientID, nil
	case "principal":
		// [INF] a message without a principal gives Undefined.
		if c.m.Principal == "" {
			return undefined, nil
		}
		return c.m.Principal, nil
	case "timestamp":
		// [INF] a message without an arrival time uses the current time.
		t := c.m.Timestamp
		if t.IsZero() {
			t = time.Now()
		}
		return t.UnixMilli(), nil
	case "newuuid":
		return newUUID(), nil
	case "decode":
		return decodeBase64(args[0]), nil
	case "upper", "lower", "trim", "ltrim", "rtrim", "length", "numbytes":
		s, ok := toString(args[0])
		if !ok {
			return undefined, nil
		}
		return stringFunc(e.Name, s), nil
	case "concat":
		return concat(args), nil
	case "startswith", "endswith", "indexof":
		a, ok1 := toString(args[0])
		b, ok2 := toString(args[1])
		if !ok1 || !ok2 {
			return undefined, nil
		}
		switch e.Name {
		case "startswith":
			return strings.HasPrefix(a, b), nil
		case "endswith":
			return strings.HasSuffix(a, b), nil
		}
		// [INF] indexof counts characters (code points), like length.
		i := strings.Index(a, b)
		if i < 0 {
			return int64(-1), nil
		}
		return int64(utf8.RuneCountInString(a[:i])), nil
	case "substring":
		return substring(args), nil
	case "replace":
		s, ok1 := toString(args[0])
		old, ok2 := toString(args[1])
		repl, ok3 := toString(args[2])
		if !ok1 || !ok2 || !ok3 {
			return undefined, nil
		}
		n := strings.Count(s, old)
		if len(s)+n*(len(repl)-len(old)) > maxValueBytes {
			return undefined, nil
		}
		return strings.ReplaceAll(s, old, repl), nil
	case "abs", "floor", "ceil", "round", "sign":
		return numberFunc(e.Name, args[0]), nil
	case "mod":
		return arith("%", args[0], args[1]), nil
	case "isnull":
		return args[0] == nil, nil
	case "isundefined":
		return isUndefined(args[0]), nil
	}
	return nil, &EvalError{Offset: e.P, Msg: fmt.Sprintf("function %s() is not implemented", e.Name)}
}

// topic() is the whole topic, topic(n) its n-th (1-based) level; a level
// past the end is Undefined [INF]. The Basic Ingest prefix
// $aws/rules/<rule-name>/ is not part of it (AWS: IoT SQL reference,
// "Functions", topic).
func (c *evalCtx) topic(args []any) (any, error) {
	t := c.m.Topic
	if strings.HasPrefix(t, "$aws/rules/") {
		if parts := strings.SplitN(t, "/", 4); len(parts) == 4 {
			t = parts[3]
		}
	}
	if len(args) == 0 {
		return t, nil
	}
	f, ok := toDecimal(args[0])
	if !ok || f < 1 {
		return undefined, nil
	}
	levels := strings.Split(t, "/")
	if f > float64(len(levels)) {
		return undefined, nil
	}
	return levels[int(f)-1], nil
}

// encode(value, 'base64'): * is the raw payload bytes, any other value is
// first converted to a string (AWS: IoT SQL reference, "Functions",
// encode).
func (c *evalCtx) encode(e *Call) (any, error) {
	if len(e.Args) != 2 {
		return nil, &EvalError{Offset: e.P, Msg: fmt.Sprintf("function encode() takes 2 arguments, got %d", len(e.Args))}
	}
	scheme, err := c.eval(e.Args[1])
	if err != nil {
		return nil, err
	}
	if s, ok := scheme.(string); !ok || !strings.EqualFold(s, "base64") {
		return nil, &EvalError{Offset: e.Args[1].Pos(), Msg: "encode() supports only the scheme 'base64'"}
	}
	var data []byte
	if _, ok := e.Args[0].(*Star); ok {
		data = c.m.Payload
	} else {
		v, err := c.eval(e.Args[0])
		if err != nil {
			return nil, err
		}
		s, ok := toString(v)
		if !ok {
			return undefined, nil
		}
		data = []byte(s)
	}
	return base64.StdEncoding.EncodeToString(data), nil
}

// decodeBase64: a decoded JSON document is returned as a value, anything
// else as a string; what cannot be decoded is Null (AWS: IoT SQL
// reference, "Functions", decode). [INF] A non-String value is converted
// to a string first; Null or Undefined give Undefined.
func decodeBase64(v any) any {
	s, ok := toString(v)
	if !ok {
		return undefined
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil
	}
	if j, ok := decodeJSON(b); ok {
		return j
	}
	return string(b)
}

// stringFunc applies a one-String function. [INF] length counts
// characters as Unicode code points; trim removes Unicode white space.
func stringFunc(name, s string) any {
	switch name {
	case "upper":
		return strings.ToUpper(s)
	case "lower":
		return strings.ToLower(s)
	case "trim":
		return strings.TrimSpace(s)
	case "ltrim":
		return strings.TrimLeft(s, " \t\n\r\v\f")
	case "rtrim":
		return strings.TrimRight(s, " \t\n\r\v\f")
	case "length":
		return int64(utf8.RuneCountInString(s))
	}
	return int64(len(s)) // numbytes
}

// substring(String, Int[, Int]): 0-based indices, clamped to the string;
// start >= end gives "". Non-Int indices are converted (the guide's
// examples truncate: substring("012345", 2.745) = "2345"). [INF] Indices
// count code points.
func substring(args []any) any {
	s, ok := toString(args[0])
	if !ok {
		return undefined
	}
	r := []rune(s)
	clamp := func(v any) (int, bool) {
		f, ok := toDecimal(v)
		if !ok {
			return 0, false
		}
		f = math.Trunc(f)
		switch {
		case f < 0:
			return 0, true
		case f > float64(len(r)):
			return len(r), true
		}
		return int(f), true
	}
	start, ok := clamp(args[1])
	if !ok {
		return undefined
	}
	end := len(r)
	if len(args) == 3 {
		if end, ok = clamp(args[2]); !ok {
			return undefined
		}
	}
	if start >= end {
		return ""
	}
	return string(r[start:end])
}

// numberFunc applies abs, floor, ceil, round or sign. Int arguments keep
// their value; Decimals and numeric Strings are converted; floor, ceil and
// round give Int, abs of a Decimal or String gives Decimal. round rounds
// half away from zero (round(-1.5) = -2). [INF] sign gives Int.
func numberFunc(name string, v any) any {
	if n, ok := v.(int64); ok {
		switch name {
		case "abs":
			if n < 0 {
				if n == math.MinInt64 {
					return -float64(n)
				}
				return -n
			}
			return n
		case "sign":
			return int64(cmpOrdered(n, 0))
		}
		return n
	}
	f, ok := toDecimal(v)
	if !ok {
		return undefined
	}
	switch name {
	case "abs":
		return math.Abs(f)
	case "floor":
		return wholeNumber(math.Floor(f))
	case "ceil":
		return wholeNumber(math.Ceil(f))
	case "round":
		return wholeNumber(math.Round(f))
	}
	return int64(cmpOrdered(f, 0))
}

// decodeJSON decodes a JSON document into evaluator values, keeping object
// member order; ok is false when b is not JSON (a binary payload).
func decodeJSON(b []byte) (any, bool) {
	if !json.Valid(b) {
		return nil, false
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	v, err := decodeValue(d)
	if err != nil {
		return nil, false
	}
	return v, true
}

func decodeValue(d *json.Decoder) (any, error) {
	t, err := d.Token()
	if err != nil {
		return nil, err
	}
	switch t := t.(type) {
	case json.Delim:
		switch t {
		case '{':
			o := newObject()
			for d.More() {
				k, err := d.Token()
				if err != nil {
					return nil, err
				}
				v, err := decodeValue(d)
				if err != nil {
					return nil, err
				}
				ks, _ := k.(string)
				if !isUndefined(v) {
					o.set(ks, v)
				}
			}
			_, err := d.Token()
			return o, err
		case '[':
			a := []any{}
			for d.More() {
				v, err := decodeValue(d)
				if err != nil {
					return nil, err
				}
				if isUndefined(v) {
					v = nil // [INF] an out-of-range number in an array is Null
				}
				a = append(a, v)
			}
			_, err := d.Token()
			return a, err
		}
		return nil, io.ErrUnexpectedEOF
	case json.Number:
		s := string(t)
		if !strings.ContainsAny(s, ".eE") {
			if n, err := strconv.ParseInt(s, 10, 64); err == nil {
				return n, nil
			}
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			// [INF] a number beyond float64 (AWS allows 34 digits and
			// exponents to 999) is Undefined.
			return undefined, nil
		}
		return f, nil
	}
	return t, nil // string, bool or nil
}

// formatDecimal prints a Decimal the way encoding/json prints a float64:
// shortest representation, no trailing ".0" for whole numbers, exponent
// form below 1e-6 and from 1e21.
func formatDecimal(f float64) string {
	if a := math.Abs(f); a != 0 && (a < 1e-6 || a >= 1e21) {
		s := strconv.FormatFloat(f, 'e', -1, 64)
		// 1e-07 → 1e-7, as encoding/json does.
		if n := len(s); n >= 4 && s[n-4] == 'e' && s[n-3] == '-' && s[n-2] == '0' {
			s = s[:n-2] + s[n-1:]
		}
		return s
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}

// encodeValue serializes a value as compact JSON; Undefined members are
// left out of objects (there are none in arrays).
func encodeValue(v any) []byte {
	var b bytes.Buffer
	writeValue(&b, v)
	return b.Bytes()
}

func writeValue(b *bytes.Buffer, v any) {
	switch v := v.(type) {
	case nil, undefinedValue:
		b.WriteString("null")
	case bool:
		b.WriteString(strconv.FormatBool(v))
	case int64:
		b.WriteString(strconv.FormatInt(v, 10))
	case float64:
		if math.IsInf(v, 0) || math.IsNaN(v) {
			b.WriteString("null")
			return
		}
		b.WriteString(formatDecimal(v))
	case string:
		writeString(b, v)
	case []any:
		b.WriteByte('[')
		for i, x := range v {
			if i > 0 {
				b.WriteByte(',')
			}
			writeValue(b, x)
		}
		b.WriteByte(']')
	case *object:
		b.WriteByte('{')
		first := true
		for _, k := range v.keys {
			x := v.vals[k]
			if isUndefined(x) {
				continue
			}
			if !first {
				b.WriteByte(',')
			}
			first = false
			writeString(b, k)
			b.WriteByte(':')
			writeValue(b, x)
		}
		b.WriteByte('}')
	default:
		b.WriteString("null")
	}
}

func writeString(b *bytes.Buffer, s string) {
	e := json.NewEncoder(b)
	e.SetEscapeHTML(false)
	_ = e.Encode(s)
	b.Truncate(b.Len() - 1) // Encode's newline
}
