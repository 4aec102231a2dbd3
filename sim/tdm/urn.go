package tdm

import (
	"fmt"
	"strings"
)

// MaxURNLength is the longest id the API accepts [API shape Urn].
const MaxURNLength = 160

// URN is a parsed TDM id urn:tdm:<namespace>:<metatype>:<path>
// [DOC ug:iot-tg-models-tdm-urnscheme].
type URN struct{ Namespace, Metatype, Path string }

// String returns the URN text.
func (u URN) String() string {
	return "urn:tdm:" + u.Namespace + ":" + u.Metatype + ":" + u.Path
}

// ParseURN validates s against the API's Urn shape (max 160 characters and
// the pattern quoted in spec §1.3) and splits it. \p{Alnum} and \p{Alpha}
// are the ASCII POSIX classes, as in Java's default regex mode.
func ParseURN(s string) (URN, error) {
	if len(s) > MaxURNLength {
		return URN{}, fmt.Errorf("urn %q is %d characters long; the maximum is %d", s, len(s), MaxURNLength)
	}
	rest, ok := strings.CutPrefix(s, "urn:tdm:")
	if !ok {
		return URN{}, fmt.Errorf("urn %q must start with \"urn:tdm:\"", s)
	}
	parts := strings.Split(rest, ":")
	if len(parts) != 3 {
		return URN{}, fmt.Errorf("urn %q must have the form urn:tdm:<namespace>:<metatype>:<name>", s)
	}
	u := URN{Namespace: parts[0], Metatype: parts[1], Path: parts[2]}
	if err := checkNamespace(u.Namespace); err != nil {
		return URN{}, fmt.Errorf("urn %q: %v", s, err)
	}
	for i := 0; i < len(u.Metatype); i++ {
		if !isAlpha(u.Metatype[i]) {
			return URN{}, fmt.Errorf("urn %q: metatype %q may contain letters only", s, u.Metatype)
		}
	}
	if err := checkPath(u.Path, "name"); err != nil {
		return URN{}, fmt.Errorf("urn %q: %v", s, err)
	}
	return u, nil
}

func isAlpha(c byte) bool { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') }

func isWordSegment(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isNameChar(s[i]) {
			return false
		}
	}
	return true
}

// checkPath accepts [\p{Alnum}_]+(/[\p{Alnum}_]+)*.
func checkPath(p, what string) error {
	for _, seg := range strings.Split(p, "/") {
		if !isWordSegment(seg) {
			return fmt.Errorf("%s %q must be /-separated segments of letters, digits and underscores", what, p)
		}
	}
	return nil
}

// checkNamespace accepts
// ([a-z]{2}-(gov-)?[a-z]{4,9}-[0-9]{1,3}/[0-9]+/)*[\p{Alnum}_]+(/[\p{Alnum}_]+)*.
func checkNamespace(ns string) error {
	segs := strings.Split(ns, "/")
	i := 0
	for i+2 < len(segs) && isRegion(segs[i]) && isDigits(segs[i+1]) {
		i += 2
	}
	for _, seg := range segs[i:] {
		if !isWordSegment(seg) {
			return fmt.Errorf("namespace %q must be REGION/ACCOUNT/name or /-separated names of letters, digits and underscores", ns)
		}
	}
	return nil
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

func isLowerRun(s string, min, max int) bool {
	if len(s) < min || len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 'a' || s[i] > 'z' {
			return false
		}
	}
	return true
}

// isRegion matches [a-z]{2}-(gov-)?[a-z]{4,9}-[0-9]{1,3}.
func isRegion(s string) bool {
	p := strings.Split(s, "-")
	if len(p) == 4 && p[1] == "gov" {
		p = []string{p[0], p[2], p[3]}
	}
	return len(p) == 3 && isLowerRun(p[0], 2, 2) && isLowerRun(p[1], 4, 9) && isDigits(p[2]) && len(p[2]) <= 3
}

// Key returns the canonical map key of a URN: the text with only the
// metatype segment lower-cased. [INF] spec §1.3: metatypes match
// case-insensitively, namespace and name case-sensitively. Text that is not
// a URN is returned unchanged.
func Key(urn string) string {
	if !strings.HasPrefix(urn, "urn:tdm:") {
		return urn
	}
	rest := urn[len("urn:tdm:"):]
	i := strings.IndexByte(rest, ':')
	if i < 0 {
		return urn
	}
	j := strings.IndexByte(rest[i+1:], ':')
	if j < 0 {
		return urn
	}
	meta := rest[i+1 : i+1+j]
	lower := strings.ToLower(meta)
	if lower == meta {
		return urn
	}
	return "urn:tdm:" + rest[:i+1] + lower + rest[i+1+j:]
}

// SameURN reports whether a and b name the same entity: the metatype
// segment compares case-insensitively, the rest exactly.
func SameURN(a, b string) bool { return Key(a) == Key(b) }
