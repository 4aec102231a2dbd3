package iot

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"
)

// FuzzEvaluate: a query that parses evaluates without panicking; a
// matched message's output is valid JSON or (binary passthrough) the
// payload itself; errors are *EvalError with an offset inside the SQL.
func FuzzEvaluate(f *testing.F) {
	for _, tc := range evalCases {
		m := tc.message()
		f.Add(tc.sql, m.Payload, m.Topic)
	}
	f.Fuzz(func(t *testing.T, sql string, payload []byte, topic string) {
		q, err := ParseSQL(sql)
		if err != nil {
			return
		}
		m := Message{Topic: topic, ClientID: "c", Principal: "p", Payload: payload, Timestamp: evalTime}
		out, matched, err := q.Evaluate(m)
		if err != nil {
			var ee *EvalError
			if !errors.As(err, &ee) || ee.Offset < -1 || ee.Offset > len(sql) {
				t.Fatalf("Evaluate(%q) error %v: want *EvalError within the SQL", sql, err)
			}
			if matched || out != nil {
				t.Fatalf("Evaluate(%q) = %q, %v with error %v", sql, out, matched, err)
			}
			return
		}
		if !matched {
			if out != nil {
				t.Fatalf("Evaluate(%q) unmatched with output %q", sql, out)
			}
			return
		}
		if !json.Valid(out) && !bytes.Equal(out, payload) {
			t.Fatalf("Evaluate(%q) on %q = %q: neither JSON nor the payload", sql, payload, out)
		}
	})
}
