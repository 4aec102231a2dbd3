package iot

import (
	"errors"
	"strings"
	"testing"
)

func TestParseSQL(t *testing.T) {
	tests := []struct {
		name, sql, want string
	}{
		{"star", "SELECT * FROM 'a/b'", "SELECT * FROM 'a/b'"},
		{"keywords any case", "select * from 'a/#' where temp > 30", "SELECT * FROM 'a/#' WHERE (temp > 30)"},
		{"fields and aliases", "SELECT temp AS t, topic(2) AS device, clientid() AS c, timestamp() ts_no FROM '+/x'",
			""}, // alias without AS is an error: see TestParseSQLErrors
		{"star plus functions", "SELECT *, topic() AS topic FROM 'a/+/c'", "SELECT *, topic() AS topic FROM 'a/+/c'"},
		{"nested members", `SELECT state.reported.temp, arr[0], "odd-name".x FROM 'a'`, `SELECT state.reported.temp, arr[0], "odd-name".x FROM 'a'`},
		{"precedence", "SELECT a + b * c - d FROM 't' WHERE NOT a = 1 OR b <> 2 AND c != 3",
			"SELECT ((a + (b * c)) - d) FROM 't' WHERE ((NOT (a = 1)) OR ((b <> 2) AND (c <> 3)))"},
		{"literals", "SELECT 'it''s', 1.5, -2, true, null FROM 't' WHERE x >= 1 AND y <= 2 AND z < 3", "SELECT 'it''s', 1.5, (-2), true, null FROM 't' WHERE (((x >= 1) AND (y <= 2)) AND (z < 3))"},
		{"concat and parens", "SELECT (a || 'x') AS s FROM 't' WHERE (a % 2) = 0", "SELECT (a || 'x') AS s FROM 't' WHERE ((a % 2) = 0)"},
		{"multiline", "SELECT *\nFROM 'a'\nWHERE topic(1) = 'a'", "SELECT * FROM 'a' WHERE (topic(1) = 'a')"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, err := ParseSQL(tt.sql)
			if tt.want == "" {
				if err == nil {
					t.Fatalf("ParseSQL(%q) = %s, want an error", tt.sql, q)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseSQL(%q): %v", tt.sql, err)
			}
			if got := q.String(); got != tt.want {
				t.Errorf("ParseSQL(%q) = %s, want %s", tt.sql, got, tt.want)
			}
		})
	}
	q, err := ParseSQL("SELECT temp AS t, topic(2) AS device FROM 'dev/+/temp' WHERE temp > 30")
	if err != nil {
		t.Fatal(err)
	}
	if q.Topic != "dev/+/temp" || len(q.Fields) != 2 || q.Fields[1].Alias != "device" || q.Where == nil {
		t.Errorf("ParseSQL structure = %+v", q)
	}
	if c, ok := q.Fields[1].Expr.(*Call); !ok || c.Name != "topic" || len(c.Args) != 1 {
		t.Errorf("second field = %#v, want topic(2)", q.Fields[1].Expr)
	}
}

func TestParseSQLErrors(t *testing.T) {
	tests := []struct {
		name, sql, wantMsg string
		wantOffset         int
	}{
		{"empty", "", "expected SELECT", 0},
		{"no FROM", "SELECT *", "expected FROM", 8},
		{"unquoted topic", "SELECT * FROM a/b", "quoted topic filter", 14},
		{"bad hash", "SELECT * FROM 'a/#/b'", "'#' must be the whole last level", 14},
		{"bad plus", "SELECT * FROM 'a+/b'", "'+' must be a whole level", 14},
		{"empty topic", "SELECT * FROM ''", "empty", 14},
		{"unknown function", "SELECT foo() FROM 'a'", "unknown function", 7},
		{"topic arity", "SELECT topic(1, 2) FROM 'a'", "takes", 7},
		{"topic zero", "SELECT topic(0) FROM 'a'", "positive integer", 13},
		{"topic non-literal", "SELECT topic(x) FROM 'a'", "positive integer", 13},
		{"clientid arity", "SELECT clientid(1) FROM 'a'", "takes", 7},
		{"trailing", "SELECT * FROM 'a' LIMIT 1", "unexpected 'LIMIT'", 18},
		{"unterminated string", "SELECT 'abc FROM 'a'", "unterminated", 19},
		{"bad char", "SELECT a ; FROM 'a'", "unexpected character", 9},
		{"dangling operator", "SELECT * FROM 'a' WHERE a >", "expected an expression", 27},
		{"chained comparison", "SELECT * FROM 'a' WHERE 1 < a < 3", "do not chain", 30},
		{"alias without AS", "SELECT a b FROM 't'", "expected FROM", 9},
		{"missing paren", "SELECT (a FROM 't'", "expected ')'", 10},
		{"keyword alias", "SELECT a AS from FROM 't'", "alias", 12},
		{"deep nesting", "SELECT " + strings.Repeat("(", 200) + "1" + strings.Repeat(")", 200) + " FROM 'a'", "nested deeper", -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseSQL(tt.sql)
			var se *SQLError
			if !errors.As(err, &se) {
				t.Fatalf("ParseSQL(%q) = %v, want *SQLError", tt.sql, err)
			}
			if !strings.Contains(se.Msg, tt.wantMsg) || tt.wantOffset >= 0 && se.Offset != tt.wantOffset {
				t.Errorf("ParseSQL(%q) = %q at %d, want %q at %d", tt.sql, se.Msg, se.Offset, tt.wantMsg, tt.wantOffset)
			}
		})
	}
	_, err := ParseSQL("SELECT *\nFROM\n'a/#/b'")
	if got := err.Error(); !strings.HasPrefix(got, "line 3:1:") {
		t.Errorf("multi-line error = %q, want line 3:1", got)
	}
}

func TestMatchTopic(t *testing.T) {
	tests := []struct {
		filter, topic string
		want          bool
	}{
		{"a/b", "a/b", true},
		{"a/+", "a/b", true},
		{"a/+", "a/b/c", false},
		{"a/#", "a", true},
		{"a/#", "a/b/c", true},
		{"#", "$aws/things", false},
		{"+/b", "a/b", true},
		{"a/b", "a/c", false},
	}
	for _, tt := range tests {
		if got := MatchTopic(tt.filter, tt.topic); got != tt.want {
			t.Errorf("MatchTopic(%q, %q) = %v, want %v", tt.filter, tt.topic, got, tt.want)
		}
	}
}

// FuzzParseSQL: never panic; printing a parsed query and parsing the
// print gives the same print.
func FuzzParseSQL(f *testing.F) {
	for _, s := range []string{
		"SELECT * FROM 'a/b'",
		"SELECT temp AS t, topic(2) AS d FROM 'dev/+/temp' WHERE temp > 30 AND NOT (x = 'y')",
		`SELECT state."reported".a[1] FROM '#' WHERE clientid() <> 'c' OR timestamp() % 2 = 0`,
		"select -a || 'b' from 'x/#' where a >= -1.5",
		"SELECT ((((1)))) FROM 'a'",
		"SELECT 'it''s' FROM 'a'",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, sql string) {
		q, err := ParseSQL(sql)
		if err != nil {
			var se *SQLError
			if !errors.As(err, &se) || se.Offset < 0 || se.Offset > len(sql) {
				t.Fatalf("ParseSQL(%q) error %v: want *SQLError within the input", sql, err)
			}
			_ = err.Error()
			return
		}
		printed := q.String()
		q2, err := ParseSQL(printed)
		if err != nil {
			t.Fatalf("ParseSQL(%q) printed %q, which does not parse: %v", sql, printed, err)
		}
		if again := q2.String(); again != printed {
			t.Fatalf("print not stable: %q → %q → %q", sql, printed, again)
		}
	})
}
