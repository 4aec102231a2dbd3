package policy

import (
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestMatchWildcard(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		pattern string
		value   string
		ci      bool
		want    bool
	}{
		{"empty both", "", "", false, true},
		{"star empty", "*", "", false, true},
		{"star any", "*", "arn:aws:s3:::b/k", false, true},
		{"exact", "s3:GetObject", "s3:GetObject", false, true},
		{"exact case-sensitive", "s3:GetObject", "s3:getobject", false, false},
		{"exact case-insensitive", "s3:GetObject", "S3:GETOBJECT", true, true},
		{"prefix", "s3:Get*", "s3:GetObjectAcl", false, true},
		{"prefix ci", "iotthingsgraph:*", "IoTThingsGraph:DeploySystemInstance", true, true},
		{"prefix miss", "s3:Get*", "s3:PutObject", false, false},
		{"suffix", "*Object", "s3:GetObject", false, true},
		{"middle", "arn:aws:s3:::bucket/*/photos/*.jpg", "arn:aws:s3:::bucket/bob/photos/a.jpg", false, true},
		{"middle miss", "arn:aws:s3:::bucket/*/photos/*.jpg", "arn:aws:s3:::bucket/bob/docs/a.jpg", false, false},
		{"question one char", "b?b", "bob", false, true},
		{"question not zero", "b?b", "bb", false, false},
		{"question multibyte", "caf?", "café", false, true},
		{"star crosses slashes", "arn:aws:s3:::b/*", "arn:aws:s3:::b/x/y/z", false, true},
		{"backtrack", "*ab*ab", "xabyabab", false, true},
		{"backtrack miss", "*ab*abc", "xabyabab", false, false},
		{"stars only", "***", "anything", false, true},
		{"trailing literal", "a*b", "ab", false, true},
		{"trailing literal miss", "a*b", "abc", false, false},
		{"kelvin folds to k", "k*", "\u212Aey", true, true},
		{"long s folds to s", "s3:*", "\u017F3:x", true, true},
		{"no fold without ci", "k*", "\u212Aey", false, false},
		{"greek fold", "σ", "Σ", true, true},
		{"non-letter no fold", "@", "`", true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := MatchWildcard(tt.pattern, tt.value, tt.ci); got != tt.want {
				t.Errorf("MatchWildcard(%q, %q, %v) = %v, want %v", tt.pattern, tt.value, tt.ci, got, tt.want)
			}
			if want := oracle(t, tt.pattern, tt.value, tt.ci); want != tt.want {
				t.Errorf("oracle(%q, %q, %v) = %v, table says %v", tt.pattern, tt.value, tt.ci, want, tt.want)
			}
			g := compileGlob(tt.pattern, nil, tt.ci)
			if got := g.match(tt.value); got != tt.want {
				t.Errorf("compiled glob(%q).match(%q) = %v, want %v", tt.pattern, tt.value, got, tt.want)
			}
		})
	}
}

// oracle is the reference semantics: QuoteMeta, '*' -> .*, '?' -> ., anchored.
func oracle(t testing.TB, pattern, value string, ci bool) bool {
	t.Helper()
	var b strings.Builder
	b.WriteString("^(?s)")
	if ci {
		b.WriteString("(?i)")
	}
	for _, r := range pattern {
		switch r {
		case '*':
			b.WriteString(".*")
		case '?':
			b.WriteString(".")
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	b.WriteString("$")
	re, err := regexp.Compile(b.String())
	if err != nil {
		t.Fatalf("oracle regexp %q: %v", b.String(), err)
	}
	return re.MatchString(value)
}

// genAlphabet is small so that generated patterns match often enough to
// test both outcomes; it includes fold pairs and a multibyte rune.
var genAlphabet = []rune{'a', 'b', 'A', 'B', 'k', 'K', '\u212A', 's', '\u017F', ':', '/', 'é', 'É', '*', '?'}

func genString(r *rand.Rand, n int, wild bool) string {
	var b strings.Builder
	for range r.IntN(n + 1) {
		c := genAlphabet[r.IntN(len(genAlphabet))]
		if !wild && (c == '*' || c == '?') {
			c = 'a'
		}
		b.WriteRune(c)
	}
	return b.String()
}

// TestMatchOracle compares MatchWildcard (and the compiled fast paths) with
// the regexp oracle on many seeded random pairs.
func TestMatchOracle(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 2))
	const pairs = 20000
	matches := 0
	for i := range pairs {
		p := genString(r, 8, true)
		v := genString(r, 12, r.IntN(4) == 0) // values sometimes hold '*' and '?' as text
		if i%3 == 0 {
			// Derive the value from the pattern so that matches are common.
			v = strings.NewReplacer("*", genString(r, 3, false), "?", "b").Replace(p)
		}
		ci := r.IntN(2) == 0
		want := oracle(t, p, v, ci)
		if want {
			matches++
		}
		if got := MatchWildcard(p, v, ci); got != want {
			t.Fatalf("MatchWildcard(%q, %q, %v) = %v, want %v (regexp oracle)", p, v, ci, got, want)
		}
		g := compileGlob(p, nil, ci)
		if got := g.match(v); got != want {
			t.Fatalf("glob(%q, kind %d).match(%q) ci=%v = %v, want %v", p, g.kind, v, ci, got, want)
		}
	}
	if matches < pairs/10 {
		t.Errorf("only %d of %d generated pairs match: generator too weak", matches, pairs)
	}
}

// TestMatchSteps bounds the matcher's work without timing it: the number of
// steps on the pathological inputs stays linear-ish in the input sizes,
// where a backtracking matcher would explode.
func TestMatchSteps(t *testing.T) {
	t.Parallel()
	value := strings.Repeat("a", 1024)
	tests := []struct {
		name     string
		pattern  string
		value    string
		maxSteps int
	}{
		{"64 stars then miss", strings.Repeat("*a", 64) + "b", value, 4 * (1024 + 130)},
		{"64 stars then match", strings.Repeat("*a", 64), value, 4 * (1024 + 130)},
		{"star then long miss", "*" + strings.Repeat("a", 30) + "b", value, 32 * 1024},
		{"alternating", strings.Repeat("*?", 64) + "b", value, 4 * 1024 * 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, steps := wildMatch(tt.pattern, nil, tt.value, true)
			if steps > tt.maxSteps {
				t.Errorf("wildMatch(%d-byte pattern, %d-byte value) took %d steps, want <= %d", len(tt.pattern), len(tt.value), steps, tt.maxSteps)
			}
			// The step count is bounded by the product in every case.
			if limit := (len(tt.pattern) + 1) * (len(tt.value) + 1); steps > limit {
				t.Errorf("steps %d > |p|*|v| = %d", steps, limit)
			}
		})
	}
}

// BenchmarkMatchPathological: 64 '*' against 1 KiB.
func BenchmarkMatchPathological(b *testing.B) {
	value := strings.Repeat("a", 1024)
	pattern := strings.Repeat("*a", 64) + "b"
	for b.Loop() {
		if MatchWildcard(pattern, value, true) {
			b.Fatal("matched")
		}
	}
}

func FuzzMatch(f *testing.F) {
	f.Add("*", "", false)
	f.Add("s3:Get*", "S3:GETOBJECT", true)
	f.Add("a*b?c", "axxbyc", false)
	f.Add("k*", "\u212A", true)
	f.Add("*a*a*a*b", "aaaaaaaaaa", true)
	f.Fuzz(func(t *testing.T, pattern, value string, ci bool) {
		got := MatchWildcard(pattern, value, ci)
		g := compileGlob(pattern, nil, ci)
		if g.match(value) != got {
			t.Fatalf("compiled glob(%q).match(%q) ci=%v disagrees with MatchWildcard = %v", pattern, value, ci, got)
		}
		if len(pattern) > 64 || len(value) > 256 || !utf8.ValidString(pattern) || !utf8.ValidString(value) {
			return
		}
		if want := oracle(t, pattern, value, ci); got != want {
			t.Fatalf("MatchWildcard(%q, %q, %v) = %v, want %v (regexp oracle)", pattern, value, ci, got, want)
		}
	})
}
