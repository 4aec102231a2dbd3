package policy

import (
	"testing"
)

func mustParse(t testing.TB, doc string) *Policy {
	t.Helper()
	p, err := Parse(doc)
	if err != nil {
		t.Fatalf("Parse(%q) = %v, want no error", doc, err)
	}
	return p
}

// ctxOf builds a Context through Set, from alternating key, value pairs;
// a key may repeat to add values.
func ctxOf(kv ...string) Context {
	c := Context{}
	for i := 0; i+1 < len(kv); i += 2 {
		old, _ := c.Get(kv[i])
		c.Set(kv[i], append(append([]string(nil), old...), kv[i+1])...)
	}
	return c
}

func identity(t testing.TB, docs ...string) Set {
	t.Helper()
	var s Set
	for i, d := range docs {
		s.Identity = append(s.Identity, NamedPolicy{ID: "id" + string(rune('0'+i)), Policy: mustParse(t, d)})
	}
	return s
}
