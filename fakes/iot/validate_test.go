package iot

import (
	"strings"
	"testing"
)

// FuzzParsePrincipal: never panics; an accepted principal names a 64-digit
// lower-case hex id that survives a round trip through a certificate ARN.
func FuzzParsePrincipal(f *testing.F) {
	f.Add("arn:aws:iot:us-east-1:000000000000:cert/" + strings.Repeat("Ab", 32))
	f.Add("arn:aws:iot:us-east-1:000000000000:thing/x")
	f.Add("us-east-1:1234")
	f.Add("arn:aws:iot:::cert/")
	f.Fuzz(func(t *testing.T, s string) {
		id, err := parsePrincipal(s)
		if err != nil {
			return
		}
		if len(id) != 64 || strings.ToLower(id) != id {
			t.Fatalf("parsePrincipal(%q) = %q, want 64 lower-case hex digits", s, id)
		}
		again, err := parsePrincipal("arn:aws:iot:r:a:cert/" + id)
		if err != nil || again != id {
			t.Fatalf("round trip of %q = %q, %v", id, again, err)
		}
	})
}

// FuzzValidateName: agrees with the model's constraint on ThingName.
func FuzzValidateName(f *testing.F) {
	for _, s := range []string{"lamp-1", "", "a b", "x:y_z", strings.Repeat("a", 129), "é"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ok := len(s) >= 1 && len(s) <= 128 && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789:_-") == ""
		if err := validateName("thingName", s); (err == nil) != ok {
			t.Fatalf("validateName(%q) = %v, want ok=%v", s, err, ok)
		}
	})
}
