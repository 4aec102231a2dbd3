package tdm

import (
	"math"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The conversions a cast performs; castKind maps a type name to one.
const (
	castString  = "string"
	castInteger = "integer"
	castFloat   = "float"
	castBoolean = "boolean"
	castNumber  = "number"
	castObject  = "object"
)

var castTypes = map[string]string{
	"string":  castString,
	"integer": castInteger, "int": castInteger, "long": castInteger, "short": castInteger, "byte": castInteger,
	"int8": castInteger, "int16": castInteger, "int32": castInteger, "int64": castInteger,
	"uint8": castInteger, "uint16": castInteger, "uint32": castInteger, "uint64": castInteger,
	"double": castFloat, "float": castFloat, "float32": castFloat, "float64": castFloat,
	"boolean": castBoolean, "bool": castBoolean,
	"number": castNumber,
	"object": castObject,
}

// castTypeList names the accepted cast types in error messages.
const castTypeList = "String, Integer, Long, Short, Byte, Int8..Int64, UInt8..UInt64, Double, Float, Float32, Float64, Boolean, Number, Object (any case)"

// castKind returns the conversion a cast to name performs, or "" when name
// is not a cast type. Names compare case-insensitively (TDM keywords are
// case-insensitive, spec §2.1).
func castKind(name string) string { return castTypes[strings.ToLower(name)] }

// evalCast converts v as (e.Type) v. [INF] Casts convert rather than
// check, as the guide's examples ((String) x) need: numbers to strings and
// back, floats truncated toward zero to integers, "true"/"false" (any case)
// to booleans. Integers stay 64-bit whatever the named width. null stays
// null.
func evalCast(e *Cast, v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	kind := castKind(e.Type)
	switch kind {
	case castObject:
		return v, nil
	case castString:
		return toString(v), nil
	case castBoolean:
		switch x := v.(type) {
		case bool:
			return x, nil
		case string:
			return strings.EqualFold(strings.TrimSpace(x), "true"), nil
		}
	case castInteger, castFloat, castNumber:
		i, f, isInt, ok := number(v)
		if s, isStr := v.(string); isStr {
			s = strings.TrimSpace(s)
			if n, err := strconv.ParseInt(s, 10, 64); err == nil {
				i, f, isInt, ok = n, float64(n), true, true
			} else if x, err := strconv.ParseFloat(s, 64); err == nil {
				i, f, isInt, ok = 0, x, false, true
			} else {
				return nil, evalErr(e, "cannot convert string %q to %s: not a number", s, e.Type)
			}
		}
		if !ok {
			break
		}
		switch kind {
		case castFloat:
			return f, nil
		case castNumber:
			if isInt {
				return i, nil
			}
			return f, nil
		}
		if isInt {
			return i, nil
		}
		if math.IsNaN(f) || f >= 1<<63 || f < -(1<<63) {
			return nil, evalErr(e, "cannot convert %v to %s: out of range", f, e.Type)
		}
		return int64(f), nil
	}
	return nil, evalErr(e, "cannot convert a %s to %s", typeName(v), e.Type)
}

// mathFuncs are the tdm.lib.Math functions (wrapping java.lang.Math, spec
// §2.12), called as tdm.lib.Math.<name>(...) or Math.<name>(...).
var mathFuncs = map[string]int{"min": 2, "max": 2, "abs": 1, "floor": 1, "ceil": 1, "round": 1, "pow": 2, "sqrt": 1}

// mathFunc returns the function name when dotted names a tdm.lib.Math
// function.
func mathFunc(dotted string) (string, bool) {
	for _, pre := range []string{"tdm.lib.Math.", "Math."} {
		if len(dotted) > len(pre) && strings.EqualFold(dotted[:len(pre)], pre) {
			name := dotted[len(pre):]
			if _, ok := mathFuncs[name]; ok {
				return name, true
			}
		}
	}
	return "", false
}

func evalMath(e *Call, name string, args []any) (any, error) {
	if n := mathFuncs[name]; len(args) != n {
		return nil, evalErr(e, "Math.%s takes %d argument(s), found %d", name, n, len(args))
	}
	type num struct {
		i     int64
		f     float64
		isInt bool
	}
	ns := make([]num, len(args))
	for k, a := range args {
		i, f, isInt, ok := number(a)
		if !ok {
			return nil, evalErr(e, "Math.%s: argument %d must be a number, found a %s", name, k+1, typeName(a))
		}
		ns[k] = num{i, f, isInt}
	}
	switch name {
	case "min", "max":
		a, b := ns[0], ns[1]
		if a.isInt && b.isInt {
			if (name == "min") == (a.i < b.i) {
				return a.i, nil
			}
			return b.i, nil
		}
		if name == "min" {
			return math.Min(a.f, b.f), nil
		}
		return math.Max(a.f, b.f), nil
	case "abs":
		if ns[0].isInt && ns[0].i != math.MinInt64 {
			if ns[0].i < 0 {
				return -ns[0].i, nil
			}
			return ns[0].i, nil
		}
		return math.Abs(ns[0].f), nil
	case "floor":
		return math.Floor(ns[0].f), nil
	case "ceil":
		return math.Ceil(ns[0].f), nil
	case "round":
		// java.lang.Math.round: floor(x + 0.5), as a long.
		if ns[0].isInt {
			return ns[0].i, nil
		}
		r := math.Floor(ns[0].f + 0.5)
		if math.IsNaN(r) {
			return int64(0), nil
		}
		if r >= 1<<63 {
			return int64(math.MaxInt64), nil
		}
		if r < -(1 << 63) {
			return int64(math.MinInt64), nil
		}
		return int64(r), nil
	case "pow":
		return math.Pow(ns[0].f, ns[1].f), nil
	}
	return math.Sqrt(ns[0].f), nil
}

// stringMethods are the java.lang.String methods values support, with
// their argument counts (min, max).
var stringMethods = map[string][2]int{
	"length": {0, 0}, "charAt": {1, 1}, "substring": {1, 2},
	"toUpperCase": {0, 0}, "toLowerCase": {0, 0}, "trim": {0, 0}, "isEmpty": {0, 0},
	"contains": {1, 1}, "startsWith": {1, 1}, "endsWith": {1, 1},
	"equals": {1, 1}, "equalsIgnoreCase": {1, 1}, "indexOf": {1, 1}, "lastIndexOf": {1, 1},
	"concat": {1, 1}, "replace": {2, 2}, "toString": {0, 0},
}

func methodList() string {
	names := make([]string, 0, len(stringMethods))
	for n := range stringMethods {
		names = append(names, n)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// evalMethod calls method name on recv. [INF] Strings are indexed by
// runes (Java counts UTF-16 units; the two agree outside the astral
// planes). equals and toString apply to any value; other methods need a
// string.
func evalMethod(e *Call, recv any, name string, args []any) (any, error) {
	n, ok := stringMethods[name]
	if !ok {
		return nil, evalErr(e, "unknown method %s() on a %s; the supported java.lang.String methods are %s", name, typeName(recv), methodList())
	}
	if len(args) < n[0] || len(args) > n[1] {
		want := strconv.Itoa(n[0])
		if n[1] != n[0] {
			want += " or " + strconv.Itoa(n[1])
		}
		return nil, evalErr(e, "%s() takes %s argument(s), found %d", name, want, len(args))
	}
	switch name {
	case "equals":
		return equal(recv, args[0]), nil
	case "toString":
		if recv == nil {
			return nil, evalErr(e, "cannot call toString() on null")
		}
		return toString(recv), nil
	}
	s, isStr := recv.(string)
	if !isStr {
		return nil, evalErr(e, "cannot call %s() on a %s; cast it first, e.g. ((String) x).%s()", name, typeName(recv), name)
	}
	strArg := func(k int) (string, error) {
		a, ok := args[k].(string)
		if !ok {
			return "", evalErr(e, "%s(): argument %d must be a string, found a %s", name, k+1, typeName(args[k]))
		}
		return a, nil
	}
	intArg := func(k int) (int, error) {
		i, _, isInt, ok := number(args[k])
		if !ok || !isInt || i < math.MinInt32 || i > math.MaxInt32 {
			return 0, evalErr(e, "%s(): argument %d must be an integer, found %s", name, k+1, toString(args[k]))
		}
		return int(i), nil
	}
	runes := []rune(s)
	switch name {
	case "length":
		return int64(len(runes)), nil
	case "isEmpty":
		return s == "", nil
	case "toUpperCase":
		return strings.ToUpper(s), nil
	case "toLowerCase":
		return strings.ToLower(s), nil
	case "trim":
		return strings.TrimSpace(s), nil
	case "charAt":
		i, err := intArg(0)
		if err != nil {
			return nil, err
		}
		if i < 0 || i >= len(runes) {
			return nil, evalErr(e, "charAt(%d): index out of range (length %d)", i, len(runes))
		}
		return string(runes[i]), nil
	case "substring":
		b, err := intArg(0)
		if err != nil {
			return nil, err
		}
		end := len(runes)
		if len(args) == 2 {
			if end, err = intArg(1); err != nil {
				return nil, err
			}
		}
		if b < 0 || end > len(runes) || b > end {
			return nil, evalErr(e, "substring(%d, %d): range out of bounds (length %d)", b, end, len(runes))
		}
		return string(runes[b:end]), nil
	case "replace":
		a, err := strArg(0)
		if err != nil {
			return nil, err
		}
		b, err := strArg(1)
		if err != nil {
			return nil, err
		}
		return strings.ReplaceAll(s, a, b), nil
	}
	a, err := strArg(0)
	if err != nil {
		return nil, err
	}
	switch name {
	case "contains":
		return strings.Contains(s, a), nil
	case "startsWith":
		return strings.HasPrefix(s, a), nil
	case "endsWith":
		return strings.HasSuffix(s, a), nil
	case "equalsIgnoreCase":
		return strings.EqualFold(s, a), nil
	case "concat":
		return s + a, nil
	case "indexOf", "lastIndexOf":
		i := strings.Index(s, a)
		if name == "lastIndexOf" {
			i = strings.LastIndex(s, a)
		}
		if i < 0 {
			return int64(-1), nil
		}
		return int64(utf8.RuneCountInString(s[:i])), nil
	}
	return nil, evalErr(e, "unknown method %s()", name)
}

// evalCall evaluates a call: a tdm.lib.Math function, a method of a value,
// or a function of the Env.
//
// [INF] x.m(...) is a method call when x is not a plain dotted name
// ('a'.trim(), (x).trim(), a[0].trim()) or when the first segment of the
// dotted name is a name the Env knows (s.substring(1) with s a variable);
// otherwise the whole dotted name goes to Env.Call
// (ThingsGraph.startFlow, tdm.lib.getDate).
func evalCall(e *Call, env Env) (any, error) {
	args := make([]any, 0, len(e.Args))
	for _, a := range e.Args {
		v, err := eval(a, env)
		if err != nil {
			return nil, err
		}
		args = append(args, v)
	}
	name := dottedName(e.Fun)
	if fn, ok := mathFunc(name); ok {
		return evalMath(e, fn, args)
	}
	if m, ok := e.Fun.(*Member); ok {
		method := name == ""
		if !method {
			root := name
			if i := strings.IndexByte(root, '.'); i >= 0 {
				root = root[:i]
			}
			if env != nil {
				_, method = env.Lookup(root)
			}
		}
		if method {
			recv, err := eval(m.X, env)
			if err != nil {
				return nil, err
			}
			return evalMethod(e, recv, m.Name, args)
		}
	}
	if env == nil {
		return nil, evalErr(e, "unknown function %s", name)
	}
	v, err := env.Call(name, args)
	if err != nil {
		return nil, evalErr(e, "%s: %v", name, err)
	}
	return v, nil
}
