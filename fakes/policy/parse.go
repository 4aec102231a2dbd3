package policy

import (
	"fmt"
	"strconv"
	"strings"
)

// Policy versions. AWS: reference_policies_elements_version.
const (
	Version2012 = "2012-10-17"
	Version2008 = "2008-10-17"
)

// SyntaxError is a MalformedPolicyDocument: where the document is wrong
// and why.
type SyntaxError struct {
	// Path names the element, e.g. "Statement[1].Condition.StringLike";
	// empty for JSON syntax errors and top-level problems.
	Path string
	// Line and Col (1-based; Col counts characters) locate the offending
	// value, key or enclosing object. They are always set.
	Line, Col int
	Msg       string
}

// Error reads "Statement[1].Condition.StringLike: <msg> (line 7, column 12)".
func (e *SyntaxError) Error() string {
	var b strings.Builder
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	fmt.Fprintf(&b, " (line %d, column %d)", e.Line, e.Col)
	return b.String()
}

// Policy is a parsed, validated and compiled policy document. It is
// immutable after Parse and safe for concurrent use.
type Policy struct {
	// Version is "2012-10-17" or "2008-10-17" (the default when the
	// document has no Version; AWS: reference_policies_elements_version).
	Version    string
	ID         string
	Statements []Statement

	vars         bool // policy variables are substituted (Version 2012-10-17)
	hasPrincipal bool
}

// HasPrincipal reports whether any statement has a Principal or
// NotPrincipal: the document is resource-based. The IAM service rejects
// such a document as an identity-based policy; Parse does not know which
// kind it is parsing.
func (p *Policy) HasPrincipal() bool { return p.hasPrincipal }

// ContextKeys lists every condition key and policy variable key the policy
// refers to, as first written, without duplicates (case-insensitively), in
// document order (GetContextKeysForCustomPolicy).
func (p *Policy) ContextKeys() []string {
	var out []string
	seen := map[string]bool{}
	add := func(k string) {
		if lk := strings.ToLower(k); !seen[lk] {
			seen[lk] = true
			out = append(out, k)
		}
	}
	for i := range p.Statements {
		st := &p.Statements[i]
		for _, r := range st.resources {
			if r.tmpl != nil {
				for _, k := range r.tmpl.keys() {
					add(k)
				}
			}
		}
		for j := range st.conds {
			c := &st.conds[j]
			add(c.origKey)
			for _, v := range c.vals {
				if v.tmpl != nil {
					for _, k := range v.tmpl.keys() {
						add(k)
					}
				}
			}
		}
	}
	return out
}

// Statement is one compiled statement. The exported fields show the
// document as written (single strings become one-element slices).
type Statement struct {
	Sid    string
	Effect Effect
	// Exactly one of Action and NotAction is non-nil.
	Action, NotAction []string
	// At most one of Resource and NotResource is non-nil; both are nil only
	// in a statement with a Principal (a trust policy).
	Resource, NotResource []string
	// Principal and NotPrincipal map a principal type ("AWS", "Service",
	// "Federated", "CanonicalUser") to its values. "Principal": "*" is
	// recorded as {"AWS": ["*"]}, which AWS documents as equivalent.
	Principal, NotPrincipal map[string][]string
	// Conditions in document order: AND across them.
	Conditions []Condition

	actions    []glob
	notAction  bool
	resources  []resPattern
	notRes     bool
	hasRes     bool
	principals []principalPattern
	notPrinc   bool
	hasPrinc   bool
	conds      []cond
}

// Condition is one condition key under one operator, as written.
type Condition struct {
	Operator string   // "ForAnyValue:StringLikeIfExists"
	Key      string   // "aws:username"
	Values   []string // JSON numbers and booleans as their literal text
}

// resPattern is one Resource/NotResource entry.
type resPattern struct {
	raw  string
	g    glob      // when tmpl is nil or static
	tmpl *template // resolved per request when not static
}

// Parse parses and validates an IAM policy document (identity-based or
// resource-based). Its errors are *SyntaxError, the MalformedPolicyDocument
// cases of AWS. AWS: reference_policies_elements, reference_policies_grammar.
func Parse(doc string) (*Policy, error) {
	root, jerr := parseJSON(doc)
	if jerr != nil {
		line, col := lineCol(doc, jerr.off)
		return nil, &SyntaxError{Line: line, Col: col, Msg: jerr.msg}
	}
	ps := &parser{doc: doc}
	p, err := ps.policy(root)
	if err != nil {
		return nil, err
	}
	return p, nil
}

type parser struct {
	doc  string
	vars bool
}

func (ps *parser) errAt(path string, off int, format string, args ...any) *SyntaxError {
	line, col := lineCol(ps.doc, off)
	return &SyntaxError{Path: path, Line: line, Col: col, Msg: fmt.Sprintf(format, args...)}
}

// members checks an object's keys against the allowed set and rejects
// duplicates (which JSON decoders silently resolve to the last one).
func (ps *parser) members(path string, n *jnode, allowed ...string) (map[string]jmember, error) {
	out := make(map[string]jmember, len(n.members))
	for _, m := range n.members {
		known := false
		for _, a := range allowed {
			if m.key == a {
				known = true
				break
			}
		}
		if !known {
			// AWS: reference_policies_grammar: element names are these and
			// only these (case-sensitive).
			return nil, ps.errAt(path, m.keyOff, "unknown element %q", m.key)
		}
		if _, dup := out[m.key]; dup {
			return nil, ps.errAt(path, m.keyOff, "duplicate element %q", m.key)
		}
		out[m.key] = m
	}
	return out, nil
}

func join(path, elem string) string {
	if path == "" {
		return elem
	}
	return path + "." + elem
}

func (ps *parser) policy(root *jnode) (*Policy, error) {
	if root.kind != jObject {
		return nil, ps.errAt("", root.off, "policy document must be a JSON object, not %s", root.kind)
	}
	top, err := ps.members("", root, "Version", "Id", "Statement")
	if err != nil {
		return nil, err
	}
	p := &Policy{Version: Version2008}
	if m, ok := top["Version"]; ok {
		if m.val.kind != jString {
			return nil, ps.errAt("Version", m.val.off, "must be a string, not %s", m.val.kind)
		}
		switch m.val.str {
		case Version2012, Version2008:
			p.Version = m.val.str
		default:
			// AWS: reference_policies_elements_version: "2012-10-17" or "2008-10-17".
			return nil, ps.errAt("Version", m.val.off, "unsupported version %q (want %q or %q)", m.val.str, Version2012, Version2008)
		}
	}
	p.vars = p.Version == Version2012
	ps.vars = p.vars
	if m, ok := top["Id"]; ok {
		s, err := ps.nonEmptyString("Id", m.val)
		if err != nil {
			return nil, err
		}
		p.ID = s
	}
	m, ok := top["Statement"]
	if !ok {
		return nil, ps.errAt("", root.off, "missing required element \"Statement\"")
	}
	var stmts []*jnode
	var paths []string
	switch m.val.kind {
	case jObject:
		// AWS: reference_policies_grammar: "Statement": <statement> | [<statement>, ...].
		stmts, paths = []*jnode{m.val}, []string{"Statement"}
	case jArray:
		if len(m.val.arr) == 0 {
			return nil, ps.errAt("Statement", m.val.off, "must have at least one statement")
		}
		stmts = m.val.arr
		for i := range stmts {
			paths = append(paths, "Statement["+strconv.Itoa(i)+"]")
		}
	default:
		return nil, ps.errAt("Statement", m.val.off, "must be an object or an array of objects, not %s", m.val.kind)
	}
	sids := map[string]string{}
	for i, sn := range stmts {
		st, sidOff, err := ps.statement(paths[i], sn)
		if err != nil {
			return nil, err
		}
		if st.Sid != "" {
			// AWS: reference_policies_elements_sid: "The Sid value must be
			// unique within a JSON policy".
			if prev, dup := sids[st.Sid]; dup {
				return nil, ps.errAt(paths[i]+".Sid", sidOff, "duplicate Sid %q (also in %s)", st.Sid, prev)
			}
			sids[st.Sid] = paths[i]
		}
		if st.hasPrinc {
			p.hasPrincipal = true
		}
		p.Statements = append(p.Statements, st)
	}
	return p, nil
}

func (ps *parser) nonEmptyString(path string, n *jnode) (string, error) {
	if n.kind != jString {
		return "", ps.errAt(path, n.off, "must be a string, not %s", n.kind)
	}
	if n.str == "" {
		return "", ps.errAt(path, n.off, "must not be empty")
	}
	return n.str, nil
}

// stringList reads a string or an array of strings (AWS accepts both
// wherever a list is allowed; reference_policies_grammar). Each entry comes
// with its path and offset.
func (ps *parser) stringList(path string, n *jnode) ([]string, []string, []int, error) {
	switch n.kind {
	case jString:
		if n.str == "" {
			return nil, nil, nil, ps.errAt(path, n.off, "must not be empty")
		}
		return []string{n.str}, []string{path}, []int{n.off}, nil
	case jArray:
		if len(n.arr) == 0 {
			return nil, nil, nil, ps.errAt(path, n.off, "must not be an empty array")
		}
		vals := make([]string, len(n.arr))
		paths := make([]string, len(n.arr))
		offs := make([]int, len(n.arr))
		for i, e := range n.arr {
			ep := path + "[" + strconv.Itoa(i) + "]"
			if e.kind != jString {
				return nil, nil, nil, ps.errAt(ep, e.off, "must be a string, not %s", e.kind)
			}
			if e.str == "" {
				return nil, nil, nil, ps.errAt(ep, e.off, "must not be empty")
			}
			vals[i], paths[i], offs[i] = e.str, ep, e.off
		}
		return vals, paths, offs, nil
	default:
		return nil, nil, nil, ps.errAt(path, n.off, "must be a string or an array of strings, not %s", n.kind)
	}
}

func (ps *parser) statement(path string, n *jnode) (Statement, int, error) {
	var st Statement
	if n.kind != jObject {
		return st, 0, ps.errAt(path, n.off, "statement must be an object, not %s", n.kind)
	}
	ms, err := ps.members(path, n, "Sid", "Effect", "Principal", "NotPrincipal",
		"Action", "NotAction", "Resource", "NotResource", "Condition")
	if err != nil {
		return st, 0, err
	}
	sidOff := 0
	if m, ok := ms["Sid"]; ok {
		s, err := ps.nonEmptyString(join(path, "Sid"), m.val)
		if err != nil {
			return st, 0, err
		}
		st.Sid, sidOff = s, m.val.off
	}

	// AWS: reference_policies_elements_effect: "Allow" or "Deny", required.
	m, ok := ms["Effect"]
	if !ok {
		return st, 0, ps.errAt(path, n.off, "missing required element \"Effect\"")
	}
	if m.val.kind != jString {
		return st, 0, ps.errAt(join(path, "Effect"), m.val.off, "must be a string, not %s", m.val.kind)
	}
	switch Effect(m.val.str) {
	case Allow, Deny:
		st.Effect = Effect(m.val.str)
	default:
		return st, 0, ps.errAt(join(path, "Effect"), m.val.off, "invalid effect %q (want \"Allow\" or \"Deny\")", m.val.str)
	}

	// AWS: reference_policies_elements_principal / _notprincipal: not both.
	pm, hasP := ms["Principal"]
	npm, hasNP := ms["NotPrincipal"]
	switch {
	case hasP && hasNP:
		return st, 0, ps.errAt(path, npm.keyOff, "has both Principal and NotPrincipal")
	case hasP:
		st.Principal, st.principals, err = ps.principal(join(path, "Principal"), pm.val)
	case hasNP:
		st.NotPrincipal, st.principals, err = ps.principal(join(path, "NotPrincipal"), npm.val)
		st.notPrinc = true
	}
	if err != nil {
		return st, 0, err
	}
	st.hasPrinc = hasP || hasNP

	// AWS: reference_policies_elements_action / _notaction: exactly one.
	am, hasA := ms["Action"]
	nam, hasNA := ms["NotAction"]
	switch {
	case hasA && hasNA:
		return st, 0, ps.errAt(path, nam.keyOff, "has both Action and NotAction")
	case !hasA && !hasNA:
		return st, 0, ps.errAt(path, n.off, "missing required element \"Action\" (or \"NotAction\")")
	case hasA:
		st.Action, st.actions, err = ps.actions(join(path, "Action"), am.val)
	default:
		st.NotAction, st.actions, err = ps.actions(join(path, "NotAction"), nam.val)
		st.notAction = true
	}
	if err != nil {
		return st, 0, err
	}

	// AWS: reference_policies_elements_resource: "Statements must include
	// either a Resource or a NotResource element" — except in a trust policy
	// (role trust policies have a Principal and no Resource).
	rm, hasR := ms["Resource"]
	nrm, hasNR := ms["NotResource"]
	switch {
	case hasR && hasNR:
		return st, 0, ps.errAt(path, nrm.keyOff, "has both Resource and NotResource")
	case !hasR && !hasNR && !st.hasPrinc:
		return st, 0, ps.errAt(path, n.off, "missing required element \"Resource\" (or \"NotResource\")")
	case hasR:
		st.Resource, st.resources, err = ps.resources(join(path, "Resource"), rm.val)
	case hasNR:
		st.NotResource, st.resources, err = ps.resources(join(path, "NotResource"), nrm.val)
		st.notRes = true
	}
	if err != nil {
		return st, 0, err
	}
	st.hasRes = hasR || hasNR

	if m, ok := ms["Condition"]; ok {
		st.Conditions, st.conds, err = ps.conditions(join(path, "Condition"), m.val)
		if err != nil {
			return st, 0, err
		}
	}
	return st, sidOff, nil
}

func validActionPrefix(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || isDigit(c) || c == '-') {
			return false
		}
	}
	return true
}

func validActionName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || isDigit(c) || c == '*' || c == '?' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

func (ps *parser) actions(path string, n *jnode) ([]string, []glob, error) {
	vals, paths, offs, err := ps.stringList(path, n)
	if err != nil {
		return nil, nil, err
	}
	gs := make([]glob, len(vals))
	for i, a := range vals {
		if a != "*" {
			// AWS: reference_policies_elements_action: "service-prefix:action",
			// the prefix being the service namespace (letters, digits, '-').
			prefix, name, ok := strings.Cut(a, ":")
			if !ok || !validActionPrefix(prefix) || !validActionName(name) {
				return nil, nil, ps.errAt(paths[i], offs[i], "invalid action %q (want \"service:Action\" or \"*\")", a)
			}
		}
		// AWS: reference_policies_elements_action: action names are
		// case-insensitive (service prefix included). Variables are not
		// substituted in Action (reference_policies_variables).
		gs[i] = compileGlob(a, nil, true)
	}
	return vals, gs, nil
}

func (ps *parser) resources(path string, n *jnode) ([]string, []resPattern, error) {
	vals, paths, offs, err := ps.stringList(path, n)
	if err != nil {
		return nil, nil, err
	}
	rs := make([]resPattern, len(vals))
	for i, r := range vals {
		// AWS: reference_policies_elements_resource: an ARN or "*".
		if r != "*" && !strings.HasPrefix(r, "arn:") {
			return nil, nil, ps.errAt(paths[i], offs[i], "invalid resource %q (want an ARN or \"*\")", r)
		}
		rp := resPattern{raw: r}
		if ps.vars {
			t, err := parseTemplate(r)
			if err != nil {
				return nil, nil, ps.errAt(paths[i], offs[i], "%v", err)
			}
			if t != nil {
				if t.static {
					s, lit, _, _ := t.resolve(nil, true)
					rp.g = compileGlob(s, lit, false)
				} else {
					rp.tmpl = t
				}
				rs[i] = rp
				continue
			}
		}
		rp.g = compileGlob(r, nil, false)
		rs[i] = rp
	}
	return vals, rs, nil
}

// principalKind says how a Principal entry matches.
type principalKind uint8

const (
	princAny     principalKind = iota // "*"
	princAccount                      // "123456789012" or arn:...:iam::123456789012:root
	princExact                        // a user, session or other ARN; a service, federated or canonical id
	princRole                         // arn:...:iam::ACCT:role/path/NAME, which its sessions match too
)

type principalPattern struct {
	typ       string
	id        string
	kind      principalKind
	account   string
	partition string
	roleName  string
}

func isAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

func (ps *parser) principal(path string, n *jnode) (map[string][]string, []principalPattern, error) {
	if n.kind == jString {
		// AWS: reference_policies_elements_principal, "All principals":
		// "Principal": "*" is the same as {"AWS": "*"}.
		if n.str != "*" {
			return nil, nil, ps.errAt(path, n.off, "must be \"*\" or an object such as {\"AWS\": ...}, not the string %q", n.str)
		}
		return map[string][]string{"AWS": {"*"}}, []principalPattern{{typ: "AWS", id: "*", kind: princAny}}, nil
	}
	if n.kind != jObject {
		return nil, nil, ps.errAt(path, n.off, "must be \"*\" or an object, not %s", n.kind)
	}
	if len(n.members) == 0 {
		return nil, nil, ps.errAt(path, n.off, "must name at least one principal")
	}
	ms, err := ps.members(path, n, "AWS", "Service", "Federated", "CanonicalUser")
	if err != nil {
		return nil, nil, err
	}
	out := map[string][]string{}
	var pats []principalPattern
	for _, m := range n.members {
		typ := m.key
		vals, paths, offs, err := ps.stringList(join(path, typ), ms[typ].val)
		if err != nil {
			return nil, nil, err
		}
		out[typ] = vals
		for i, v := range vals {
			pp, err := parsePrincipal(typ, v)
			if err != nil {
				return nil, nil, ps.errAt(paths[i], offs[i], "%v", err)
			}
			pats = append(pats, pp)
		}
	}
	return out, pats, nil
}

// parsePrincipal compiles one principal value. AWS:
// reference_policies_elements_principal: "You cannot use a wildcard to
// match part of a principal name or ARN."
func parsePrincipal(typ, v string) (principalPattern, error) {
	pp := principalPattern{typ: typ, id: v, kind: princExact}
	if v == "*" {
		pp.kind = princAny
		return pp, nil
	}
	if strings.ContainsAny(v, "*?") {
		return pp, fmt.Errorf("invalid principal %q: wildcards are allowed only as the whole value \"*\"", v)
	}
	if typ != "AWS" {
		return pp, nil
	}
	if isAccountID(v) {
		pp.kind, pp.account = princAccount, v
		return pp, nil
	}
	segs, ok := splitARN(v)
	if !ok || segs[0] != "arn" || segs[1] == "" || !isAccountID(segs[4]) {
		return pp, fmt.Errorf("invalid principal %q: want \"*\", a 12-digit account ID or an IAM/STS ARN", v)
	}
	pp.partition, pp.account = segs[1], segs[4]
	switch {
	case segs[2] == "iam" && segs[5] == "root":
		pp.kind = princAccount
	case segs[2] == "iam" && strings.HasPrefix(segs[5], "role/"):
		pp.kind = princRole
		pp.roleName = segs[5][strings.LastIndexByte(segs[5], '/')+1:]
	}
	return pp, nil
}

func jsonScalar(n *jnode) (string, bool) {
	switch n.kind {
	case jString, jNumber, jBool:
		return n.str, true
	}
	return "", false
}

func (ps *parser) conditions(path string, n *jnode) ([]Condition, []cond, error) {
	if n.kind != jObject {
		return nil, nil, ps.errAt(path, n.off, "must be an object, not %s", n.kind)
	}
	if len(n.members) == 0 {
		return nil, nil, ps.errAt(path, n.off, "must not be empty")
	}
	var conds []Condition
	var compiled []cond
	seenOp := map[string]bool{}
	for _, om := range n.members {
		opPath := join(path, om.key)
		if seenOp[om.key] {
			return nil, nil, ps.errAt(path, om.keyOff, "duplicate operator %q", om.key)
		}
		seenOp[om.key] = true
		spec, set, ifExists, err := parseOperator(om.key)
		if err != nil {
			return nil, nil, ps.errAt(path, om.keyOff, "%v", err)
		}
		if om.val.kind != jObject {
			return nil, nil, ps.errAt(opPath, om.val.off, "must be an object of condition keys, not %s", om.val.kind)
		}
		if len(om.val.members) == 0 {
			return nil, nil, ps.errAt(opPath, om.val.off, "must name at least one condition key")
		}
		seenKey := map[string]bool{}
		for _, km := range om.val.members {
			if km.key == "" {
				return nil, nil, ps.errAt(opPath, km.keyOff, "condition key must not be empty")
			}
			lk := strings.ToLower(km.key)
			// AWS: reference_policies_elements_condition: "Condition key
			// names are not case-sensitive", so "aws:UserName" and
			// "aws:username" under one operator are the same key.
			if seenKey[lk] {
				return nil, nil, ps.errAt(opPath, km.keyOff, "duplicate condition key %q", km.key)
			}
			seenKey[lk] = true
			keyPath := join(opPath, km.key)
			raw, err := ps.conditionValues(keyPath, km.val)
			if err != nil {
				return nil, nil, err
			}
			c := cond{spec: spec, set: set, ifExists: ifExists, key: lk, origKey: km.key}
			for i, r := range raw {
				vp, voff := keyPath, km.val.off
				if km.val.kind == jArray {
					vp, voff = keyPath+"["+strconv.Itoa(i)+"]", km.val.arr[i].off
				}
				v, err := ps.conditionValue(spec.fam, r)
				if err != nil {
					return nil, nil, ps.errAt(vp, voff, "%s: %v", om.key, err)
				}
				c.vals = append(c.vals, v)
			}
			conds = append(conds, Condition{Operator: om.key, Key: km.key, Values: raw})
			compiled = append(compiled, c)
		}
	}
	return conds, compiled, nil
}

// conditionValues reads a condition's value(s): a string, number or
// boolean, or an array of them. AWS: reference_policies_grammar,
// "<condition_value_list> = [<condition_value>, ...] | <condition_value>",
// "<condition_value> = (<string> | <number> | <Boolean>)".
func (ps *parser) conditionValues(path string, n *jnode) ([]string, error) {
	if s, ok := jsonScalar(n); ok {
		return []string{s}, nil
	}
	if n.kind != jArray {
		return nil, ps.errAt(path, n.off, "condition value must be a string, number or boolean, or an array of them, not %s", n.kind)
	}
	if len(n.arr) == 0 {
		return nil, ps.errAt(path, n.off, "condition values must not be an empty array")
	}
	out := make([]string, len(n.arr))
	for i, e := range n.arr {
		s, ok := jsonScalar(e)
		if !ok {
			return nil, ps.errAt(path+"["+strconv.Itoa(i)+"]", e.off, "condition value must be a string, number or boolean, not %s", e.kind)
		}
		out[i] = s
	}
	return out, nil
}

// conditionValue compiles one value; a value holding policy variables is
// kept as a template and compiled per request.
func (ps *parser) conditionValue(fam family, raw string) (cval, error) {
	if ps.vars && fam != famNull {
		t, err := parseTemplate(raw)
		if err != nil {
			return cval{}, err
		}
		if t != nil {
			if !t.static {
				return cval{raw: raw, tmpl: t}, nil
			}
			s, lit, _, _ := t.resolve(nil, true)
			v, err := compileValue(fam, s, lit)
			v.raw = raw
			return v, err
		}
	}
	return compileValue(fam, raw, nil)
}
