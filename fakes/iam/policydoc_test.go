package iam

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestStatementSpans(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		want [][2]Position
	}{
		// AWS CLI example simulate-custom-policy: Column 38 to Column 167.
		{"single statement object", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"dynamodb:*","Resource":"*","Condition":{"DateGreaterThan":{"aws:CurrentTime":"2018-08-16T12:00:00Z"}}}}`,
			[][2]Position{{{1, 38}, {1, 167}}}},
		{"array over lines", "{\"Statement\": [\n  {\"Effect\": \"Allow\"},\n  {\n    \"Sid\": \"x\"\n  }\n]}",
			[][2]Position{{{2, 4}, {2, 22}}, {{3, 4}, {5, 4}}}},
		{"braces inside strings and other keys", `{"Id":"{[\"}","Statement":[{"Sid":"}{"}],"X":{"Statement":[{}]}}`,
			[][2]Position{{{1, 29}, {1, 40}}}},
		{"no statement", `{"Version":"2012-10-17"}`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, statementSpans(tt.doc)); diff != "" {
				t.Errorf("statementSpans(%q) (-want +got):\n%s", tt.doc, diff)
			}
		})
	}
}

// FuzzStatementSpans: never panics, and spans are ordered.
func FuzzStatementSpans(f *testing.F) {
	for _, s := range []string{`{"Statement":[{},{}]}`, `{"Statement":{}}`, `{"Statement":"`, `}}]]{{`, `"\`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, sp := range statementSpans(s) {
			if sp[0].Line > sp[1].Line || sp[0].Line == sp[1].Line && sp[0].Column > sp[1].Column {
				t.Fatalf("statementSpans(%q): span %v ends before it starts", s, sp)
			}
		}
	})
}
