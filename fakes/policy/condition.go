package policy

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// Condition operators. AWS: reference_policies_elements_condition_operators.

type family uint8

const (
	famString family = iota
	famStringIgnoreCase
	famStringLike
	famNumeric
	famDate
	famBool
	famBinary
	famIP
	famArn
	famNull
)

type cmpOp uint8

const (
	cmpEq cmpOp = iota
	cmpLt
	cmpLe
	cmpGt
	cmpGe
)

type opSpec struct {
	fam family
	cmp cmpOp
	neg bool // a negated operator: true when no policy value matches
}

// operators maps every base operator name, exactly as AWS spells it, to
// its meaning. IfExists and the set prefixes are handled in parseOperator.
var operators = map[string]opSpec{
	// AWS: reference_policies_elements_condition_operators, "String condition operators"
	"StringEquals":              {fam: famString},
	"StringNotEquals":           {fam: famString, neg: true},
	"StringEqualsIgnoreCase":    {fam: famStringIgnoreCase},
	"StringNotEqualsIgnoreCase": {fam: famStringIgnoreCase, neg: true},
	"StringLike":                {fam: famStringLike},
	"StringNotLike":             {fam: famStringLike, neg: true},
	// AWS: ..., "Numeric condition operators"
	"NumericEquals":            {fam: famNumeric, cmp: cmpEq},
	"NumericNotEquals":         {fam: famNumeric, cmp: cmpEq, neg: true},
	"NumericLessThan":          {fam: famNumeric, cmp: cmpLt},
	"NumericLessThanEquals":    {fam: famNumeric, cmp: cmpLe},
	"NumericGreaterThan":       {fam: famNumeric, cmp: cmpGt},
	"NumericGreaterThanEquals": {fam: famNumeric, cmp: cmpGe},
	// AWS: ..., "Date condition operators"
	"DateEquals":            {fam: famDate, cmp: cmpEq},
	"DateNotEquals":         {fam: famDate, cmp: cmpEq, neg: true},
	"DateLessThan":          {fam: famDate, cmp: cmpLt},
	"DateLessThanEquals":    {fam: famDate, cmp: cmpLe},
	"DateGreaterThan":       {fam: famDate, cmp: cmpGt},
	"DateGreaterThanEquals": {fam: famDate, cmp: cmpGe},
	// AWS: ..., "Boolean condition operators", "Binary condition operators"
	"Bool":         {fam: famBool},
	"BinaryEquals": {fam: famBinary},
	// AWS: ..., "IP address condition operators"
	"IpAddress":    {fam: famIP},
	"NotIpAddress": {fam: famIP, neg: true},
	// AWS: ..., "Amazon Resource Name (ARN) condition operators"
	"ArnEquals":    {fam: famArn},
	"ArnLike":      {fam: famArn},
	"ArnNotEquals": {fam: famArn, neg: true},
	"ArnNotLike":   {fam: famArn, neg: true},
	// AWS: ..., "Condition operator to check existence of condition keys"
	"Null": {fam: famNull},
}

type setOp uint8

const (
	setNone setOp = iota
	setAny        // ForAnyValue:
	setAll        // ForAllValues:
)

// parseOperator splits "ForAllValues:StringLikeIfExists" into its parts.
func parseOperator(name string) (spec opSpec, set setOp, ifExists bool, err error) {
	base := name
	if rest, ok := strings.CutPrefix(base, "ForAnyValue:"); ok {
		base, set = rest, setAny
	} else if rest, ok := strings.CutPrefix(base, "ForAllValues:"); ok {
		base, set = rest, setAll
	}
	if spec, ok := operators[base]; ok {
		if spec.fam == famNull && set != setNone {
			return spec, set, false, fmt.Errorf("set operator not allowed with Null")
		}
		return spec, set, false, nil
	}
	if b, ok := strings.CutSuffix(base, "IfExists"); ok {
		// AWS: ..._condition_operators, "You can add IfExists to the end of
		// any condition operator name except the Null condition".
		if spec, ok := operators[b]; ok && spec.fam != famNull {
			return spec, set, true, nil
		}
	}
	return opSpec{}, 0, false, fmt.Errorf("unknown condition operator %q", name)
}

// cval is one policy value of a condition, compiled for its family.
type cval struct {
	raw    string
	tmpl   *template // non-nil when the value must be resolved per request
	s      string
	g      glob
	num    float64
	t      time.Time
	pfx    netip.Prefix
	bin    []byte
	b      bool
	arn    [6]glob
	anyARN bool // ArnLike "*": any ARN
}

// cond is one condition key under one operator.
type cond struct {
	spec     opSpec
	set      setOp
	ifExists bool
	key      string // lower-cased
	origKey  string
	vals     []cval
}

// compileValue parses a policy value for its family. lit marks literal
// bytes (from ${*}-style escapes) for StringLike.
func compileValue(fam family, s string, lit []bool) (cval, error) {
	v := cval{raw: s, s: s}
	switch fam {
	case famStringLike:
		v.g = compileGlob(s, lit, false)
	case famNumeric:
		n, err := parseNumber(s)
		if err != nil {
			return v, err
		}
		v.num = n
	case famDate:
		t, err := parseDate(s)
		if err != nil {
			return v, err
		}
		v.t = t
	case famBool, famNull:
		switch {
		case strings.EqualFold(s, "true"):
			v.b = true
		case strings.EqualFold(s, "false"):
		default:
			return v, fmt.Errorf("%q is not a boolean (want \"true\" or \"false\")", s)
		}
	case famBinary:
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return v, fmt.Errorf("%q is not base64: %v", s, err)
		}
		v.bin = b
	case famIP:
		p, err := parsePrefix(s)
		if err != nil {
			return v, err
		}
		v.pfx = p
	case famArn:
		if s == "*" {
			v.anyARN = true
			break
		}
		segs, ok := splitARN(s)
		if !ok {
			return v, fmt.Errorf("%q is not an ARN (want 6 colon-separated parts)", s)
		}
		off := 0
		for i, seg := range segs {
			var l []bool
			if lit != nil {
				l = lit[off : off+len(seg)]
			}
			v.arn[i] = compileGlob(seg, l, false)
			off += len(seg) + 1
		}
	}
	return v, nil
}

// parseNumber accepts a decimal number (integer or fraction, optional
// exponent); not hex, NaN or Inf, which strconv would take.
func parseNumber(s string) (float64, error) {
	i := 0
	if i < len(s) && (s[i] == '-' || s[i] == '+') {
		i++
	}
	digits := 0
	for i < len(s) && isDigit(s[i]) {
		i++
		digits++
	}
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && isDigit(s[i]) {
			i++
			digits++
		}
	}
	if digits > 0 && i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '-' || s[i] == '+') {
			i++
		}
		exp := 0
		for i < len(s) && isDigit(s[i]) {
			i++
			exp++
		}
		if exp == 0 {
			digits = 0
		}
	}
	if digits == 0 || i != len(s) {
		return 0, fmt.Errorf("%q is not a number", s)
	}
	n, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not a number", s)
	}
	return n, nil
}

// dateLayouts are the ISO 8601 forms accepted besides epoch seconds.
// AWS: reference_policies_elements_condition_operators, "Date condition
// operators ... W3C implementations of the ISO 8601 date formats ... or
// epoch (UNIX) time".
var dateLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05Z0700",
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04Z0700",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02T15:04",
	"2006-01-02",
	"20060102T150405Z",
}

func parseDate(s string) (time.Time, error) {
	if s != "" && (isDigit(s[0]) || s[0] == '-') {
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			if n < -62135596800 || n > 253402300799 { // years 1..9999
				return time.Time{}, fmt.Errorf("%q is out of the date range", s)
			}
			return time.Unix(n, 0).UTC(), nil
		}
	}
	for _, l := range dateLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not an ISO 8601 date or epoch seconds", s)
}

func parsePrefix(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return p, fmt.Errorf("%q is not an IP address or CIDR block", s)
		}
		if p.Addr().Is4In6() {
			p = netip.PrefixFrom(p.Addr().Unmap(), max(p.Bits()-96, 0))
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("%q is not an IP address or CIDR block", s)
	}
	a = a.Unmap().WithZone("")
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// splitARN splits s into its six colon-separated parts; the last part keeps
// any further colons. It does not allocate.
func splitARN(s string) ([6]string, bool) {
	var segs [6]string
	for i := 0; i < 5; i++ {
		j := strings.IndexByte(s, ':')
		if j < 0 {
			return segs, false
		}
		segs[i], s = s[:j], s[j+1:]
	}
	segs[5] = s
	return segs, true
}

// errUnresolved marks a policy value whose variable has no value: it
// matches nothing (AWS: reference_policies_variables, "Policy variables
// with no value").
var errUnresolved = errors.New("unresolved policy variable")

// resolved returns v ready to compare, substituting policy variables.
func (c *cond) resolved(v *cval, ctx Context, m *missingSet) (*cval, error) {
	if v.tmpl == nil || v.tmpl.static {
		return v, nil
	}
	s, lit, ok, miss := v.tmpl.resolve(ctx, c.spec.fam == famStringLike || c.spec.fam == famArn)
	if !ok {
		m.add(miss)
		return nil, errUnresolved
	}
	nv, err := compileValue(c.spec.fam, s, lit)
	if err != nil {
		return nil, fmt.Errorf("policy value %q of %s after substitution: %w", v.raw, c.origKey, err)
	}
	return &nv, nil
}

// matchOne reports whether the request value rv matches any of the policy
// values (the positive sense of the operator; OR over policy values).
// AWS: reference_policies_elements_condition, "If a single condition
// operator includes multiple values for a context key, those values are
// evaluated using a logical OR".
func (c *cond) matchOne(rv string, ctx Context, m *missingSet) (bool, error) {
	// Parse the request value once per family.
	var (
		num  float64
		t    time.Time
		addr netip.Addr
		bin  []byte
		b    bool
		arn  [6]string
		err  error
	)
	switch c.spec.fam {
	case famNumeric:
		num, err = parseNumber(rv)
	case famDate:
		t, err = parseDate(rv)
	case famIP:
		addr, err = netip.ParseAddr(rv)
		if err == nil {
			addr = addr.Unmap().WithZone("")
		} else {
			err = fmt.Errorf("%q is not an IP address", rv)
		}
	case famBinary:
		bin, err = base64.StdEncoding.DecodeString(rv)
		if err != nil {
			err = fmt.Errorf("%q is not base64: %v", rv, err)
		}
	case famBool:
		switch {
		case strings.EqualFold(rv, "true"):
			b = true
		case strings.EqualFold(rv, "false"):
		default:
			err = fmt.Errorf("%q is not a boolean", rv)
		}
	case famArn:
		var ok bool
		if arn, ok = splitARN(rv); !ok {
			err = fmt.Errorf("%q is not an ARN", rv)
		}
	}
	if err != nil {
		return false, fmt.Errorf("request value of %s: %w", c.origKey, err)
	}
	for i := range c.vals {
		v, err := c.resolved(&c.vals[i], ctx, m)
		if err == errUnresolved {
			continue
		}
		if err != nil {
			return false, err
		}
		var hit bool
		switch c.spec.fam {
		case famString:
			hit = rv == v.s
		case famStringIgnoreCase:
			hit = strings.EqualFold(rv, v.s)
		case famStringLike:
			hit = v.g.match(rv)
		case famNumeric:
			hit = compare(cmpFloat(num, v.num), c.spec.cmp)
		case famDate:
			hit = compare(t.Compare(v.t), c.spec.cmp)
		case famBool:
			hit = b == v.b
		case famBinary:
			hit = bytes.Equal(bin, v.bin)
		case famIP:
			hit = v.pfx.Contains(addr)
		case famArn:
			// AWS: ..., "ARN condition operators": "Each of the six
			// colon-delimited components of the ARN is checked separately
			// and each can include multi-character match wildcards (*) or
			// single-character match wildcards (?)" (ArnEquals too).
			hit = v.anyARN
			if !hit {
				hit = true
				for k := range arn {
					if !v.arn[k].match(arn[k]) {
						hit = false
						break
					}
				}
			}
		}
		if hit {
			return true, nil
		}
	}
	return false, nil
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func compare(c int, op cmpOp) bool {
	switch op {
	case cmpLt:
		return c < 0
	case cmpLe:
		return c <= 0
	case cmpGt:
		return c > 0
	case cmpGe:
		return c >= 0
	}
	return c == 0
}

// eval evaluates one condition key against the request context.
func (c *cond) eval(ctx Context, m *missingSet) (bool, error) {
	vals, present := ctx.lookup(c.key)
	present = present && len(vals) > 0
	if c.spec.fam == famNull {
		// AWS: ..., "Condition operator to check existence of condition
		// keys": true value = the key must be absent, false = present.
		for i := range c.vals {
			if c.vals[i].b != present {
				return true, nil
			}
		}
		return false, nil
	}
	if !present {
		m.add(c.origKey)
		switch {
		case c.ifExists:
			// AWS: ..., "...IfExists condition operators": "If it is not
			// present, evaluate the condition element as true."
			return true, nil
		case c.set == setAll:
			// AWS: reference_policies_condition-single-vs-multi-valued-
			// context-keys, "ForAllValues ... also returns true if there are
			// no context keys in the request".
			return true, nil
		case c.set == setAny:
			// AWS: same page, "ForAnyValue ... If the key is not present,
			// the condition returns false" (negated operators included).
			return false, nil
		}
		// AWS: ..._condition_operators, "If the key that you specify in a
		// policy condition is not present in the request context, the
		// values do not match and the condition is false. If the policy
		// condition requires that the key is not matched, such as
		// StringNotLike or ArnNotLike, and the right key is not present,
		// the condition is true."
		return c.spec.neg, nil
	}
	switch c.set {
	case setAll:
		// Every request value must satisfy the operator.
		for _, rv := range vals {
			hit, err := c.matchOne(rv, ctx, m)
			if err != nil {
				return false, err
			}
			if hit == c.spec.neg {
				return false, nil
			}
		}
		return true, nil
	case setAny:
		for _, rv := range vals {
			hit, err := c.matchOne(rv, ctx, m)
			if err != nil {
				return false, err
			}
			if hit != c.spec.neg {
				return true, nil
			}
		}
		return false, nil
	}
	// No set operator: a key with several request values matches when any
	// of them does; a negated operator is true when none does.
	for _, rv := range vals {
		hit, err := c.matchOne(rv, ctx, m)
		if err != nil {
			return false, err
		}
		if hit {
			return !c.spec.neg, nil
		}
	}
	return c.spec.neg, nil
}
