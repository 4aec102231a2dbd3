package device

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
)

// Template is a parsed payload string. The language is deliberately
// small: literal text with {{...}} placeholders, no conditionals or loops.
//
//	{{thing}}        the device's thing name              (per device)
//	{{index}}        the device's 1-based index in its fleet; {{index:04}}
//	                 zero-pads to 4 digits                (per device)
//	{{seq}}          1-based number of the message         (per message)
//	{{time}}         Unix time of the message in ms       (per message)
//	{{rand A B}}     a uniform random number in [A, B]; an integer when A
//	                 and B are both integers               (per message)
//	{{state.KEY}}    the device's scripted state KEY       (per message)
//
// A string that is exactly one placeholder keeps the placeholder's type
// (number or boolean) once expanded into JSON; anywhere else the value is
// formatted into the text.
type Template struct {
	src   string
	parts []part
}

type partKind int

const (
	partText partKind = iota
	partThing
	partIndex
	partSeq
	partTime
	partRand
	partState
)

type part struct {
	kind   partKind
	text   string // partText: the text; partState: the key
	width  int    // partIndex: zero-padding width
	lo, hi float64
	ints   bool // partRand: both bounds are integers (ilo, ihi)
	ilo    int64
	ihi    int64
}

// Vars are the values a Template expands with.
type Vars struct {
	Thing string
	Index int
	Seq   int
	Time  time.Time
	// Rand draws {{rand}}; nil uses a fixed-seed source.
	Rand  *rand.Rand
	State map[string]any
}

// ParseTemplate parses s. Errors name the byte offset of the placeholder
// and what was expected there.
func ParseTemplate(s string) (*Template, error) {
	t := &Template{src: s}
	rest, off := s, 0
	for rest != "" {
		open := strings.Index(rest, "{{")
		if open < 0 {
			t.parts = append(t.parts, part{kind: partText, text: rest})
			break
		}
		if open > 0 {
			t.parts = append(t.parts, part{kind: partText, text: rest[:open]})
		}
		end := strings.Index(rest[open:], "}}")
		if end < 0 {
			return nil, fmt.Errorf("offset %d: unclosed {{, expected }}", off+open)
		}
		inner := strings.TrimSpace(rest[open+2 : open+end])
		p, err := parsePlaceholder(inner)
		if err != nil {
			return nil, fmt.Errorf("offset %d: {{%s}}: %w", off+open, inner, err)
		}
		t.parts = append(t.parts, p)
		off += open + end + 2
		rest = rest[open+end+2:]
	}
	return t, nil
}

func parsePlaceholder(in string) (part, error) {
	fields := strings.Fields(in)
	if len(fields) == 0 {
		return part{}, fmt.Errorf("empty placeholder, expected thing, index, seq, time, rand A B or state.KEY")
	}
	switch name := fields[0]; {
	case name == "thing" || name == "seq" || name == "time":
		if len(fields) != 1 {
			return part{}, fmt.Errorf("%s takes no arguments", name)
		}
		return part{kind: map[string]partKind{"thing": partThing, "seq": partSeq, "time": partTime}[name]}, nil
	case name == "index" || strings.HasPrefix(name, "index:"):
		if len(fields) != 1 {
			return part{}, fmt.Errorf("index takes no arguments")
		}
		p := part{kind: partIndex}
		if w, ok := strings.CutPrefix(name, "index:"); ok {
			n, err := strconv.Atoi(w)
			if err != nil || n < 1 || n > 12 || w[0] != '0' {
				return part{}, fmt.Errorf("index width %q, expected a zero-padded width such as 04 (1 to 12 digits)", w)
			}
			p.width = n
		}
		return p, nil
	case name == "rand":
		if len(fields) != 3 {
			return part{}, fmt.Errorf("rand takes two numbers, A and B, found %d arguments", len(fields)-1)
		}
		lo, err1 := strconv.ParseFloat(fields[1], 64)
		hi, err2 := strconv.ParseFloat(fields[2], 64)
		if err1 != nil || err2 != nil {
			return part{}, fmt.Errorf("rand bounds %q %q, expected two numbers", fields[1], fields[2])
		}
		if !(lo <= hi) || isInf(lo) || isInf(hi) {
			return part{}, fmt.Errorf("rand bounds %g %g, expected finite A <= B", lo, hi)
		}
		p := part{kind: partRand, lo: lo, hi: hi}
		ilo, e1 := strconv.ParseInt(fields[1], 10, 64)
		ihi, e2 := strconv.ParseInt(fields[2], 10, 64)
		if e1 == nil && e2 == nil {
			// The span must fit Int64N's argument.
			if ilo < -1<<61 || ihi > 1<<61 {
				return part{}, fmt.Errorf("rand integer bounds %d %d, expected within ±2^61", ilo, ihi)
			}
			p.ints, p.ilo, p.ihi = true, ilo, ihi
		}
		return p, nil
	case strings.HasPrefix(name, "state."):
		key := strings.TrimPrefix(name, "state.")
		if key == "" || len(fields) != 1 {
			return part{}, fmt.Errorf("state takes a key: state.KEY")
		}
		return part{kind: partState, text: key}, nil
	default:
		return part{}, fmt.Errorf("unknown placeholder %q, expected thing, index, seq, time, rand A B or state.KEY", name)
	}
}

func isInf(f float64) bool { return f > 1e300 || f < -1e300 }

// String returns the source text.
func (t *Template) String() string { return t.src }

// Static reports whether the template has no per-message placeholder, so
// it can be expanded once per device.
func (t *Template) Static() bool {
	for _, p := range t.parts {
		if p.kind != partText && p.kind != partThing && p.kind != partIndex {
			return false
		}
	}
	return true
}

var fixedRand = rand.New(rand.NewPCG(1, 2))

// Value expands the template: a typed value when the template is exactly
// one placeholder, otherwise a string.
func (t *Template) Value(v Vars) any {
	if len(t.parts) == 1 && t.parts[0].kind != partText {
		return t.parts[0].value(v)
	}
	var b strings.Builder
	for _, p := range t.parts {
		if p.kind == partText {
			b.WriteString(p.text)
			continue
		}
		fmt.Fprint(&b, p.value(v))
	}
	return b.String()
}

func (p part) value(v Vars) any {
	switch p.kind {
	case partThing:
		return v.Thing
	case partIndex:
		if p.width > 0 {
			return fmt.Sprintf("%0*d", p.width, v.Index)
		}
		return v.Index
	case partSeq:
		return v.Seq
	case partTime:
		return v.Time.UnixMilli()
	case partRand:
		r := v.Rand
		if r == nil {
			r = fixedRand
		}
		if p.ints {
			return p.ilo + r.Int64N(p.ihi-p.ilo+1)
		}
		return p.lo + r.Float64()*(p.hi-p.lo)
	case partState:
		if x, ok := v.State[p.text]; ok {
			return x
		}
		return nil
	}
	return p.text
}

// Payload is a parsed YAML/JSON value whose strings are templates.
type Payload struct {
	root any
}

// ParsePayload parses every string of v (maps, lists and scalars as YAML
// decodes them) as a Template. Errors name the path of the bad string.
func ParsePayload(v any) (*Payload, error) {
	root, err := parseValue(v, "")
	if err != nil {
		return nil, err
	}
	return &Payload{root: root}, nil
}

func parseValue(v any, path string) (any, error) {
	switch x := v.(type) {
	case string:
		t, err := ParseTemplate(x)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", orRoot(path), err)
		}
		return t, nil
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			pv, err := parseValue(e, path+"."+k)
			if err != nil {
				return nil, err
			}
			out[k] = pv
		}
		return out, nil
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			pv, err := parseValue(e, fmt.Sprintf("%s[%d]", path, i))
			if err != nil {
				return nil, err
			}
			out[i] = pv
		}
		return out, nil
	}
	return v, nil
}

func orRoot(path string) string {
	if path == "" {
		return "payload"
	}
	return "payload" + path
}

// Expand builds the value for one message; nil expands to an empty object.
func (p *Payload) Expand(v Vars) any {
	if p == nil || p.root == nil {
		return map[string]any{}
	}
	return expandValue(p.root, v)
}

func expandValue(x any, v Vars) any {
	switch y := x.(type) {
	case *Template:
		return y.Value(v)
	case map[string]any:
		out := make(map[string]any, len(y))
		for k, e := range y {
			out[k] = expandValue(e, v)
		}
		return out
	case []any:
		out := make([]any, len(y))
		for i, e := range y {
			out[i] = expandValue(e, v)
		}
		return out
	}
	return x
}

// ExpandName expands a fleet's name pattern (only {{index}} and
// {{index:0N}} make sense there) for the i-th device.
func ExpandName(pattern *Template, index int) string {
	return fmt.Sprint(pattern.Value(Vars{Index: index}))
}
