package iam

import (
	"regexp"
	"testing"
	"unicode/utf8"
)

var pathRE = regexp.MustCompile(`^(?:/|/[\x{21}-\x{7E}]+/)$`)

// FuzzValidatePath: agrees with the model's pathType pattern and length.
func FuzzValidatePath(f *testing.F) {
	for _, s := range []string{"/", "/service-role/", "//", "/a b/", "a/", "/x", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want := utf8.ValidString(s) && len(s) <= 512 && pathRE.MatchString(s)
		if err := validatePath("path", s); (err == nil) != want {
			t.Fatalf("validatePath(%q) = %v, want ok=%v", s, err, want)
		}
	})
}

var nameRE = regexp.MustCompile(`^[\w+=,.@-]{1,64}$`)

// FuzzValidateName: agrees with roleNameType.
func FuzzValidateName(f *testing.F) {
	for _, s := range []string{"TGFlowRole", "a b", "", "é", "x@y.z+=,-_"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want := utf8.ValidString(s) && nameRE.MatchString(s)
		if err := validateName("roleName", s, 64); (err == nil) != want {
			t.Fatalf("validateName(%q) = %v, want ok=%v", s, err, want)
		}
	})
}
