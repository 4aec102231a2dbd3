package iot

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"unicode"

	"github.com/tgsim/tgsim/fakes/awsproto"
)

// maxPolicyChars: AWS IoT quotas — a policy document holds at most 2048
// characters, white space excluded.
const maxPolicyChars = 2048

// policyNamePattern is PolicyName's pattern in the model.
const policyNamePattern = `[\w+=,.@-]+`

func validatePolicyName(v string) error {
	switch {
	case v == "":
		return validationError("policyName", v, "Member must have length greater than or equal to 1")
	case len(v) > 128:
		return validationError("policyName", v, "Member must have length less than or equal to 128")
	}
	for i := 0; i < len(v); i++ {
		if c := v[i]; !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("_+=,.@-", c) >= 0) {
			return validationError("policyName", v, "Member must satisfy regular expression pattern: "+policyNamePattern)
		}
	}
	return nil
}

// stringOrList is a policy element that is one string or a list of them.
type stringOrList []string

func (s *stringOrList) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*s = []string{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return err
	}
	*s = many
	return nil
}

// validatePolicyDocument checks an IoT policy: a JSON object with Version
// "2012-10-17" and Statement (one object or a list), each statement with
// Effect Allow|Deny, Action naming iot: actions ("iot:*", "iot:Publish",
// "iot:Get*"), and Resource. AWS: MalformedPolicyException.
func validatePolicyDocument(doc string) error {
	n := 0
	for _, c := range doc {
		if !unicode.IsSpace(c) {
			n++
		}
	}
	if doc == "" {
		return malformedPolicy("Policy document is empty")
	}
	if n > maxPolicyChars {
		return malformedPolicy("Policy document is %d characters long (white space excluded); the maximum is %d", n, maxPolicyChars)
	}
	var top map[string]json.RawMessage
	dec := json.NewDecoder(strings.NewReader(doc))
	if err := dec.Decode(&top); err != nil || dec.More() {
		return malformedPolicy("Policy document is not a JSON object")
	}
	for k := range top {
		if k != "Version" && k != "Statement" && k != "Id" {
			return malformedPolicy("Policy document has unknown element %q", k)
		}
	}
	var version string
	if err := json.Unmarshal(top["Version"], &version); err != nil || version != "2012-10-17" {
		return malformedPolicy("Policy document Version must be \"2012-10-17\"")
	}
	raw, ok := top["Statement"]
	if !ok {
		return malformedPolicy("Policy document has no Statement")
	}
	type statement struct {
		Sid       string          `json:"Sid"`
		Effect    string          `json:"Effect"`
		Action    stringOrList    `json:"Action"`
		Resource  stringOrList    `json:"Resource"`
		Condition json.RawMessage `json:"Condition"`
	}
	var stmts []statement
	if bytes.HasPrefix(bytes.TrimSpace(raw), []byte("{")) {
		var one statement
		if err := strictUnmarshal(raw, &one); err != nil {
			return malformedPolicy("Policy statement is malformed: %v", err)
		}
		stmts = []statement{one}
	} else if err := strictUnmarshal(raw, &stmts); err != nil {
		return malformedPolicy("Policy Statement must be an object or a list of objects: %v", err)
	}
	if len(stmts) == 0 {
		return malformedPolicy("Policy document has no statements")
	}
	for i, st := range stmts {
		if st.Effect != "Allow" && st.Effect != "Deny" {
			return malformedPolicy("Statement %d: Effect must be Allow or Deny", i)
		}
		if len(st.Action) == 0 {
			return malformedPolicy("Statement %d: Action is required", i)
		}
		for _, a := range st.Action {
			if !validIoTAction(a) {
				return malformedPolicy("Statement %d: invalid action %q (want iot:*, iot:Publish, ...)", i, a)
			}
		}
		if len(st.Resource) == 0 {
			return malformedPolicy("Statement %d: Resource is required", i)
		}
		for _, r := range st.Resource {
			if r == "" {
				return malformedPolicy("Statement %d: empty Resource", i)
			}
		}
	}
	return nil
}

func strictUnmarshal(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

// validIoTAction: "*" or "iot:" followed by letters and '*' wildcards, or
// one of the service prefixes an IoT policy may also name (greengrass:).
func validIoTAction(a string) bool {
	if a == "*" {
		return true
	}
	prefix, name, ok := strings.Cut(a, ":")
	if !ok || name == "" || prefix != "iot" && prefix != "greengrass" {
		return false
	}
	for _, c := range name {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '*' || c == '?') {
			return false
		}
	}
	return true
}

// CreatePolicy is POST /policies/{policyName}.
func (s *Service) CreatePolicy(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("policyName")
	if err := validatePolicyName(name); err != nil {
		return err
	}
	var in struct {
		PolicyDocument string `json:"policyDocument"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	if err := validatePolicyDocument(in.PolicyDocument); err != nil {
		return err
	}
	now := s.opts.Now()
	account, region := s.scope(r.Context())
	p, err := s.backend.CreatePolicy(r.Context(), Policy{
		Name: name, ARN: "arn:aws:iot:" + region + ":" + account + ":policy/" + name,
		DefaultVersion: "1", GenerationID: s.opts.NewID(), CreatedAt: now, ModifiedAt: now,
		Versions: []PolicyVersion{{ID: "1", Document: in.PolicyDocument, CreatedAt: now}},
	})
	if err != nil {
		return err
	}
	return writeJSON(w, struct {
		PolicyName      string `json:"policyName"`
		PolicyArn       string `json:"policyArn"`
		PolicyDocument  string `json:"policyDocument"`
		PolicyVersionID string `json:"policyVersionId"`
	}{p.Name, p.ARN, p.Document(), p.DefaultVersion})
}

// GetPolicy is GET /policies/{policyName}.
func (s *Service) GetPolicy(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("policyName")
	if err := validatePolicyName(name); err != nil {
		return err
	}
	p, err := s.backend.GetPolicy(r.Context(), name)
	if err != nil {
		return err
	}
	return writeJSON(w, struct {
		PolicyName       string `json:"policyName"`
		PolicyArn        string `json:"policyArn"`
		PolicyDocument   string `json:"policyDocument"`
		DefaultVersionID string `json:"defaultVersionId"`
		CreationDate     epoch  `json:"creationDate"`
		LastModifiedDate epoch  `json:"lastModifiedDate"`
		GenerationID     string `json:"generationId"`
	}{p.Name, p.ARN, p.Document(), p.DefaultVersion, epoch(p.CreatedAt), epoch(p.ModifiedAt), p.GenerationID})
}

type policyNameAndArn struct {
	PolicyName string `json:"policyName"`
	PolicyArn  string `json:"policyArn"`
}

// ListPolicies is GET /policies?marker&pageSize&isAscendingOrder. Ordered
// by name, descending unless isAscendingOrder=true.
func (s *Service) ListPolicies(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	limit, err := maxResults(r, "pageSize", 50)
	if err != nil {
		return err
	}
	all, err := s.backend.ListPolicies(r.Context())
	if err != nil {
		return err
	}
	if !strings.EqualFold(q.Get("isAscendingOrder"), "true") {
		slices.Reverse(all)
	}
	items, next, err := page(all, func(p Policy) string { return p.Name }, q.Get("marker"), limit)
	if err != nil {
		return err
	}
	out := struct {
		Policies   []policyNameAndArn `json:"policies"`
		NextMarker string             `json:"nextMarker,omitempty"`
	}{Policies: []policyNameAndArn{}, NextMarker: next}
	for _, p := range items {
		out.Policies = append(out.Policies, policyNameAndArn{p.Name, p.ARN})
	}
	return writeJSON(w, out)
}

// DeletePolicy is DELETE /policies/{policyName}.
func (s *Service) DeletePolicy(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("policyName")
	if err := validatePolicyName(name); err != nil {
		return err
	}
	if err := s.backend.DeletePolicy(r.Context(), name); err != nil {
		return err
	}
	return writeJSON(w, struct{}{})
}

// CreatePolicyVersion is POST /policies/{policyName}/version?setAsDefault.
func (s *Service) CreatePolicyVersion(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("policyName")
	if err := validatePolicyName(name); err != nil {
		return err
	}
	setDefault := false
	switch v := r.URL.Query().Get("setAsDefault"); v {
	case "true":
		setDefault = true
	case "false", "":
	default:
		return validationError("setAsDefault", v, "Member must be a boolean")
	}
	var in struct {
		PolicyDocument string `json:"policyDocument"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	if err := validatePolicyDocument(in.PolicyDocument); err != nil {
		return err
	}
	v, err := s.backend.CreatePolicyVersion(r.Context(), name, in.PolicyDocument, setDefault, s.opts.Now())
	if err != nil {
		return err
	}
	p, err := s.backend.GetPolicy(r.Context(), name)
	if err != nil {
		return err
	}
	return writeJSON(w, struct {
		PolicyArn        string `json:"policyArn"`
		PolicyDocument   string `json:"policyDocument"`
		PolicyVersionID  string `json:"policyVersionId"`
		IsDefaultVersion bool   `json:"isDefaultVersion"`
	}{p.ARN, v.Document, v.ID, setDefault})
}

// policyVersionID checks a PolicyVersionId path member ([0-9]+).
func policyVersionID(r *http.Request) (string, error) {
	v := r.PathValue("policyVersionId")
	if v == "" || !allChars(v, func(c byte) bool { return c >= '0' && c <= '9' }) {
		return "", validationError("policyVersionId", v, "Member must satisfy regular expression pattern: [0-9]+")
	}
	return v, nil
}

// GetPolicyVersion is GET /policies/{policyName}/version/{policyVersionId}.
func (s *Service) GetPolicyVersion(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("policyName")
	if err := validatePolicyName(name); err != nil {
		return err
	}
	id, err := policyVersionID(r)
	if err != nil {
		return err
	}
	p, err := s.backend.GetPolicy(r.Context(), name)
	if err != nil {
		return err
	}
	i := slices.IndexFunc(p.Versions, func(v PolicyVersion) bool { return v.ID == id })
	if i < 0 {
		return policyVersionNotFound(name, id)
	}
	v := p.Versions[i]
	return writeJSON(w, struct {
		PolicyArn        string `json:"policyArn"`
		PolicyName       string `json:"policyName"`
		PolicyDocument   string `json:"policyDocument"`
		PolicyVersionID  string `json:"policyVersionId"`
		IsDefaultVersion bool   `json:"isDefaultVersion"`
		CreationDate     epoch  `json:"creationDate"`
		LastModifiedDate epoch  `json:"lastModifiedDate"`
		GenerationID     string `json:"generationId"`
	}{p.ARN, p.Name, v.Document, v.ID, v.ID == p.DefaultVersion, epoch(v.CreatedAt), epoch(v.CreatedAt), p.GenerationID})
}

// ListPolicyVersions is GET /policies/{policyName}/version.
func (s *Service) ListPolicyVersions(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("policyName")
	if err := validatePolicyName(name); err != nil {
		return err
	}
	p, err := s.backend.GetPolicy(r.Context(), name)
	if err != nil {
		return err
	}
	type version struct {
		VersionID        string `json:"versionId"`
		IsDefaultVersion bool   `json:"isDefaultVersion"`
		CreateDate       epoch  `json:"createDate"`
	}
	out := struct {
		PolicyVersions []version `json:"policyVersions"`
	}{[]version{}}
	for _, v := range p.Versions {
		out.PolicyVersions = append(out.PolicyVersions, version{v.ID, v.ID == p.DefaultVersion, epoch(v.CreatedAt)})
	}
	return writeJSON(w, out)
}

// SetDefaultPolicyVersion is PATCH /policies/{policyName}/version/{policyVersionId}.
func (s *Service) SetDefaultPolicyVersion(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("policyName")
	if err := validatePolicyName(name); err != nil {
		return err
	}
	id, err := policyVersionID(r)
	if err != nil {
		return err
	}
	if err := s.backend.SetDefaultPolicyVersion(r.Context(), name, id, s.opts.Now()); err != nil {
		return err
	}
	return writeJSON(w, struct{}{})
}

// DeletePolicyVersion is DELETE /policies/{policyName}/version/{policyVersionId}.
func (s *Service) DeletePolicyVersion(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("policyName")
	if err := validatePolicyName(name); err != nil {
		return err
	}
	id, err := policyVersionID(r)
	if err != nil {
		return err
	}
	if err := s.backend.DeletePolicyVersion(r.Context(), name, id); err != nil {
		return err
	}
	return writeJSON(w, struct{}{})
}

// policyTarget parses a PolicyTarget: a certificate ARN or a thing group
// ARN of the request's account. Divergence: Cognito identities are not
// targets here.
func (s *Service) policyTarget(ctx context.Context, v string) (PolicyTarget, error) {
	if v == "" {
		return PolicyTarget{}, invalidRequest("target is required.")
	}
	a, err := awsproto.ParseARN(v)
	if err != nil || a.Service != "iot" {
		return PolicyTarget{}, invalidRequest("Invalid target %q: expected a certificate or thing group ARN.", v)
	}
	kind, id, _ := strings.Cut(a.Resource, "/")
	switch kind {
	case TargetCertificate:
		if id, err = normalizeCertID(id); err != nil {
			return PolicyTarget{}, invalidRequest("Invalid target %q: the certificate id must be 64 hexadecimal digits.", v)
		}
	case TargetThingGroup:
		if err := validateName("target", id); err != nil {
			return PolicyTarget{}, invalidRequest("Invalid target %q: bad thing group name.", v)
		}
	default:
		return PolicyTarget{}, invalidRequest("Invalid target %q: expected a certificate or thing group ARN.", v)
	}
	t := PolicyTarget{Kind: kind, ID: id}
	if account, _ := s.scope(ctx); a.Account != account {
		if kind == TargetCertificate {
			return t, certificateNotFound(id)
		}
		return t, groupNotFound(id)
	}
	return t, nil
}

// AttachPolicy is PUT /target-policies/{policyName}.
func (s *Service) AttachPolicy(w http.ResponseWriter, r *http.Request) error {
	return s.attachment(w, r, s.backend.AttachPolicy)
}

// DetachPolicy is POST /target-policies/{policyName}.
func (s *Service) DetachPolicy(w http.ResponseWriter, r *http.Request) error {
	return s.attachment(w, r, s.backend.DetachPolicy)
}

func (s *Service) attachment(w http.ResponseWriter, r *http.Request, apply func(context.Context, string, PolicyTarget) error) error {
	name := r.PathValue("policyName")
	if err := validatePolicyName(name); err != nil {
		return err
	}
	var in struct {
		Target string `json:"target"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	t, err := s.policyTarget(r.Context(), in.Target)
	if err != nil {
		return err
	}
	if err := apply(r.Context(), name, t); err != nil {
		return err
	}
	return writeJSON(w, struct{}{})
}

// ListAttachedPolicies is POST /attached-policies/{target}?recursive. With
// recursive=true on a thing group, the policies of its ancestors are
// included.
func (s *Service) ListAttachedPolicies(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	limit, err := maxResults(r, "pageSize", 50)
	if err != nil {
		return err
	}
	t, err := s.policyTarget(r.Context(), r.PathValue("target"))
	if err != nil {
		return err
	}
	names, err := s.backend.AttachedPolicies(r.Context(), t)
	if err != nil {
		return err
	}
	if t.Kind == TargetThingGroup && q.Get("recursive") == "true" {
		g, err := s.backend.GetThingGroup(r.Context(), t.ID)
		if err != nil {
			return err
		}
		for p := g.Parent; p != ""; {
			more, err := s.backend.AttachedPolicies(r.Context(), PolicyTarget{TargetThingGroup, p})
			if err != nil {
				break
			}
			names = append(names, more...)
			pg, err := s.backend.GetThingGroup(r.Context(), p)
			if err != nil {
				break
			}
			p = pg.Parent
		}
		slices.Sort(names)
		names = slices.Compact(names)
	}
	var policies []policyNameAndArn
	for _, n := range names {
		p, err := s.backend.GetPolicy(r.Context(), n)
		if err != nil {
			continue // deleted concurrently
		}
		policies = append(policies, policyNameAndArn{p.Name, p.ARN})
	}
	items, next, err := page(policies, func(p policyNameAndArn) string { return p.PolicyName }, q.Get("marker"), limit)
	if err != nil {
		return err
	}
	return writeJSON(w, struct {
		Policies   []policyNameAndArn `json:"policies"`
		NextMarker string             `json:"nextMarker,omitempty"`
	}{append([]policyNameAndArn{}, items...), next})
}

// ListTargetsForPolicy is POST /policy-targets/{policyName}.
func (s *Service) ListTargetsForPolicy(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("policyName")
	if err := validatePolicyName(name); err != nil {
		return err
	}
	q := r.URL.Query()
	limit, err := maxResults(r, "pageSize", 50)
	if err != nil {
		return err
	}
	targets, err := s.backend.PolicyTargets(r.Context(), name)
	if err != nil {
		return err
	}
	items, next, err := page(targets, func(t string) string { return t }, q.Get("marker"), limit)
	if err != nil {
		return err
	}
	return writeJSON(w, struct {
		Targets    []string `json:"targets"`
		NextMarker string   `json:"nextMarker,omitempty"`
	}{append([]string{}, items...), next})
}

// PoliciesForCertificate returns the default-version documents of the
// policies that apply to a certificate: those attached to it and those
// attached to the thing groups (and their ancestors) of the things it is
// attached to. Each policy once, ordered by policy name; nil for an unknown
// certificate. Safe for concurrent use.
func (s *Service) PoliciesForCertificate(certID string) []string {
	ctx := context.Background()
	id, err := normalizeCertID(certID)
	if err != nil {
		return nil
	}
	names, err := s.backend.AttachedPolicies(ctx, PolicyTarget{TargetCertificate, id})
	if err != nil {
		return nil
	}
	things, _ := s.backend.PrincipalThings(ctx, id)
	seen := map[string]bool{}
	for _, th := range things {
		groups, _ := s.backend.ThingGroupsForThing(ctx, th)
		for len(groups) > 0 {
			g := groups[0]
			groups = groups[1:]
			if seen[g] {
				continue
			}
			seen[g] = true
			more, _ := s.backend.AttachedPolicies(ctx, PolicyTarget{TargetThingGroup, g})
			names = append(names, more...)
			if tg, err := s.backend.GetThingGroup(ctx, g); err == nil && tg.Parent != "" {
				groups = append(groups, tg.Parent)
			}
		}
	}
	slices.Sort(names)
	names = slices.Compact(names)
	var docs []string
	for _, n := range names {
		if p, err := s.backend.GetPolicy(ctx, n); err == nil {
			docs = append(docs, p.Document())
		}
	}
	return docs
}
