package iam

import (
	"context"
	"strconv"
	"strings"

	"github.com/tgsim/tgsim/fakes/awsproto"
	"github.com/tgsim/tgsim/fakes/policy"
)

// The policy simulator: SimulatePrincipalPolicy and SimulateCustomPolicy
// evaluate with the same engine the edge uses.

// simSource is where a policy taking part in a simulation came from, as
// MatchedStatements reports it.
type simSource struct {
	id, typ string // SourcePolicyId, SourcePolicyType
	doc     string
}

// simulation is one simulator request, read and checked.
type simulation struct {
	set       policy.Set
	sources   map[string]simSource // NamedPolicy.ID → source
	actions   []string
	resources []string
	principal *policy.Principal
	context   policy.Context
	boundary  bool // a permissions boundary takes part
}

func (sim *simulation) add(dst *[]policy.NamedPolicy, id string, src simSource, parsed *policy.Policy) {
	*dst = append(*dst, policy.NamedPolicy{ID: id, Policy: parsed})
	sim.sources[id] = src
}

// inputPolicies reads NAME.member.N policy documents.
func inputPolicies(p params, name, member string, use policyRole) ([]string, []*policy.Policy, error) {
	docs := listParam(p, name)
	parsed := make([]*policy.Policy, len(docs))
	for i, doc := range docs {
		pol, err := parsePolicy(member, doc, use)
		if err != nil {
			return nil, nil, err
		}
		parsed[i] = pol
	}
	return docs, parsed, nil
}

// readSimulation reads what both operations share.
func readSimulation(p params) (*simulation, error) {
	sim := &simulation{sources: map[string]simSource{}, context: policy.Context{}}
	sim.actions = listParam(p, "ActionNames")
	if len(sim.actions) == 0 {
		return nil, missingParameter("actionNames")
	}
	for _, a := range sim.actions {
		if len(a) < 3 || len(a) > 128 {
			return nil, validationError("actionNames", a, "Member must have length greater than or equal to 3 and less than or equal to 128")
		}
	}
	sim.resources = listParam(p, "ResourceArns")
	if len(sim.resources) == 0 {
		sim.resources = []string{"*"}
	}
	docs, parsed, err := inputPolicies(p, "PolicyInputList", "policyInputList", identityPolicy)
	if err != nil {
		return nil, err
	}
	for i, doc := range docs {
		id := "PolicyInputList." + strconv.Itoa(i+1)
		// AWS reports input policies as type "IAM Policy".
		sim.add(&sim.set.Identity, id, simSource{id, "IAM Policy", doc}, parsed[i])
	}
	docs, parsed, err = inputPolicies(p, "PermissionsBoundaryPolicyInputList", "permissionsBoundaryPolicyInputList", identityPolicy)
	if err != nil {
		return nil, err
	}
	switch len(docs) {
	case 0:
	case 1:
		id := "PermissionsBoundaryPolicyInputList.1"
		sim.set.Boundary = &policy.NamedPolicy{ID: id, Policy: parsed[0]}
		sim.sources[id] = simSource{id, "IAM Policy", docs[0]}
		sim.boundary = true
	default:
		return nil, invalidInput("Only one permissions boundary policy may be provided.")
	}
	if p.has("ResourcePolicy") {
		doc := p.get("ResourcePolicy")
		pol, err := parsePolicy("resourcePolicy", doc, resourcePolicy)
		if err != nil {
			return nil, err
		}
		sim.add(&sim.set.Resource, "ResourcePolicy", simSource{"ResourcePolicy", "resource", doc}, pol)
	}
	if p.has("CallerArn") {
		arn := p.get("CallerArn")
		if err := validateARN(arn); err != nil {
			return nil, err
		}
		sim.principal = &policy.Principal{Type: "AWS", ID: arn, Account: arnAccount(arn)}
	}
	// ContextEntries.member.N.ContextKeyName / .ContextKeyValues.member.M /
	// .ContextKeyType. Values stay strings, as the engine takes them.
	for i := 1; ; i++ {
		prefix := "ContextEntries.member." + strconv.Itoa(i)
		if !p.has(prefix+".ContextKeyName") && !p.has(prefix+".ContextKeyType") {
			break
		}
		key := p.get(prefix + ".ContextKeyName")
		if len(key) < 5 || len(key) > 256 {
			return nil, validationError("contextEntries."+strconv.Itoa(i)+".member.contextKeyName", key, "Member must have length greater than or equal to 5 and less than or equal to 256")
		}
		if _, err := enumParam(p, prefix+".ContextKeyType", "contextEntries."+strconv.Itoa(i)+".member.contextKeyType", "string",
			"string", "stringList", "numeric", "numericList", "boolean", "booleanList", "ip", "ipList", "binary", "binaryList", "date", "dateList"); err != nil {
			return nil, err
		}
		sim.context.Set(key, listParam(p, prefix+".ContextKeyValues")...)
	}
	return sim, nil
}

type positionXML struct {
	Line   int `xml:"Line"`
	Column int `xml:"Column"`
}

type statementXML struct {
	SourcePolicyID   string       `xml:"SourcePolicyId"`
	SourcePolicyType string       `xml:"SourcePolicyType"`
	StartPosition    *positionXML `xml:"StartPosition,omitempty"`
	EndPosition      *positionXML `xml:"EndPosition,omitempty"`
}

type boundaryDetailXML struct {
	AllowedByPermissionsBoundary bool `xml:"AllowedByPermissionsBoundary"`
}

type evalResultXML struct {
	EvalActionName                    string             `xml:"EvalActionName"`
	EvalResourceName                  string             `xml:"EvalResourceName"`
	EvalDecision                      string             `xml:"EvalDecision"`
	MatchedStatements                 []statementXML     `xml:"MatchedStatements>member"`
	MissingContextValues              []string           `xml:"MissingContextValues>member"`
	PermissionsBoundaryDecisionDetail *boundaryDetailXML `xml:"PermissionsBoundaryDecisionDetail,omitempty"`
}

// run evaluates every action on every resource, in the order given.
func (sim *simulation) run() []evalResultXML {
	spans := map[string][][2]Position{}
	var out []evalResultXML
	for _, action := range sim.actions {
		for _, resource := range sim.resources {
			req := &policy.Request{Action: action, Resource: resource, Principal: sim.principal, Context: sim.context}
			res := policy.Evaluate(sim.set, req, policy.Options{})
			r := evalResultXML{
				EvalActionName: action, EvalResourceName: resource, EvalDecision: string(res.Decision),
				MatchedStatements: []statementXML{}, MissingContextValues: append([]string{}, res.MissingContextValues...),
			}
			for _, m := range res.Matched {
				src, ok := sim.sources[m.PolicyID]
				if !ok {
					src = simSource{id: m.PolicyID, typ: "none"}
				}
				st := statementXML{SourcePolicyID: src.id, SourcePolicyType: src.typ}
				sp, ok := spans[m.PolicyID]
				if !ok {
					sp = statementSpans(src.doc)
					spans[m.PolicyID] = sp
				}
				if m.Statement >= 0 && m.Statement < len(sp) {
					st.StartPosition = &positionXML{sp[m.Statement][0].Line, sp[m.Statement][0].Column}
					st.EndPosition = &positionXML{sp[m.Statement][1].Line, sp[m.Statement][1].Column}
				}
				r.MatchedStatements = append(r.MatchedStatements, st)
			}
			if sim.boundary {
				b := policy.Evaluate(policy.Set{Identity: []policy.NamedPolicy{*sim.set.Boundary}}, req, policy.Options{})
				r.PermissionsBoundaryDecisionDetail = &boundaryDetailXML{b.Decision == policy.Allowed}
			}
			out = append(out, r)
		}
	}
	return out
}

func simulationResult(p params, sim *simulation) (any, error) {
	pg, truncated, marker, err := page(p, sim.run())
	if err != nil {
		return nil, err
	}
	return struct {
		EvaluationResults []evalResultXML `xml:"EvaluationResults>member"`
		IsTruncated       bool            `xml:"IsTruncated"`
		Marker            string          `xml:"Marker,omitempty"`
	}{append([]evalResultXML{}, pg...), truncated, marker}, nil
}

// SimulateCustomPolicy is IAM SimulateCustomPolicy.
func (s *Service) SimulateCustomPolicy(_ context.Context, p params) (any, error) {
	if len(listParam(p, "PolicyInputList")) == 0 {
		return nil, missingParameter("policyInputList")
	}
	sim, err := readSimulation(p)
	if err != nil {
		return nil, err
	}
	return simulationResult(p, sim)
}

// SimulatePrincipalPolicy is IAM SimulatePrincipalPolicy: the policies of
// the user (with its groups'), group or role PolicySourceArn names, plus
// PolicyInputList. PermissionsBoundaryPolicyInputList replaces the
// entity's own boundary. Without CallerArn a user source is the caller a
// ResourcePolicy sees.
func (s *Service) SimulatePrincipalPolicy(ctx context.Context, p params) (any, error) {
	source, err := requiredARN(p, "PolicySourceArn", "policySourceArn")
	if err != nil {
		return nil, err
	}
	a, _ := awsproto.ParseARN(source)
	kind, name := Kind(""), a.Resource[strings.LastIndexByte(a.Resource, '/')+1:]
	for _, k := range []Kind{KindUser, KindGroup, KindRole} {
		if strings.HasPrefix(a.Resource, string(k)+"/") {
			kind = k
		}
	}
	if a.Service != "iam" || kind == "" {
		return nil, invalidInput("Invalid ARN: %s. PolicySourceArn must be an IAM user, group or role.", source)
	}
	sim, err := readSimulation(p)
	if err != nil {
		return nil, err
	}
	grants, err := s.backend.Grants(ctx, kind, name)
	if err != nil {
		return nil, err
	}
	inputs := sim.set.Identity
	sim.set.Identity = nil
	for _, g := range grants.Policies {
		typ := string(g.Kind)
		switch {
		case g.AWSManaged:
			typ = "aws-managed"
		case g.ARN != "":
			typ = "user-managed"
		}
		sim.add(&sim.set.Identity, grantID(g), simSource{g.Name, typ, g.Document}, g.Parsed)
	}
	sim.set.Identity = append(sim.set.Identity, inputs...)
	if !sim.boundary && grants.Boundary != nil {
		b := grants.Boundary
		typ := "user-managed"
		if b.AWSManaged {
			typ = "aws-managed"
		}
		id := "boundary:" + b.ARN
		sim.set.Boundary = &policy.NamedPolicy{ID: id, Policy: b.Parsed}
		sim.sources[id] = simSource{b.Name, typ, b.Document}
		sim.boundary = true
	}
	if sim.principal == nil && kind == KindUser {
		sim.principal = &policy.Principal{Type: "AWS", ID: source, Account: a.Account}
	}
	return simulationResult(p, sim)
}
