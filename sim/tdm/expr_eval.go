package tdm

import (
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
)

// Env supplies names and functions to Eval.
type Env interface {
	// Lookup returns the value of a top-level name (without any '$').
	Lookup(name string) (any, bool)
	// Call calls the function with the dotted name as written, e.g.
	// "ThingsGraph.startFlow", with the evaluated arguments.
	Call(name string, args []any) (any, error)
}

// Eval evaluates e. Values are string, int64, float64, bool, nil, []any and
// map[string]any (other Go integer and float types from Env are accepted).
// It never panics; type mismatches and unknown names are errors.
//
// [INF] Choices where the guide is silent: member access on null and on a
// missing key yields null (so a trigger over a device that has not yet sent
// an event is simply false); a filter matching nothing yields null, one
// match that element, several a list; integer arithmetic stays integral when
// both operands are integers (Java semantics); `+` concatenates when either
// side is a string. Casts convert (see evalCast); calls go to the
// tdm.lib.Math functions, to java.lang.String methods of a value, or to
// Env.Call (see evalCall). Errors name the node's position.
func Eval(e Expr, env Env) (v any, err error) {
	defer func() {
		if r := recover(); r != nil {
			v, err = nil, fmt.Errorf("internal error evaluating %s: %v", e, r)
		}
	}()
	if e == nil {
		return nil, fmt.Errorf("nil expression")
	}
	return eval(e, env)
}

func evalErr(e Expr, format string, args ...any) error {
	p := e.exprPos()
	return fmt.Errorf("%d:%d: %s", p.Line, p.Col, fmt.Sprintf(format, args...))
}

// Truthy reports whether v counts as true: true, a non-empty string, a
// non-zero number, a non-empty list, a non-nil object [DOC
// ug:iot-tg-sysdeploy-depconfig-cli: "true, non-empty string or non-zero
// number fire"].
func Truthy(v any) bool {
	switch v := v.(type) {
	case nil:
		return false
	case bool:
		return v
	case string:
		return v != ""
	case []any:
		return len(v) > 0
	}
	if i, f, isInt, ok := number(v); ok {
		if isInt {
			return i != 0
		}
		return f != 0 && !math.IsNaN(f)
	}
	return true
}

// typeName names the type of a value in error messages.
func typeName(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "string"
	case bool:
		return "boolean"
	case []any:
		return "list"
	case map[string]any, map[string]string:
		return "object"
	}
	if _, _, _, ok := number(v); ok {
		return "number"
	}
	return fmt.Sprintf("%T", v)
}

// number converts Go numeric types; isInt says the value is integral-typed.
func number(v any) (i int64, f float64, isInt, ok bool) {
	switch n := v.(type) {
	case int:
		return int64(n), float64(n), true, true
	case int8:
		return int64(n), float64(n), true, true
	case int16:
		return int64(n), float64(n), true, true
	case int32:
		return int64(n), float64(n), true, true
	case int64:
		return n, float64(n), true, true
	case uint8:
		return int64(n), float64(n), true, true
	case uint16:
		return int64(n), float64(n), true, true
	case uint32:
		return int64(n), float64(n), true, true
	case uint:
		if uint64(n) <= math.MaxInt64 {
			return int64(n), float64(n), true, true
		}
		return 0, float64(n), false, true
	case uint64:
		if n <= math.MaxInt64 {
			return int64(n), float64(n), true, true
		}
		return 0, float64(n), false, true
	case float32:
		return 0, float64(n), false, true
	case float64:
		return 0, n, false, true
	}
	return 0, 0, false, false
}

// scope overlays the keys of a filtered element on the outer Env.
type scope struct {
	elem  map[string]any
	outer Env
}

func (s scope) Lookup(name string) (any, bool) {
	if v, ok := s.elem[name]; ok {
		return v, true
	}
	if s.outer == nil {
		return nil, false
	}
	return s.outer.Lookup(name)
}

func (s scope) Call(name string, args []any) (any, error) {
	if s.outer == nil {
		return nil, fmt.Errorf("unknown function %s", name)
	}
	return s.outer.Call(name, args)
}

func eval(e Expr, env Env) (any, error) {
	switch e := e.(type) {
	case *Lit:
		return e.Value, nil
	case *Ident:
		if env != nil {
			if v, ok := env.Lookup(e.Name); ok {
				return v, nil
			}
		}
		return nil, evalErr(e, "unknown name %s", e)
	case *Template:
		return eval(e.X, env)
	case *ListLit:
		out := make([]any, 0, len(e.Elems))
		for _, x := range e.Elems {
			v, err := eval(x, env)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	case *Member:
		x, err := eval(e.X, env)
		if err != nil {
			return nil, err
		}
		switch m := x.(type) {
		case nil:
			return nil, nil
		case map[string]any:
			return m[e.Name], nil
		case map[string]string:
			if s, ok := m[e.Name]; ok {
				return s, nil
			}
			return nil, nil
		}
		return nil, evalErr(e, "cannot read member %q of a %s (%s)", e.Name, typeName(x), e.X)
	case *Index:
		return evalIndex(e, env)
	case *Call:
		return evalCall(e, env)
	case *Cast:
		x, err := eval(e.X, env)
		if err != nil {
			return nil, err
		}
		return evalCast(e, x)
	case *Unary:
		x, err := eval(e.X, env)
		if err != nil {
			return nil, err
		}
		if e.Op == "!" {
			return !Truthy(x), nil
		}
		i, f, isInt, ok := number(x)
		switch {
		case !ok:
			return nil, evalErr(e, "cannot negate a %s", typeName(x))
		case isInt && i != math.MinInt64:
			return -i, nil
		}
		return -f, nil
	case *Binary:
		return evalBinary(e, env)
	case *Cond:
		c, err := eval(e.C, env)
		if err != nil {
			return nil, err
		}
		if Truthy(c) {
			return eval(e.Then, env)
		}
		return eval(e.Else, env)
	}
	return nil, fmt.Errorf("unknown expression node %T", e)
}

// isPredicate reports whether an index expression is a filter predicate.
func isPredicate(x Expr) bool {
	switch x := x.(type) {
	case *Binary:
		switch x.Op {
		case "==", "!=", "<", "<=", ">", ">=", "&&", "||":
			return true
		}
	case *Unary:
		return x.Op == "!"
	}
	return false
}

func evalIndex(e *Index, env Env) (any, error) {
	x, err := eval(e.X, env)
	if err != nil {
		return nil, err
	}
	if isPredicate(e.Index) {
		list, ok := x.([]any)
		if !ok {
			if x == nil {
				return nil, nil
			}
			return nil, evalErr(e, "cannot filter a %s (%s); filters apply to lists", typeName(x), e.X)
		}
		var matches []any
		for _, el := range list {
			m, ok := el.(map[string]any)
			if !ok {
				return nil, evalErr(e, "cannot filter %s: element is a %s, not an object", e.X, typeName(el))
			}
			v, err := eval(e.Index, scope{elem: m, outer: env})
			if err != nil {
				return nil, err
			}
			if Truthy(v) {
				matches = append(matches, el)
			}
		}
		switch len(matches) {
		case 0:
			return nil, nil
		case 1:
			return matches[0], nil
		}
		return matches, nil
	}
	idx, err := eval(e.Index, env)
	if err != nil {
		return nil, err
	}
	switch c := x.(type) {
	case nil:
		return nil, nil
	case []any:
		i, _, isInt, ok := number(idx)
		if !ok || !isInt {
			return nil, evalErr(e, "list index must be an integer, found a %s", typeName(idx))
		}
		if i < 0 || i >= int64(len(c)) {
			return nil, evalErr(e, "index %d out of range (list length %d)", i, len(c))
		}
		return c[i], nil
	case map[string]any:
		k, ok := idx.(string)
		if !ok {
			return nil, evalErr(e, "object key must be a string, found a %s", typeName(idx))
		}
		return c[k], nil
	}
	return nil, evalErr(e, "cannot index a %s (%s)", typeName(x), e.X)
}

func evalBinary(e *Binary, env Env) (any, error) {
	x, err := eval(e.X, env)
	if err != nil {
		return nil, err
	}
	switch e.Op {
	case "&&":
		if !Truthy(x) {
			return false, nil
		}
		y, err := eval(e.Y, env)
		return Truthy(y), err
	case "||":
		if Truthy(x) {
			return true, nil
		}
		y, err := eval(e.Y, env)
		return Truthy(y), err
	case "??":
		if x != nil {
			return x, nil
		}
		return eval(e.Y, env)
	}
	y, err := eval(e.Y, env)
	if err != nil {
		return nil, err
	}
	switch e.Op {
	case "==":
		return equal(x, y), nil
	case "!=":
		return !equal(x, y), nil
	case "<", "<=", ">", ">=":
		c, ok := compare(x, y)
		if !ok {
			return nil, evalErr(e, "cannot compare a %s with a %s using %s", typeName(x), typeName(y), e.Op)
		}
		switch e.Op {
		case "<":
			return c < 0, nil
		case "<=":
			return c <= 0, nil
		case ">":
			return c > 0, nil
		}
		return c >= 0, nil
	case "+":
		_, xs := x.(string)
		_, ys := y.(string)
		if xs || ys {
			return toString(x) + toString(y), nil
		}
	}
	xi, xf, xInt, xok := number(x)
	yi, yf, yInt, yok := number(y)
	if !xok || !yok {
		return nil, evalErr(e, "operator %s needs numbers, found a %s and a %s", e.Op, typeName(x), typeName(y))
	}
	if xInt && yInt {
		switch e.Op {
		case "+":
			return xi + yi, nil
		case "-":
			return xi - yi, nil
		case "*":
			return xi * yi, nil
		case "/", "%":
			if yi == 0 {
				return nil, evalErr(e, "integer division by zero")
			}
			if yi == -1 {
				if e.Op == "%" {
					return int64(0), nil
				}
				return -xi, nil
			}
			if e.Op == "/" {
				return xi / yi, nil
			}
			return xi % yi, nil
		}
	}
	switch e.Op {
	case "+":
		return xf + yf, nil
	case "-":
		return xf - yf, nil
	case "*":
		return xf * yf, nil
	case "/":
		return xf / yf, nil
	case "%":
		return math.Mod(xf, yf), nil
	}
	return nil, evalErr(e, "unknown operator %s", e.Op)
}

func equal(x, y any) bool {
	xi, xf, xInt, xok := number(x)
	yi, yf, yInt, yok := number(y)
	if xok && yok {
		if xInt && yInt {
			return xi == yi
		}
		return xf == yf
	}
	if xok || yok {
		return false
	}
	return reflect.DeepEqual(x, y)
}

func compare(x, y any) (int, bool) {
	if xs, ok := x.(string); ok {
		if ys, ok := y.(string); ok {
			return strings.Compare(xs, ys), true
		}
		return 0, false
	}
	xi, xf, xInt, xok := number(x)
	yi, yf, yInt, yok := number(y)
	if !xok || !yok {
		return 0, false
	}
	if xInt && yInt {
		switch {
		case xi < yi:
			return -1, true
		case xi > yi:
			return 1, true
		}
		return 0, true
	}
	switch {
	case xf < yf:
		return -1, true
	case xf > yf:
		return 1, true
	case xf == yf:
		return 0, true
	}
	return 0, false // NaN
}

// toString renders a value for string concatenation.
func toString(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case string:
		return v
	case bool:
		return strconv.FormatBool(v)
	}
	if i, f, isInt, ok := number(v); ok {
		if isInt {
			return strconv.FormatInt(i, 10)
		}
		return strconv.FormatFloat(f, 'g', -1, 64)
	}
	return fmt.Sprint(v)
}
