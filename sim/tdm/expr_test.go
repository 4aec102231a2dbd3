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
		{"cast", "((String) x).charAt(0)", "1:2: type casts such as (String) are not supported"},
		{"assignment", "a = 1", "1:3: unexpected '='; expected '==' to compare (assignment is not an expression)"},
		{"single ampersand", "a & b", "1:3: unexpected '&'; expected '&&'"},
		{"unclosed template", "${a.b", "1:6: expected '}' to close '${', found end of expression"},
		{"unclosed filter", "a[name == 'x'", "1:14: expected ']' to close '[', found end of expression"},
		{"trailing", "a b", "1:3: expected an operator or end of expression, found identifier \"b\""},
		{"missing operand", "1 +", "1:4: expected an operand (name, literal, '(', '[' or '${'), found end of expression"},
		{"ternary colon", "a ? b", "1:6: expected ':' in conditional expression, found end of expression"},
		{"call on value", "'abc'.substring(1)", "1:16: cannot call 'abc'.substring: only named functions such as ThingsGraph.startFlow can be called"},
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
