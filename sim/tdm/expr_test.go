package tdm

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// testEnv is a map of names plus a recorder of calls.
type testEnv struct {
	vars  map[string]any
	calls []string
}

func (e *testEnv) Lookup(name string) (any, bool) {
	v, ok := e.vars[name]
	return v, ok
}

func (e *testEnv) Call(name string, args []any) (any, error) {
	e.calls = append(e.calls, fmt.Sprintf("%s%v", name, args))
	if name == "fail" {
		return nil, fmt.Errorf("boom")
	}
	return "called", nil
}

func deploymentEnv() *testEnv {
	return &testEnv{vars: map[string]any{
		"devices": []any{
			map[string]any{"name": "camera", "events": []any{}},
			map[string]any{"name": "motionSensor", "events": []any{
				map[string]any{"name": "StateChanged", "lastEvent": map[string]any{"isMotionDetected": true}},
				map[string]any{"name": "Other", "lastEvent": nil},
			}},
		},
		"bindings": []any{
			map[string]any{"name": "motionSensor", "deviceId": "MotionSensorName"},
			map[string]any{"name": "camera", "deviceId": "CameraName"},
			map[string]any{"name": "screen", "deviceId": "ScreenName"},
		},
		"cameraResult": map[string]any{"lastClickedImage": "http://img/1.jpg"},
		"a":            int64(7), "b": 2, "f": 1.5, "s": "abc", "n": nil,
		"list": []any{int64(10), int64(20)},
	}}
}

func TestEval(t *testing.T) {
	tests := []struct {
		name, src string
		want      any
		calls     []string
	}{
		{"trigger condition", "devices[name == 'motionSensor'].events[name == 'StateChanged'].lastEvent", map[string]any{"isMotionDetected": true}, nil},
		{"trigger member", "devices[name == 'motionSensor'].events[name == 'StateChanged'].lastEvent.isMotionDetected == true", true, nil},
		{"no event yet is null", "devices[name == 'motionSensor'].events[name == 'Other'].lastEvent.value", nil, nil},
		{"no match is null", "devices[name == 'nobody']", nil, nil},
		{"several matches is a list", "bindings[name != 'camera'].length", nil, nil},
		{"start flow", "ThingsGraph.startFlow('SecurityFlow', bindings[name == 'camera'].deviceId, bindings[name == 'screen'].deviceId)", "called",
			[]string{"ThingsGraph.startFlow[SecurityFlow CameraName ScreenName]"}},
		{"template", "${cameraResult.lastClickedImage}", "http://img/1.jpg", nil},
		{"dollar ident", "$a > $b", true, nil},
		{"precedence", "1 + 2 * 3 - 4 / 2", int64(5), nil},
		{"parens", "(1 + 2) * 3", int64(9), nil},
		{"integer division", "7 / 2", int64(3), nil},
		{"float arithmetic", "7 / 2.0 + f", 5.0, nil},
		{"modulo", "a % 4", int64(3), nil},
		{"concat", "'abc' + 1 + 2", "abc12", nil},
		{"concat left numbers", "1 + 2 + 'abc'", "3abc", nil},
		{"comparison chain", "a > 5 && b < 3 || false", true, nil},
		{"not", "!(a == 7)", false, nil},
		{"unary minus", "-a + 10", int64(3), nil},
		{"ternary", "a > 5 ? 'big' : 'small'", "big", nil},
		{"nested ternary", "a < 5 ? 'small' : a < 10 ? 'mid' : 'big'", "mid", nil},
		{"null coalescing", "n ?? 'default'", "default", nil},
		{"null coalescing non-null", "s ?? 'default'", "abc", nil},
		{"index", "list[1]", int64(20), nil},
		{"list literal", "[1, 'x', True]", []any{int64(1), "x", true}, nil},
		{"long suffix", "10L + 10UL", int64(20), nil},
		{"booleans any case", "True && !False && TRUE", true, nil},
		{"double-quoted", `"a\"b" == 'a"b'`, true, nil},
		{"string compare", "'abc' < 'abd'", true, nil},
		{"int float equality", "2 == 2.0", true, nil},
		{"short circuit", "false && missing", false, nil},
		{"exponent", "1e3", 1000.0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := ParseExpr(tt.src)
			if err != nil {
				t.Fatalf("ParseExpr(%q) = %v", tt.src, err)
			}
			env := deploymentEnv()
			got, err := Eval(e, env)
			if tt.name == "several matches is a list" {
				// A list has no members: that is an error, proving the list.
				if err == nil || !strings.Contains(err.Error(), "cannot read member \"length\" of a list") {
					t.Errorf("Eval(%q) = %v, %v; want list member error", tt.src, got, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Eval(%q) = %v", tt.src, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Eval(%q) (-want +got):\n%s", tt.src, diff)
			}
			if diff := cmp.Diff(tt.calls, env.calls); diff != "" {
				t.Errorf("Eval(%q) calls (-want +got):\n%s", tt.src, diff)
			}
			checkExprRoundTrip(t, tt.src, e)
		})
	}
}

func TestEvalErrors(t *testing.T) {
	tests := []struct{ name, src, want string }{
		{"unknown name", "missing + 1", "1:1: unknown name missing"},
		{"number plus bool", "a + true", "1:3: operator + needs numbers, found a number and a boolean"},
		{"member of string", "s.x", `1:2: cannot read member "x" of a string (s)`},
		{"filter a string", "s[name == 'x']", "1:2: cannot filter a string (s); filters apply to lists"},
		{"filter non-objects", "list[name == 'x']", "1:5: cannot filter list: element is a number, not an object"},
		{"index out of range", "list[5]", "1:5: index 5 out of range (list length 2)"},
		{"division by zero", "a / 0", "1:3: integer division by zero"},
		{"compare mixed", "s < 1", "1:3: cannot compare a string with a number using <"},
		{"negate string", "-s", "1:1: cannot negate a string"},
		{"call error", "fail(1)", "1:5: fail: boom"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := ParseExpr(tt.src)
			if err != nil {
				t.Fatalf("ParseExpr(%q) = %v", tt.src, err)
			}
			got, err := Eval(e, deploymentEnv())
			if err == nil || err.Error() != tt.want {
				t.Errorf("Eval(%q) = %v, %v; want error %q", tt.src, got, err, tt.want)
			}
		})
	}
}

func TestParseExprErrors(t *testing.T) {
	tests := []struct{ name, src, want string }{
		{"empty", "  ", "1:3: empty expression"},
		{"unknown cast type", "(Foo) x", "1:2: unknown type (Foo) in a cast; expected one of " + castTypeList},
		{"call on index", "a[0](1)", "1:5: cannot call a[0]: only functions (ThingsGraph.startFlow, tdm.lib.Math.max) and methods of values ('abc'.substring) can be called"},
		{"slash before number", "a/", "1:3: expected an operand (name, literal, '(', '[' or '${'), found end of expression"},
		{"assignment", "a = 1", "1:3: unexpected '='; expected '==' to compare (assignment is not an expression)"},
		{"single ampersand", "a & b", "1:3: unexpected '&'; expected '&&'"},
		{"unclosed template", "${a.b", "1:6: expected '}' to close '${', found end of expression"},
		{"unclosed filter", "a[name == 'x'", "1:14: expected ']' to close '[', found end of expression"},
		{"trailing", "a b", "1:3: expected an operator or end of expression, found identifier \"b\""},
		{"missing operand", "1 +", "1:4: expected an operand (name, literal, '(', '[' or '${'), found end of expression"},
		{"ternary colon", "a ? b", "1:6: expected ':' in conditional expression, found end of expression"},
		{"unterminated string", "'abc", "1:1: unterminated string: expected closing ' before end of document"},
		{"curly", "name == ‘x’", "1:9: curly quote ‘ is not a string delimiter; use \" or '"},
		{"int overflow", "99999999999999999999", "1:1: integer 99999999999999999999 is out of range"},
		{"bad dollar", "$ x", "1:1: expected an identifier or '{' after '$', found ' '"},
		{"member name", "a.1", "1:3: expected a member name after '.', found number 1"},
		{"deep", strings.Repeat("(", 600) + "1" + strings.Repeat(")", 600), "1:501: expression nested deeper than 500 levels"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := ParseExpr(tt.src)
			if err == nil || err.Error() != tt.want {
				t.Errorf("ParseExpr(%q) = %v, %v; want error %q", tt.src, e, err, tt.want)
			}
		})
	}
}

func TestExprString(t *testing.T) {
	tests := []struct{ name, src, want string }{
		{"minimal parens", "(1 + 2) * 3 - (4 - 5)", "(1 + 2) * 3 - (4 - 5)"},
		{"drops redundant parens", "((a)) + (b * c)", "a + b * c"},
		{"left assoc", "a - b - c", "a - b - c"},
		{"template and filter", "${devices[name == \"x\"].events}", "${devices[name == 'x'].events}"},
		{"unary on member", "-(a).b", "-a.b"},
		{"member of unary", "(-a).b", "(-a).b"},
		{"ternary in binary", "(a ? b : c) + 1", "(a ? b : c) + 1"},
		{"escapes", `'it\'s' + "\n"`, `'it\'s' + '\n'`},
		{"literals as written", "[10L, True, NULL, 1.5e3]", "[10L, True, NULL, 1.5e3]"},
		{"cast", "((String) x).charAt(0)", "((String) x).charAt(0)"},
		{"cast of sum", "(String) (a + 1)", "(String) (a + 1)"},
		{"cast binds tighter than +", "(string) 'a' + 'b'", "(string) 'a' + 'b'"},
		{"cast of negation", "(Integer) -5", "(Integer) -5"},
		{"cast of list", "(Object) ([1])", "(Object) ([1])"},
		{"nested casts", "(String) (Integer) x", "(String) (Integer) x"},
		{"slash path", "image/value", "image.value"},
		{"slash after filter", "devices[name == 'x']/lastEvent/value", "devices[name == 'x'].lastEvent.value"},
		{"spaced slash divides", "image / value", "image / value"},
		{"slash before number divides", "a/2", "a / 2"},
		{"path then division", "a/b/1", "a.b / 1"},
		{"slash after paren divides", "(a)/b", "a / b"},
		{"method on literal", "'abc'.substring(1)", "'abc'.substring(1)"},
		{"method on number", "1.5.toString()", "1.5.toString()"},
		{"math", "tdm.lib.Math.max(a, 2)", "tdm.lib.Math.max(a, 2)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := ParseExpr(tt.src)
			if err != nil {
				t.Fatalf("ParseExpr(%q) = %v", tt.src, err)
			}
			if got := e.String(); got != tt.want {
				t.Errorf("ParseExpr(%q).String() = %q, want %q", tt.src, got, tt.want)
			}
			checkExprRoundTrip(t, tt.src, e)
		})
	}
}

func TestEvalLanguage(t *testing.T) {
	tests := []struct {
		name, src string
		want      any
	}{
		{"cast then method", "((String) a).charAt(0)", "7"},
		{"guide cast example", "((string) 'a' + 'b').substring(1)", "b"},
		{"cast string to integer", "(Integer) '42' + 1", int64(43)},
		{"cast float to int truncates", "(int) -3.7", int64(-3)},
		{"cast int to double", "(Double) 7 / 2", 3.5},
		{"cast to boolean", "(Boolean) 'TRUE'", true},
		{"cast to number keeps ints", "(Number) '12'", int64(12)},
		{"cast null", "(String) n", nil},
		{"cast number to string", "(String) 1.5 + '!'", "1.5!"},
		{"length", "s.length()", int64(3)},
		{"length counts runes", "'héllo'.length()", int64(5)},
		{"substring one", "'abcdef'.substring(2)", "cdef"},
		{"substring two", "'abcdef'.substring(1, 3)", "bc"},
		{"upper", "s.toUpperCase()", "ABC"},
		{"lower", "'ABC'.toLowerCase()", "abc"},
		{"contains", "s.contains('bc')", true},
		{"startsWith", "s.startsWith('ab') && !s.startsWith('b')", true},
		{"endsWith", "s.endsWith('c')", true},
		{"equals", "s.equals('abc')", true},
		{"equalsIgnoreCase", "s.equalsIgnoreCase('ABC')", true},
		{"indexOf", "'a-b-c'.indexOf('-')", int64(1)},
		{"lastIndexOf", "'a-b-c'.lastIndexOf('-')", int64(3)},
		{"indexOf missing", "s.indexOf('z')", int64(-1)},
		{"trim isEmpty", "'  '.trim().isEmpty()", true},
		{"replace", "'a-b'.replace('-', '+')", "a+b"},
		{"concat", "s.concat('d')", "abcd"},
		{"method on member path", "cameraResult.lastClickedImage.startsWith('http')", true},
		{"toString of number", "a.toString() + 1", "71"},
		{"equals on numbers", "a.equals(7)", true},
		{"math min ints", "tdm.lib.Math.min(a, 3)", int64(3)},
		{"math max mixed", "Math.max(2, 2.5)", 2.5},
		{"math abs", "tdm.lib.Math.abs(-4)", int64(4)},
		{"math floor", "Math.floor(2.7)", 2.0},
		{"math ceil", "Math.ceil(2.1)", 3.0},
		{"math round half up", "Math.round(-2.5)", int64(-2)},
		{"math pow", "Math.pow(2, 10)", 1024.0},
		{"math sqrt", "Math.sqrt(16)", 4.0},
		{"slash path", "cameraResult/lastClickedImage", "http://img/1.jpg"},
		{"slash after filter", "devices[name == 'motionSensor']/events[name == 'StateChanged']/lastEvent/isMotionDetected", true},
		{"division still divides", "a / b", int64(3)},
		{"long literals", "10L * 2 + 10UL", int64(30)},
		{"coalesce chain", "n ?? n ?? 'x'", "x"},
		{"ternary with method", "s.length() > 2 ? s.charAt(2) : ''", "c"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := ParseExpr(tt.src)
			if err != nil {
				t.Fatalf("ParseExpr(%q) = %v", tt.src, err)
			}
			env := deploymentEnv()
			got, err := Eval(e, env)
			if err != nil {
				t.Fatalf("Eval(%q) = %v", tt.src, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Eval(%q) (-want +got):\n%s", tt.src, diff)
			}
			if len(env.calls) != 0 {
				t.Errorf("Eval(%q) called the Env: %v", tt.src, env.calls)
			}
			checkExprRoundTrip(t, tt.src, e)
		})
	}
}

func TestEvalLanguageErrors(t *testing.T) {
	tests := []struct{ name, src, want string }{
		{"cast bad string", "(Integer) s", `1:1: cannot convert string "abc" to Integer: not a number`},
		{"cast bool to int", "(int) true", "1:1: cannot convert a boolean to int"},
		{"cast list to boolean", "(Boolean) list", "1:1: cannot convert a list to Boolean"},
		{"method on number", "a.substring(1)", "1:12: cannot call substring() on a number; cast it first, e.g. ((String) x).substring()"},
		{"unknown method", "s.reverse()", "1:10: unknown method reverse() on a string; the supported java.lang.String methods are " + methodList()},
		{"arity", "s.charAt()", "1:9: charAt() takes 1 argument(s), found 0"},
		{"substring arity", "s.substring()", "1:12: substring() takes 1 or 2 argument(s), found 0"},
		{"charAt range", "s.charAt(3)", "1:9: charAt(3): index out of range (length 3)"},
		{"substring range", "s.substring(2, 1)", "1:12: substring(2, 1): range out of bounds (length 3)"},
		{"argument type", "s.contains(1)", "1:11: contains(): argument 1 must be a string, found a number"},
		{"int argument", "s.charAt('x')", "1:9: charAt(): argument 1 must be an integer, found x"},
		{"math arity", "Math.max(1)", "1:9: Math.max takes 2 argument(s), found 1"},
		{"math type", "tdm.lib.Math.abs('x')", "1:17: Math.abs: argument 1 must be a number, found a string"},
		{"toString of null", "n.toString()", "1:11: cannot call toString() on null"},
		{"unknown function goes to Env", "tdm.lib.getDate()", "1:16: tdm.lib.getDate: boom-free"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := ParseExpr(tt.src)
			if err != nil {
				t.Fatalf("ParseExpr(%q) = %v", tt.src, err)
			}
			env := deploymentEnv()
			got, err := Eval(e, env)
			if tt.name == "unknown function goes to Env" {
				if err != nil || got != "called" || len(env.calls) != 1 || env.calls[0] != "tdm.lib.getDate[]" {
					t.Errorf("Eval(%q) = %v, %v (calls %v); want the Env to be called", tt.src, got, err, env.calls)
				}
				return
			}
			if err == nil || err.Error() != tt.want {
				t.Errorf("Eval(%q) = %v, %v; want error %q", tt.src, got, err, tt.want)
			}
		})
	}
}

func TestTruthy(t *testing.T) {
	tests := []struct {
		name string
		v    any
		want bool
	}{
		{"nil", nil, false}, {"true", true, true}, {"false", false, false},
		{"empty string", "", false}, {"string", "x", true},
		{"zero", int64(0), false}, {"int", 3, true}, {"float zero", 0.0, false}, {"float", 0.5, true},
		{"empty list", []any{}, false}, {"list", []any{1}, true}, {"empty object", map[string]any{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Truthy(tt.v); got != tt.want {
				t.Errorf("Truthy(%v) = %v, want %v", tt.v, got, tt.want)
			}
		})
	}
}

func TestParseEvery(t *testing.T) {
	tests := []struct {
		name, src string
		want      time.Duration
		ok        bool
	}{
		{"hours", "every 1 hours", time.Hour, true},
		{"singular, case", "Every 5 Minute", 5 * time.Minute, true},
		{"seconds", " every 30 seconds ", 30 * time.Second, true},
		{"weeks", "every 2 weeks", 14 * 24 * time.Hour, true},
		{"months are 30 days", "every 1 months", 30 * 24 * time.Hour, true},
		{"years are 365 days", "every 1 year", 365 * 24 * time.Hour, true},
		{"zero", "every 0 hours", 0, false},
		{"expression", "devices[name == 'x'].events[name == 'y'].lastEvent", 0, false},
		{"bad unit", "every 3 fortnights", 0, false},
		{"negative", "every -1 hours", 0, false},
		{"overflow", "every 999999999999 years", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := ParseEvery(tt.src)
			if got != tt.want || ok != tt.ok {
				t.Errorf("ParseEvery(%q) = %v, %v; want %v, %v", tt.src, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func checkExprRoundTrip(t testing.TB, src string, e Expr) {
	t.Helper()
	s := e.String()
	again, err := ParseExpr(s)
	if err != nil {
		t.Fatalf("ParseExpr(%q) (printed from %q) = %v", s, src, err)
	}
	if diff := cmp.Diff(e, again, astOpts); diff != "" {
		t.Fatalf("ParseExpr(String()) differs for %q printed %q (-first +second):\n%s", src, s, diff)
	}
}
