package iot

import (
	"encoding/base64"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"
)

// evalTime is the arrival time of the test messages: 1700000000123 ms.
var evalTime = time.UnixMilli(1700000000123)

// evalCase is one Evaluate table case; the fuzz target seeds from these.
type evalCase struct {
	name     string
	sql      string
	topic    string // default "dev/d1/temp"
	payload  string
	clientID string
	want     string // output; ignored when !matched or wantErr != ""
	matched  bool
	wantErr  string // substring of the *EvalError message
}

var evalCases = []evalCase{
	// FROM and WHERE.
	{name: "star json", sql: "SELECT * FROM 'dev/+/temp'", payload: `{"t": 21}`, want: `{"t": 21}`, matched: true},
	{name: "topic mismatch", sql: "SELECT * FROM 'other/#'", payload: `{"t":21}`},
	{name: "where true", sql: "SELECT t FROM '#' WHERE t > 20", payload: `{"t":21}`, want: `{"t":21}`, matched: true},
	{name: "where false", sql: "SELECT t FROM '#' WHERE t > 30", payload: `{"t":21}`},
	{name: "where undefined", sql: "SELECT t FROM '#' WHERE missing > 30", payload: `{"t":21}`},
	{name: "where undefined and false", sql: "SELECT t FROM '#' WHERE missing = 1 OR t < 0", payload: `{"t":21}`},
	{name: "where string true", sql: "SELECT t FROM '#' WHERE s AND t = 21", payload: `{"t":21,"s":"TRUE"}`, want: `{"t":21}`, matched: true},
	{name: "where not", sql: "SELECT t FROM '#' WHERE NOT (t = 1)", payload: `{"t":21}`, want: `{"t":21}`, matched: true},
	{name: "where number is not a condition", sql: "SELECT t FROM '#' WHERE t", payload: `{"t":1}`},

	// Binary payloads.
	{name: "binary passthrough", sql: "SELECT * FROM '#'", payload: "\x00\x01\xffraw", want: "\x00\x01\xffraw", matched: true},
	{name: "binary passthrough with where", sql: "SELECT * FROM '#' WHERE timestamp() % 2 = 1", payload: "\x00\xff", want: "\x00\xff", matched: true},
	{name: "binary where on field", sql: "SELECT * FROM '#' WHERE device_type = 'thermostat'", payload: "\x00\xff"},
	{name: "binary field undefined", sql: "SELECT a FROM '#'", payload: "not json", want: `{}`, matched: true},
	{name: "encode star", sql: "SELECT encode(*, 'base64') AS data, timestamp() AS ts FROM '#'", payload: "\x00\x01\xff",
		want: `{"data":"AAH/","ts":1700000000123}`, matched: true},
	{name: "encode star json", sql: "SELECT encode(*, 'BASE64') AS d FROM '#'", payload: `{"a":1}`, want: `{"d":"eyJhIjoxfQ=="}`, matched: true},
	{name: "binary star merge", sql: "SELECT *, topic() AS t FROM '#'", payload: "\x00\xff", wantErr: "JSON object payload"},
	{name: "empty payload star merge", sql: "SELECT *, topic() AS t FROM '#'", payload: "", want: `{"t":"dev/d1/temp"}`, matched: true},
	{name: "empty payload star", sql: "SELECT * FROM '#'", payload: "", want: "", matched: true},
	{name: "decode", sql: "SELECT decode(enc, 'base64').temperature AS temp, decode(s, 'base64') AS s, decode('!!', 'base64') AS bad FROM '#'",
		payload: `{"enc":"eyAidGVtcGVyYXR1cmUiOiAzMyB9Cg==","s":"aGk="}`, want: `{"temp":33,"s":"hi","bad":null}`, matched: true},
	{name: "decode encode star", sql: "SELECT decode(encode(*, 'base64'), 'base64') AS p FROM '#'", payload: `{"a":[1,2]}`, want: `{"p":{"a":[1,2]}}`, matched: true},

	// SELECT list: merge, aliases, names, Undefined.
	{name: "star merge", sql: "SELECT *, topic() AS t, 15 AS speed FROM '#'", payload: `{"color":"red","temperature":50}`,
		want: `{"color":"red","temperature":50,"t":"dev/d1/temp","speed":15}`, matched: true},
	{name: "star merge override", sql: "SELECT *, 1 AS a FROM '#'", payload: `{"a":0,"b":2}`, want: `{"a":1,"b":2}`, matched: true},
	{name: "alias", sql: "SELECT color AS my_color, temperature AS \"fahr enheit\" FROM '#'", payload: `{"color":"red","temperature":50}`,
		want: `{"my_color":"red","fahr enheit":50}`, matched: true},
	{name: "undefined omitted", sql: "SELECT a, nope, a.b.c, upper(nope) AS u FROM '#'", payload: `{"a":1}`, want: `{"a":1}`, matched: true},
	{name: "null kept", sql: "SELECT a, null AS n FROM '#'", payload: `{"a":null}`, want: `{"a":null,"n":null}`, matched: true},
	{name: "generated names", sql: "SELECT topic(1), a + 1, 'x', a, arr[0] FROM '#'", payload: `{"a":1,"arr":[7]}`,
		want: `{"_1":"dev","_2":2,"_3":"x","a":1,"_5":7}`, matched: true},
	{name: "nested selectors and indexes", sql: `SELECT state.reported.temp, arr[1].x AS x, arr[2][0] AS y, "odd-name".v, m[0] AS mi FROM '#'`,
		payload: `{"state":{"reported":{"temp":22.5}},"arr":[0,{"x":"X"},[true]],"odd-name":{"v":3},"m":{"0":1}}`,
		want:    `{"temp":22.5,"x":"X","y":true,"v":3}`, matched: true},
	{name: "index out of range", sql: "SELECT arr[3] AS a, arr[-1] AS b, arr[1.5] AS c, arr[1.0] AS d, arr['0'] AS e FROM '#'",
		payload: `{"arr":[1,2]}`, want: `{"d":2}`, matched: true},
	{name: "object and array output", sql: "SELECT o, a FROM '#'", payload: `{"o":{"z":1,"a":[1,"s",null]},"a":[{"k":false}]}`,
		want: `{"o":{"z":1,"a":[1,"s",null]},"a":[{"k":false}]}`, matched: true},
	{name: "non-object payload", sql: "SELECT a, topic() AS t FROM '#'", payload: `[1,2]`, want: `{"t":"dev/d1/temp"}`, matched: true},

	// Numbers.
	{name: "int arithmetic", sql: "SELECT (temperature - 32) * 5 / 9 AS celsius, 7 / 2 AS q, -7 % 3 AS r, 2 * 3 AS p FROM '#'",
		payload: `{"temperature":50}`, want: `{"celsius":10,"q":3,"r":-1,"p":6}`, matched: true},
	{name: "decimal arithmetic", sql: "SELECT 7.0 / 2 AS q, 1.5 + 1 AS s, 0.1 * 3 AS m, 10.0 AS w, 5.5 % 2 AS r FROM '#'",
		want: `{"q":3.5,"s":2.5,"m":0.30000000000000004,"w":10,"r":1.5}`, matched: true},
	{name: "payload decimals", sql: "SELECT a, b, c, a + b AS s FROM '#'", payload: `{"a":10.0,"b":1e-7,"c":1e21}`,
		want: `{"a":10,"b":1e-7,"c":1e+21,"s":10.0000001}`, matched: true},
	{name: "division by zero", sql: "SELECT 1 / 0 AS a, 1 % 0 AS b, 1.0 / 0 AS c, 2 AS d FROM '#'", want: `{"d":2}`, matched: true},
	{name: "int overflow becomes decimal", sql: "SELECT 9223372036854775807 + 1 AS a, 9223372036854775807 * 2 AS b FROM '#'",
		want: `{"a":9223372036854776000,"b":18446744073709552000}`, matched: true},
	{name: "string arithmetic", sql: "SELECT '5' - 2 AS a, '2.5' * 2 AS b, 'x' - 1 AS c, '10' / '4' AS d, -'3' AS e, -s AS f FROM '#'",
		payload: `{"s":"abc"}`, want: `{"a":3,"b":5,"d":2.5,"e":-3}`, matched: true},
	{name: "non-number arithmetic", sql: "SELECT true + 1 AS a, o * 2 AS b, null - 1 AS c FROM '#'", payload: `{"o":{}}`, want: `{}`, matched: true},
	{name: "plus concatenates strings", sql: "SELECT 'a' + 1 AS a, 1.5 + 'b' AS b, 'x' + arr AS c, 'n' + null AS d FROM '#'",
		payload: `{"arr":[1,"s"]}`, want: `{"a":"a1","b":"1.5b","c":"x[1,\"s\"]"}`, matched: true},
	{name: "big int payload", sql: "SELECT a, a + 1 AS b, c FROM '#'", payload: `{"a":12345678901234567,"c":1e400}`,
		want: `{"a":12345678901234567,"b":12345678901234568}`, matched: true},

	// Comparisons and logic.
	{name: "comparisons", sql: "SELECT 1 = 1.0 AS a, 'a' = 'a' AS b, '1' = 1 AS c, '1' <> 1 AS d, null = null AS e, arr = arr AS f, o = p AS g, '10' > 9 AS h, 'x' < 1 AS i, 2 <= 2 AS j, 3 >= 4 AS k, 1 = nope AS l FROM '#'",
		payload: `{"arr":[1,2],"o":{"a":1,"b":[1]},"p":{"b":[1.0],"a":1}}`,
		want:    `{"a":true,"b":true,"c":false,"d":true,"e":true,"f":true,"g":true,"h":true,"j":true,"k":false}`, matched: true},
	{name: "logic", sql: "SELECT true AND 'false' AS a, false OR 'TRUE' AS b, NOT 'true' AS c, 1 AND true AS d, NOT 1 AS e FROM '#'",
		want: `{"a":false,"b":true,"c":false}`, matched: true},

	// Functions.
	{name: "topic", sql: "SELECT topic() AS t, topic(1) AS a, topic(3) AS c, topic(4) AS d FROM '#'", want: `{"t":"dev/d1/temp","a":"dev","c":"temp"}`, matched: true},
	{name: "topic basic ingest", sql: "SELECT topic() AS t, topic(1) AS a FROM '$aws/rules/r1/#'", topic: "$aws/rules/r1/b/c",
		want: `{"t":"b/c","a":"b"}`, matched: true},
	{name: "clientid mqtt", sql: "SELECT clientid() AS c FROM '#'", clientID: "dev-1", want: `{"c":"dev-1"}`, matched: true},
	{name: "clientid https", sql: "SELECT clientid() AS c FROM '#'", want: `{"c":"n/a"}`, matched: true},
	{name: "principal", sql: "SELECT principal() AS p FROM '#'", want: `{"p":"cert-123"}`, matched: true},
	{name: "timestamp", sql: "SELECT timestamp() AS ts FROM '#'", want: `{"ts":1700000000123}`, matched: true},
	{name: "encode value", sql: "SELECT encode(s, 'base64') AS a, encode(5, 'base64') AS b, encode(nope, 'base64') AS c FROM '#'",
		payload: `{"s":"hi"}`, want: `{"a":"aGk=","b":"NQ=="}`, matched: true},
	{name: "upper lower", sql: "SELECT upper(c) AS u, lower('HELLO') AS l, lower(arr) AS a, upper(null) AS n, upper(true) AS b FROM '#'",
		payload: `{"c":"red","arr":["HELLO"]}`, want: `{"u":"RED","l":"hello","a":"[\"hello\"]","b":"TRUE"}`, matched: true},
	{name: "trim", sql: "SELECT trim('  a  ') AS t, ltrim('  a ') AS l, rtrim(' a  ') AS r FROM '#'", want: `{"t":"a","l":"a ","r":" a"}`, matched: true},
	{name: "concat", sql: "SELECT concat('con', 'cat') AS a, concat(1, 'hello') AS b, concat(arr, 'hello', arr) AS c, concat(1) AS d, concat() AS e, concat(1, 2) AS f, concat('a', nope) AS g, 'a' || 1 || 'b' AS h FROM '#'",
		payload: `{"arr":[1,2]}`, want: `{"a":"concat","b":"1hello","c":[1,2,"hello",1,2],"d":1,"h":"a1b"}`, matched: true},
	{name: "abs floor ceil round sign", sql: "SELECT abs(-5) AS a, abs(-5.5) AS b, abs('-2') AS c, floor(-1.2) AS d, ceil(1.2) AS e, round(1.5) AS f, round(-1.5) AS g, round(-1.1) AS h, floor(7) AS i, sign(-3.2) AS j, abs(true) AS k, ceil('x') AS l FROM '#'",
		want: `{"a":5,"b":5.5,"c":2,"d":-2,"e":2,"f":2,"g":-2,"h":-1,"i":7,"j":-1}`, matched: true},
	{name: "mod", sql: "SELECT mod(7, 3) AS a, mod(7.5, 2) AS b, mod(1, 0) AS c FROM '#'", want: `{"a":1,"b":1.5}`, matched: true},
	{name: "startswith endswith indexof", sql: "SELECT startswith('ranger', 'ran') AS a, endswith('cat', 'at') AS b, startswith(123, 1) AS c, startswith(null, 'a') AS d, indexof('abcd', 'bc') AS e, indexof('abc', 'z') AS f FROM '#'",
		want: `{"a":true,"b":true,"c":true,"e":1,"f":-1}`, matched: true},
	{name: "substring", sql: "SELECT substring('012345', 2) AS a, substring('012345', 2.745) AS b, substring(123, 2) AS c, substring('012345', -1) AS d, substring(true, 1.2) AS e, substring('012345', 1, 3) AS f, substring('012345', -50, 50) AS g, substring('012345', 3, 1) AS h, substring('abc', 'x') AS i FROM '#'",
		want: `{"a":"2345","b":"2345","c":"3","d":"012345","e":"rue","f":"12","g":"012345","h":""}`, matched: true},
	{name: "length numbytes replace", sql: "SELECT length('hi') AS a, length(false) AS b, numbytes('€') AS c, length('€') AS d, replace('abcabc', 'b', 'X') AS e FROM '#'",
		want: `{"a":2,"b":5,"c":3,"d":1,"e":"aXcaXc"}`, matched: true},
	{name: "size cap replace", sql: "SELECT replace(replace(s, '', s), '', s) AS r, length(replace(s, '', s)) AS n FROM '#'",
		payload: `{"s":"` + strings.Repeat("abcdefghij", 10) + `"}`, want: `{"n":10200}`, matched: true},
	{name: "size cap encode", sql: "SELECT " + strings.Repeat("encode(", 40) + "s" + strings.Repeat(", 'base64')", 40) + " AS e, 1 AS one FROM '#'",
		payload: `{"s":"` + strings.Repeat("x", 1000) + `"}`, want: `{"one":1}`, matched: true},
	{name: "size cap concat", sql: "SELECT concat(s" + strings.Repeat(", s", 200) + ") AS c, s" + strings.Repeat(" || s", 200) + " AS d, 1 AS one FROM '#'",
		payload: `{"s":"` + strings.Repeat("x", 1000) + `"}`, want: `{"one":1}`, matched: true},
	{name: "isnull isundefined", sql: "SELECT isNull(n) AS a, isNull(5) AS b, isUndefined(nope) AS c, isUndefined(floor(arr)) AS d, isUndefined(n) AS e FROM '#'",
		payload: `{"n":null,"arr":[1]}`, want: `{"a":true,"b":false,"c":true,"d":true,"e":false}`, matched: true},
}

func (tc evalCase) message() Message {
	m := Message{Topic: tc.topic, ClientID: tc.clientID, Principal: "cert-123", Payload: []byte(tc.payload), Timestamp: evalTime}
	if m.Topic == "" {
		m.Topic = "dev/d1/temp"
	}
	return m
}

func TestEvaluate(t *testing.T) {
	for _, tc := range evalCases {
		t.Run(tc.name, func(t *testing.T) {
			q, err := ParseSQL(tc.sql)
			if err != nil {
				t.Fatalf("ParseSQL(%q): %v", tc.sql, err)
			}
			out, matched, err := q.Evaluate(tc.message())
			if tc.wantErr != "" {
				var ee *EvalError
				if !errors.As(err, &ee) || !strings.Contains(ee.Msg, tc.wantErr) {
					t.Fatalf("Evaluate = %q, %v, %v; want *EvalError %q", out, matched, err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Evaluate: %v", err)
			}
			if matched != tc.matched {
				t.Fatalf("Evaluate matched = %v (out %q), want %v", matched, out, tc.matched)
			}
			if matched && string(out) != tc.want {
				t.Errorf("Evaluate out = %s\n                  want %s", out, tc.want)
			}
		})
	}
}

func TestEvaluateNewUUID(t *testing.T) {
	q, err := ParseSQL("SELECT newuuid() AS id, newuuid() AS id2 FROM '#'")
	if err != nil {
		t.Fatal(err)
	}
	out, _, err := q.Evaluate(Message{Topic: "a"})
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`^\{"id":"([0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12})","id2":"([0-9a-f-]{36})"\}$`)
	m := re.FindStringSubmatch(string(out))
	if m == nil || m[1] == m[2] {
		t.Errorf("newuuid output %s: want two distinct version 4 UUIDs", out)
	}
}

func TestEvaluateTimestampDefault(t *testing.T) {
	q, err := ParseSQL("SELECT timestamp() AS ts FROM '#' WHERE timestamp() > 1700000000000")
	if err != nil {
		t.Fatal(err)
	}
	if _, matched, err := q.Evaluate(Message{Topic: "a"}); err != nil || !matched {
		t.Errorf("Evaluate without Timestamp = %v, %v; want now", matched, err)
	}
}

// TestEvaluateBinaryBase64 is how a rule hands a binary payload to an
// action: the base64 text decodes to the published bytes.
func TestEvaluateBinaryBase64(t *testing.T) {
	payload := []byte{0, 1, 2, 0xfe, 0xff, '{'}
	q, err := ParseSQL("SELECT encode(*, 'base64') AS data FROM 'bin/#'")
	if err != nil {
		t.Fatal(err)
	}
	out, matched, err := q.Evaluate(Message{Topic: "bin/x", Payload: payload})
	if err != nil || !matched {
		t.Fatalf("Evaluate = %s, %v, %v", out, matched, err)
	}
	want := `{"data":"` + base64.StdEncoding.EncodeToString(payload) + `"}`
	if string(out) != want {
		t.Errorf("out = %s, want %s", out, want)
	}
}

func TestEvaluateHandBuiltErrors(t *testing.T) {
	tests := []struct {
		name   string
		q      *Query
		offset int
		msg    string
	}{
		{"unknown function", &Query{Topic: "#", Fields: []Field{{Expr: &Call{P: 7, Name: "nosuch"}}}}, 7, "not supported"},
		{"bad arity", &Query{Topic: "#", Fields: []Field{{Expr: &Call{P: 7, Name: "upper"}}}}, 7, "not supported"},
		{"star outside encode", &Query{Topic: "#", Where: &Star{P: 30}, Fields: []Field{{Star: true}}}, 30, "only allowed"},
		{"encode scheme", &Query{Topic: "#", Fields: []Field{{Expr: &Call{P: 7, Name: "encode", Args: []Expr{&Star{P: 14}, &Literal{P: 17, Value: "hex"}}}}}}, 17, "base64"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, matched, err := tt.q.Evaluate(Message{Topic: "a"})
			var ee *EvalError
			if !errors.As(err, &ee) || matched || ee.Offset != tt.offset || !strings.Contains(ee.Msg, tt.msg) {
				t.Fatalf("Evaluate = %v, %v; want *EvalError %q at %d", matched, err, tt.msg, tt.offset)
			}
			if !strings.Contains(err.Error(), "offset") {
				t.Errorf("Error() = %q, want the offset", err.Error())
			}
		})
	}
}

func TestParseSQLStarArgument(t *testing.T) {
	for _, tt := range []struct{ sql, want string }{
		{"SELECT encode(*, 'base64') AS d FROM 'a'", "SELECT encode(*, 'base64') AS d FROM 'a'"},
		{"SELECT encode(*,'Base64') FROM 'a' WHERE encode(*, 'base64') <> ''", "SELECT encode(*, 'Base64') FROM 'a' WHERE (encode(*, 'base64') <> '')"},
		{"select CONCAT(a, b, c, d) from 'a'", "SELECT concat(a, b, c, d) FROM 'a'"},
	} {
		q, err := ParseSQL(tt.sql)
		if err != nil {
			t.Fatalf("ParseSQL(%q): %v", tt.sql, err)
		}
		if got := q.String(); got != tt.want {
			t.Errorf("ParseSQL(%q) = %s, want %s", tt.sql, got, tt.want)
		}
		if q2, err := ParseSQL(q.String()); err != nil || q2.String() != tt.want {
			t.Errorf("reparse of %s = %v, %v", tt.want, q2, err)
		}
	}
	for _, tt := range []struct {
		sql, msg string
		offset   int
	}{
		{"SELECT upper(*) FROM 'a'", "only allowed", 13},
		{"SELECT encode(a, *) FROM 'a'", "only allowed", 17},
		{"SELECT encode(*, 'hex') FROM 'a'", "'base64'", 17},
		{"SELECT encode(*, s) FROM 'a'", "'base64'", 17},
		{"SELECT decode(s) FROM 'a'", "takes", 7},
		{"SELECT (*) FROM 'a'", "expected an expression", 8},
		{"SELECT substring('a') FROM 'a'", "takes", 7},
	} {
		_, err := ParseSQL(tt.sql)
		var se *SQLError
		if !errors.As(err, &se) || !strings.Contains(se.Msg, tt.msg) || se.Offset != tt.offset {
			t.Errorf("ParseSQL(%q) = %v, want %q at %d", tt.sql, err, tt.msg, tt.offset)
		}
	}
}
