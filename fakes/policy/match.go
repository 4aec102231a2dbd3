package policy

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// MatchWildcard reports whether value matches pattern, where '*' matches any run of
// characters (including none) and '?' matches exactly one character. Every
// other character matches itself; with caseInsensitive, characters match
// under Unicode simple case folding (what regexp's (?i) does).
//
// AWS: reference_policies_elements_action, "Action ... case-insensitive";
// reference_policies_elements_resource, "You can use wildcard characters
// (* and ?) within any ARN segment"; resources are case-sensitive.
//
// The algorithm keeps a single backtrack point (the last '*' seen), so it
// runs in O(len(pattern) * len(value)) time at worst and allocates nothing;
// there is no exponential backtracking however many '*' the pattern holds.
//
// (The brief named this function Match; api.go's Match type owns that name.)
func MatchWildcard(pattern, value string, caseInsensitive bool) bool {
	ok, _ := wildMatch(pattern, nil, value, caseInsensitive)
	return ok
}

// wildMatch is MatchWildcard where lit, when non-nil, marks bytes of p that are
// literal even if they are '*' or '?' (produced by the ${*} and ${?} escapes
// and by substituted variable values). It also returns how many steps it
// took, so tests can bound the work without timing it.
func wildMatch(p string, lit []bool, v string, fold bool) (bool, int) {
	pi, vi := 0, 0
	starP, starV := -1, 0
	steps := 0
	for vi < len(v) {
		steps++
		if pi < len(p) {
			c := p[pi]
			wild := lit == nil || !lit[pi]
			if c == '*' && wild {
				pi++
				if pi == len(p) {
					return true, steps // a trailing '*' takes the rest
				}
				starP, starV = pi, vi
				continue
			}
			vc := v[vi]
			if c == '?' && wild {
				pi++
				if vc < utf8.RuneSelf {
					vi++
				} else {
					_, w := utf8.DecodeRuneInString(v[vi:])
					vi += w
				}
				continue
			}
			if c < utf8.RuneSelf && vc < utf8.RuneSelf {
				// ASCII on both sides: no decoding, and under folding only
				// letters match across case.
				if c == vc || (fold && c|0x20 == vc|0x20 && c|0x20 >= 'a' && c|0x20 <= 'z') {
					pi++
					vi++
					continue
				}
			} else {
				pr, pw := decodeRune(p, pi)
				vr, vw := decodeRune(v, vi)
				if runeEqual(pr, vr, fold) {
					pi += pw
					vi += vw
					continue
				}
			}
		}
		if starP < 0 {
			return false, steps
		}
		// The last '*' absorbs one more character; retry from there.
		_, w := decodeRune(v, starV)
		starV += w
		vi, pi = starV, starP
	}
	for pi < len(p) && p[pi] == '*' && (lit == nil || !lit[pi]) {
		pi++
	}
	return pi == len(p), steps
}

func decodeRune(s string, i int) (rune, int) {
	if c := s[i]; c < utf8.RuneSelf {
		return rune(c), 1
	}
	return utf8.DecodeRuneInString(s[i:])
}

// runeEqual compares two characters, under simple case folding if fold.
func runeEqual(a, b rune, fold bool) bool {
	if a == b {
		return true
	}
	if !fold {
		return false
	}
	if a < utf8.RuneSelf && b < utf8.RuneSelf {
		// ASCII letters fold only to each other here ('k' also folds to
		// U+212A KELVIN SIGN, but b is ASCII).
		return a|0x20 == b|0x20 && a|0x20 >= 'a' && a|0x20 <= 'z'
	}
	for r := unicode.SimpleFold(a); r != a; r = unicode.SimpleFold(r) {
		if r == b {
			return true
		}
	}
	return false
}

// globKind picks a fast path for a pattern compiled at Parse.
type globKind uint8

const (
	globGeneral  globKind = iota
	globAny               // "*"
	globExact             // no wildcards
	globPrefix            // literal followed by one trailing '*'
	globSegments          // literals separated by '*', no '?', case-sensitive
)

// glob is a wildcard pattern compiled once (at Parse, or after variable
// substitution).
type glob struct {
	pat  string
	lit  []bool // see wildMatch; nil when every '*' and '?' is a wildcard
	kind globKind
	fold bool
	segs []string // globSegments: the literals between the '*'s
}

func compileGlob(pat string, lit []bool, fold bool) glob {
	g := glob{pat: pat, lit: lit, fold: fold}
	stars, quests := 0, 0
	last := -1
	for i := 0; i < len(pat); i++ {
		if lit != nil && lit[i] {
			continue
		}
		switch pat[i] {
		case '*':
			stars++
			last = i
		case '?':
			quests++
			last = i
		}
	}
	switch {
	case stars+quests == 1 && pat == "*":
		g.kind = globAny
		return g
	case !utf8.ValidString(pat) || strings.ContainsRune(pat, utf8.RuneError):
		// Byte comparison differs from character comparison only here:
		// U+FFFD matches any invalid byte of the value, as in regexp.
		g.kind = globGeneral
		return g
	case stars+quests == 0:
		g.kind = globExact
	case stars == 1 && quests == 0 && last == len(pat)-1:
		g.kind = globPrefix
	case quests == 0 && !fold:
		g.kind = globSegments
		start := 0
		for i := 0; i < len(pat); i++ {
			if pat[i] == '*' && (lit == nil || !lit[i]) {
				g.segs = append(g.segs, pat[start:i])
				start = i + 1
			}
		}
		g.segs = append(g.segs, pat[start:])
	default:
		g.kind = globGeneral
	}
	if fold && !isASCII(pat) {
		// Byte-wise fast paths are only right for ASCII under folding.
		g.kind = globGeneral
	}
	return g
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func (g *glob) match(v string) bool {
	switch g.kind {
	case globAny:
		return true
	case globExact:
		if g.fold {
			return asciiFoldEqual(g.pat, v)
		}
		return g.pat == v
	case globPrefix:
		n := len(g.pat) - 1
		if g.fold {
			return asciiFoldHasPrefix(v, g.pat[:n])
		}
		return strings.HasPrefix(v, g.pat[:n])
	case globSegments:
		return matchSegments(g.segs, v)
	}
	ok, _ := wildMatch(g.pat, g.lit, v, g.fold)
	return ok
}

// asciiFoldEqual reports whether v equals the ASCII pattern p under Unicode
// simple folding. Only 'k' and 's' fold to non-ASCII characters (KELVIN
// SIGN, LONG S); a non-ASCII byte in v sends the comparison to the general
// matcher so those stay right.
func asciiFoldEqual(p, v string) bool {
	if len(p) != len(v) {
		if isASCII(v) {
			return false
		}
		ok, _ := wildMatch(p, nil, v, true)
		return ok
	}
	for i := 0; i < len(p); i++ {
		a, b := p[i], v[i]
		if a == b {
			continue
		}
		if b >= utf8.RuneSelf {
			ok, _ := wildMatch(p, nil, v, true)
			return ok
		}
		if a|0x20 != b|0x20 || a|0x20 < 'a' || a|0x20 > 'z' {
			return false
		}
	}
	return true
}

func asciiFoldHasPrefix(v, p string) bool {
	n := len(p)
	if len(v) < n {
		if isASCII(v) {
			return false
		}
		ok, _ := wildMatch(p+"*", nil, v, true)
		return ok
	}
	for i := 0; i < n; i++ {
		a, b := p[i], v[i]
		if a == b {
			continue
		}
		if b >= utf8.RuneSelf {
			ok, _ := wildMatch(p+"*", nil, v, true)
			return ok
		}
		if a|0x20 != b|0x20 || a|0x20 < 'a' || a|0x20 > 'z' {
			return false
		}
	}
	return true
}

// matchSegments matches first*middle...*last: first as a prefix, last as a
// suffix, and each middle literal at its leftmost place in between. For
// patterns with '*' only, leftmost placement is always right (any later
// placement leaves less room for the rest), and strings.Index makes it
// linear in practice.
func matchSegments(segs []string, v string) bool {
	first, last := segs[0], segs[len(segs)-1]
	if len(v) < len(first)+len(last) || !strings.HasPrefix(v, first) || !strings.HasSuffix(v, last) {
		return false
	}
	rest := v[len(first) : len(v)-len(last)]
	for _, s := range segs[1 : len(segs)-1] {
		i := strings.Index(rest, s)
		if i < 0 {
			return false
		}
		rest = rest[i+len(s):]
	}
	return true
}
