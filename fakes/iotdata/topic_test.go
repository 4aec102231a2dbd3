package iotdata_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/tgsim/tgsim/fakes/iotdata"
)

func TestValidateTopic(t *testing.T) {
	tests := []struct {
		topic string
		ok    bool
	}{
		{"a", true},
		{"a/b/c/d/e/f/g/h", true}, // 7 slashes
		{"a/b/c/d/e/f/g/h/i", false},
		{strings.Repeat("x", 256), true},
		{strings.Repeat("x", 257), false},
		{"$aws/things/lamp/shadow/update", true},
		{"$aws/rules/myRule/a/b/c/d/e/f/g/h", true}, // prefix not counted
		{"$aws/rules/myRule/a/b/c/d/e/f/g/h/i", false},
		{"$aws/rules/myRule/" + strings.Repeat("x", 256), true},
		{"", false},
		{"a/+/b", false},
		{"a/#", false},
		{"a\x00b", false},
		{"a\xffb", false},
		{"a/*/b?", true}, // policy wildcards are ordinary topic characters
	}
	for _, tt := range tests {
		if err := iotdata.ValidateTopic(tt.topic); (err == nil) != tt.ok {
			t.Errorf("ValidateTopic(%q) = %v, want ok=%v", tt.topic, err, tt.ok)
		}
	}
	for _, f := range []string{"a/+/b", "a/#", "#"} {
		if err := iotdata.ValidateTopicFilter(f); err != nil {
			t.Errorf("ValidateTopicFilter(%q) = %v", f, err)
		}
	}
	if err := iotdata.ValidateTopicFilter("+/+/+/+/+/+/+/+/#"); err == nil {
		t.Error("ValidateTopicFilter accepted a filter with 8 slashes")
	}
}

func FuzzTopic(f *testing.F) {
	for _, s := range []string{"a/b", "$aws/rules/r/x", "a/+", "#", "", "a\x00", strings.Repeat("/", 8), "$aws/rules/", "$aws/rules/r"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		err := iotdata.ValidateTopic(s)
		ferr := iotdata.ValidateTopicFilter(s)
		if err != nil {
			return
		}
		if ferr != nil {
			t.Errorf("ValidateTopic(%q) ok but ValidateTopicFilter = %v", s, ferr)
		}
		if s == "" || strings.ContainsAny(s, "+#\x00") || !utf8.ValidString(s) {
			t.Errorf("ValidateTopic(%q) accepted an invalid topic", s)
		}
		counted := s
		if rest, ok := strings.CutPrefix(s, "$aws/rules/"); ok {
			if _, after, found := strings.Cut(rest, "/"); found {
				counted = after
			}
		}
		if len(counted) > iotdata.MaxTopicBytes || strings.Count(counted, "/") > iotdata.MaxTopicSlashes {
			t.Errorf("ValidateTopic(%q) accepted a topic over the limits", s)
		}
	})
}
