package policy

import (
	"fmt"
	"strings"
)

// Policy variables. AWS: reference_policies_variables.
//
//   - Only in Version "2012-10-17" policies; in "2008-10-17" (or with no
//     Version) "${...}" is literal text (reference_policies_variables,
//     "you must include the Version element and set it to 2012-10-17").
//   - Substituted in Resource / NotResource and in condition values, never
//     in Action ("Where you can use policy variables").
//   - ${key} is replaced with the request context's single value for key
//     (case-insensitive key). A key that is absent, or multivalued ("You
//     can't use multivalued context keys as policy variables"), leaves the
//     variable unresolved: the Resource pattern or condition value holding
//     it matches nothing ("Policy variables with no value").
//   - ${key, 'default'} resolves to default when key has no value; spaces
//     around key and default are ignored, '' inside the quotes is one '
//     ("Specifying default values").
//   - ${*}, ${?} and ${$} are a literal '*', '?' and '$' ("Special
//     characters").
//
// tgsim reading: substituted values and defaults are literal text, never
// wildcards (a username of "*" does not widen a Resource).

type tpart struct {
	text   string // literal text (isVar == false)
	escape bool   // text came from ${*}, ${?} or ${$}: never a wildcard
	isVar  bool
	key    string // lower-cased context key
	orig   string // key as written
	def    string
	hasDef bool
}

// template is a string holding policy variables, compiled at Parse.
type template struct {
	parts []tpart
	// static is true when nothing needs the request context (only
	// literal text and escapes).
	static bool
}

// parseTemplate splits s into literal text and variables. It returns nil
// when s has no "${" at all (the common case: use s as is).
func parseTemplate(s string) (*template, error) {
	if !strings.Contains(s, "${") {
		return nil, nil
	}
	t := &template{static: true}
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			t.parts = append(t.parts, tpart{text: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(s); {
		if !strings.HasPrefix(s[i:], "${") {
			lit.WriteByte(s[i])
			i++
			continue
		}
		end, err := varEnd(s, i+2)
		if err != nil {
			return nil, err
		}
		body := strings.TrimSpace(s[i+2 : end])
		i = end + 1
		switch body {
		case "*", "?", "$":
			// An escape: a literal character. Kept in its own part so the
			// matcher can tell it from a wildcard.
			flush()
			t.parts = append(t.parts, tpart{text: body, escape: true})
			continue
		}
		part, err := parseVarBody(body)
		if err != nil {
			return nil, err
		}
		flush()
		t.parts = append(t.parts, part)
		t.static = false
	}
	flush()
	return t, nil
}

// varEnd finds the '}' closing a variable whose body starts at i, skipping
// braces inside a quoted default.
func varEnd(s string, i int) (int, error) {
	inQuote := false
	for j := i; j < len(s); j++ {
		switch s[j] {
		case '\'':
			inQuote = !inQuote // '' inside quotes toggles twice: still inside
		case '}':
			if !inQuote {
				return j, nil
			}
		}
	}
	return 0, fmt.Errorf("unterminated policy variable %q", s[i-2:])
}

func parseVarBody(body string) (tpart, error) {
	key, def, hasDef := body, "", false
	if k, rest, ok := strings.Cut(body, ","); ok {
		key = strings.TrimSpace(k)
		rest = strings.TrimSpace(rest)
		if len(rest) < 2 || rest[0] != '\'' || rest[len(rest)-1] != '\'' {
			return tpart{}, fmt.Errorf("policy variable ${%s}: default value must be in single quotes", body)
		}
		inner := rest[1 : len(rest)-1]
		// Inside the quotes a quote must be doubled.
		if strings.Count(inner, "'")%2 != 0 || strings.Contains(strings.ReplaceAll(inner, "''", ""), "'") {
			return tpart{}, fmt.Errorf("policy variable ${%s}: a quote inside the default value must be doubled ('')", body)
		}
		def, hasDef = strings.ReplaceAll(inner, "''", "'"), true
	}
	if key == "" {
		return tpart{}, fmt.Errorf("policy variable ${%s} has no key", body)
	}
	if strings.ContainsAny(key, " \t\r\n'${}") {
		return tpart{}, fmt.Errorf("policy variable ${%s}: invalid key %q", body, key)
	}
	return tpart{isVar: true, key: strings.ToLower(key), orig: key, def: def, hasDef: hasDef}, nil
}

// resolve substitutes ctx into t. lit marks the bytes that are literal
// (escapes and substituted text); it is built only when wantLit. ok is false
// when a variable has no value and no default; missing then names its key.
func (t *template) resolve(ctx Context, wantLit bool) (s string, lit []bool, ok bool, missing string) {
	var b strings.Builder
	for _, p := range t.parts {
		text, literal := p.text, p.escape
		if p.isVar {
			vals, found := ctx.lookup(p.key)
			switch {
			case found && len(vals) == 1:
				text = vals[0]
			case p.hasDef:
				text = p.def
			default:
				return "", nil, false, p.orig
			}
			literal = true
		}
		if wantLit {
			for range len(text) {
				lit = append(lit, literal)
			}
		}
		b.WriteString(text)
	}
	return b.String(), lit, true, ""
}

// keys lists the context keys t refers to that have no default.
func (t *template) keys() []string {
	var ks []string
	for _, p := range t.parts {
		if p.isVar && !p.hasDef {
			ks = append(ks, p.orig)
		}
	}
	return ks
}
