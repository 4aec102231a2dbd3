package policy

import (
	"fmt"
	"strings"
)

// Set stores values under key, lower-cased: condition keys are
// case-insensitive (AWS: reference_policies_elements_condition, "Condition
// key names are not case-sensitive"). Setting no values stores an empty,
// present key, which the Null operator treats as absent.
func (c Context) Set(key string, values ...string) {
	c[strings.ToLower(key)] = values
}

// Get returns the values stored under key, case-insensitively.
func (c Context) Get(key string) ([]string, bool) {
	return c.lookup(strings.ToLower(key))
}

// lookup finds a lower-cased key. Keys stored through Set are found by one
// map access; a key stored directly with upper-case letters is still found,
// by a scan, so a caller that skipped Set is not silently denied.
func (c Context) lookup(lk string) ([]string, bool) {
	if v, ok := c[lk]; ok {
		return v, true
	}
	for k, v := range c {
		if strings.EqualFold(k, lk) {
			return v, true
		}
	}
	return nil, false
}

// missingSet collects condition keys a matching statement needed and the
// request lacked. It allocates only when a key is missing.
type missingSet struct {
	keys []string
	on   bool // collect only while evaluating an applicable statement
}

func (m *missingSet) add(k string) {
	if m == nil || !m.on {
		return
	}
	for _, have := range m.keys {
		if strings.EqualFold(have, k) {
			return
		}
	}
	m.keys = append(m.keys, k)
}

// outcome is what one statement did for one request.
type outcome uint8

const (
	noMatch outcome = iota
	matched
	errored
)

// matchPrincipal reports whether req's principal is among the statement's
// Principal entries, and whether it was named exactly by its user or
// session ARN (which matters for boundaries and session policies).
func (st *Statement) matchPrincipal(p *Principal) (hit, direct bool) {
	for i := range st.principals {
		pp := &st.principals[i]
		if pp.kind == princAny {
			// AWS: reference_policies_elements_principal, "All principals":
			// "*" includes anonymous requests.
			hit = true
			continue
		}
		if p == nil || p.Type != pp.typ {
			continue
		}
		switch pp.kind {
		case princAccount:
			// AWS: reference_policies_elements_principal, "AWS account
			// principals": the account ID or its root ARN stands for every
			// principal of the account.
			if principalAccount(p) == pp.account {
				hit = true
			}
		case princRole:
			// AWS: reference_policies_elements_principal, "IAM role
			// principals" and "Role session principals": a role ARN
			// matches the role and every session of it
			// (arn:aws:sts::ACCT:assumed-role/NAME/SESSION); the session
			// ARN carries no role path, so the role's name and account
			// decide.
			if p.ID == pp.id || sessionOfRole(p.ID, pp) {
				hit = true
			}
		default:
			if p.ID == pp.id || (pp.typ == "Service" && strings.EqualFold(p.ID, pp.id)) {
				hit = true
				if pp.typ == "AWS" && isUserOrSessionARN(pp.id) {
					direct = true
				}
			}
		}
	}
	return hit, direct
}

func principalAccount(p *Principal) string {
	if p.Account != "" {
		return p.Account
	}
	if segs, ok := splitARN(p.ID); ok {
		return segs[4]
	}
	if isAccountID(p.ID) {
		return p.ID
	}
	return ""
}

func sessionOfRole(id string, pp *principalPattern) bool {
	segs, ok := splitARN(id)
	if !ok || segs[2] != "sts" || segs[1] != pp.partition || segs[4] != pp.account {
		return false
	}
	rest, ok := strings.CutPrefix(segs[5], "assumed-role/")
	if !ok {
		return false
	}
	name, _, ok := strings.Cut(rest, "/")
	return ok && name == pp.roleName
}

// isUserOrSessionARN: an IAM user, an assumed-role session or a federated
// user session.
func isUserOrSessionARN(arn string) bool {
	segs, ok := splitARN(arn)
	if !ok {
		return false
	}
	switch segs[2] {
	case "iam":
		return strings.HasPrefix(segs[5], "user/")
	case "sts":
		return strings.HasPrefix(segs[5], "assumed-role/") || strings.HasPrefix(segs[5], "federated-user/")
	}
	return false
}

// matchResource reports whether the request's resource is covered.
func (st *Statement) matchResource(req *Request, opts *Options) bool {
	if !st.hasRes {
		return true // trust policy: the resource is the role itself
	}
	hit := false
	for i := range st.resources {
		rp := &st.resources[i]
		pat, g := rp.g.pat, &rp.g
		if rp.tmpl != nil {
			// AWS: reference_policies_variables, "Policy variables with no
			// value": an unresolved variable makes this entry match nothing;
			// "If AWS cannot resolve a variable this might cause the entire
			// statement to be invalid", so under NotResource (where
			// matching nothing would widen the statement) the statement
			// does not apply at all.
			s, lit, ok, _ := rp.tmpl.resolve(req.Context, opts.MatchResource == nil)
			if !ok {
				if st.notRes {
					return false
				}
				continue
			}
			pat = s
			if opts.MatchResource == nil {
				ng := compileGlob(s, lit, false)
				g = &ng
			}
		}
		var ok bool
		if opts.MatchResource != nil {
			ok = opts.MatchResource(pat, req.Resource)
		} else {
			ok = g.match(req.Resource)
		}
		if ok {
			hit = true
			break
		}
	}
	if st.notRes {
		return !hit
	}
	return hit
}

func (st *Statement) matchAction(action string) bool {
	hit := false
	for i := range st.actions {
		if st.actions[i].match(action) {
			hit = true
			break
		}
	}
	return hit != st.notAction
}

// eval decides whether the statement applies to req. direct is set when a
// resource-based statement named the caller by its exact user or session
// ARN.
func (st *Statement) eval(req *Request, opts *Options, m *missingSet) (out outcome, direct bool, err error) {
	if !st.matchAction(req.Action) {
		return noMatch, false, nil
	}
	if st.hasPrinc {
		hit, d := st.matchPrincipal(req.Principal)
		if st.notPrinc {
			// AWS: reference_policies_elements_notprincipal: applies to
			// every principal except those listed.
			if hit {
				return noMatch, false, nil
			}
		} else {
			if !hit {
				return noMatch, false, nil
			}
			direct = d
		}
	}
	if !st.matchResource(req, opts) {
		return noMatch, false, nil
	}
	// AWS: reference_policies_elements_condition, "If there are multiple
	// condition operators, or if there are multiple keys attached to a
	// single condition operator, the conditions are evaluated using a
	// logical AND".
	m.on = true
	for i := range st.conds {
		c := &st.conds[i]
		ok, cerr := c.eval(req.Context, m)
		if cerr != nil || !ok {
			for j := i + 1; j < len(st.conds); j++ {
				st.conds[j].noteMissing(req.Context, m)
			}
			m.on = false
			if cerr != nil {
				// tgsim: fail closed. The statement neither allows nor
				// denies; Evaluate turns the error into an implicit deny.
				return errored, false, fmt.Errorf("statement %s: %w", st.label(), cerr)
			}
			return noMatch, false, nil
		}
	}
	m.on = false
	return matched, direct, nil
}

// noteMissing records c's key (and value variables) when absent, for a
// condition that was not evaluated because an earlier one failed.
func (c *cond) noteMissing(ctx Context, m *missingSet) {
	if c.spec.fam == famNull {
		return
	}
	if _, ok := ctx.lookup(c.key); !ok {
		m.add(c.origKey)
	}
	for i := range c.vals {
		if t := c.vals[i].tmpl; t != nil {
			for _, p := range t.parts {
				if !p.isVar || p.hasDef {
					continue
				}
				if _, ok := ctx.lookup(p.key); !ok {
					m.add(p.orig)
				}
			}
		}
	}
}

func (st *Statement) label() string {
	if st.Sid != "" {
		return fmt.Sprintf("%q", st.Sid)
	}
	return "without Sid"
}

// Evaluate decides one request against every policy that applies to it,
// as IAM combines them within one account. AWS: reference_policies_
// evaluation-logic, reference_policies_evaluation-logic_policy-eval-
// basics ("Policy evaluation for requests within a single account"),
// access_policies_boundaries, access_policies ("Session policies").
//
//  1. An explicit Deny in any policy wins (explicitDeny; AWS:
//     reference_policies_evaluation-logic_policy-eval-denyallow, "An
//     explicit deny overrides an explicit allow").
//  2. A statement whose evaluation failed (an unparsable request value,
//     say) makes the result implicitDeny with Result.Err set: tgsim fails
//     closed, an error is never an allow.
//  3. A resource-based policy that names the caller's exact IAM user ARN
//     or session ARN as Principal allows on its own: AWS:
//     access_policies_boundaries, "an implicit deny in a permissions
//     boundary does not limit the permissions granted to an IAM user [or
//     role session] by a resource-based policy" that names it; access_
//     policies "Session policies": permissions granted to the session ARN
//     "are not limited by the session policy".
//  4. Otherwise allowed iff (an identity-based policy allows OR a
//     resource-based policy allows) AND (no boundary, or it allows) AND
//     (no session policies, or one of them allows). A resource-based policy
//     that names a role ARN, an account or "*" is limited by boundaries and
//     session policies like an identity-based one.
func Evaluate(set Set, req *Request, opts Options) Result {
	if req == nil {
		req = &Request{}
	}
	var ev evaluation
	for i := range set.Identity {
		if ev.run(KindIdentity, &set.Identity[i], req, &opts) {
			ev.idAllow = true
		}
	}
	for i := range set.Resource {
		if ev.run(KindResource, &set.Resource[i], req, &opts) {
			ev.resAllow = true
		}
	}
	bAllow := set.Boundary != nil && ev.run(KindBoundary, set.Boundary, req, &opts)
	sAllow := false
	for i := range set.SessionPolicies {
		if ev.run(KindSession, &set.SessionPolicies[i], req, &opts) {
			sAllow = true
		}
	}

	res := Result{MissingContextValues: ev.ms.keys, Err: ev.firstErr}
	switch {
	case len(ev.denies) > 0:
		res.Decision, res.Matched, res.DeniedBy = ExplicitDeny, ev.denies, ev.denyKind
	case ev.firstErr != nil:
		res.Decision, res.DeniedBy = ImplicitDeny, ev.errKind
	case ev.resDirect:
		res.Decision, res.Matched = Allowed, ev.allows
	case !ev.idAllow && !ev.resAllow:
		res.Decision, res.DeniedBy = ImplicitDeny, KindIdentity
	case set.Boundary != nil && !bAllow:
		res.Decision, res.DeniedBy = ImplicitDeny, KindBoundary
	case set.SessionPolicies != nil && !sAllow:
		res.Decision, res.DeniedBy = ImplicitDeny, KindSession
	default:
		res.Decision, res.Matched = Allowed, ev.allows
	}
	return res
}

// evaluation accumulates what Evaluate's statements did.
type evaluation struct {
	ms        missingSet
	denies    []Match
	allows    []Match
	denyKind  string
	errKind   string
	firstErr  error
	idAllow   bool
	resAllow  bool
	resDirect bool
}

// run evaluates every statement of one policy and reports whether one of
// them allowed.
func (ev *evaluation) run(kind string, np *NamedPolicy, req *Request, opts *Options) (allowed bool) {
	if np == nil || np.Policy == nil {
		return false
	}
	for i := range np.Policy.Statements {
		st := &np.Policy.Statements[i]
		if kind == KindResource && !st.hasPrinc && st.Effect == Allow {
			// A resource-based statement must name its principals (AWS:
			// reference_policies_elements_principal, "You must use the
			// Principal element in resource-based policies"). The owning
			// service should have refused such a document; tgsim fails
			// closed: its Allow grants nobody, while a Deny without a
			// Principal below applies to every caller.
			continue
		}
		out, direct, err := st.eval(req, opts, &ev.ms)
		switch out {
		case errored:
			if ev.firstErr == nil {
				ev.firstErr = fmt.Errorf("%s %s: %w", kind, np.ID, err)
				ev.errKind = kind
			}
		case matched:
			mt := Match{PolicyID: np.ID, Statement: i, Sid: st.Sid, Effect: st.Effect, Kind: kind}
			if st.Effect == Deny {
				if ev.denyKind == "" {
					ev.denyKind = kind
				}
				ev.denies = append(ev.denies, mt)
				continue
			}
			ev.allows = append(ev.allows, mt)
			allowed = true
			if kind == KindResource && direct {
				ev.resDirect = true
			}
		}
	}
	return allowed
}
