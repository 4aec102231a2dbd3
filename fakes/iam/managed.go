package iam

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/tgsim/tgsim/fakes/awsproto"
)

// awsManaged are the AWS managed policies every account sees. Only those
// whose document is short and stable are carried; a test that needs more
// creates a customer managed policy.
var awsManaged = []struct {
	Name, ID, Description, Document string
	Created                         time.Time
}{
	{
		// AWS: managed policy reference, AdministratorAccess (v1).
		Name: "AdministratorAccess", ID: "ANPAIWMBCKSKIEE64ZLYK",
		Description: "Provides full access to AWS services and resources.",
		Document:    `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`,
		Created:     time.Date(2015, 2, 6, 18, 39, 46, 0, time.UTC),
	},
}

// AdministratorAccessARN is the preloaded AWS managed policy that allows
// every action on every resource.
const AdministratorAccessARN = "arn:aws:iam::aws:policy/AdministratorAccess"

// seedAWSManaged stores the AWS managed policies unless the backend has
// them (a persistent one may).
func (s *Service) seedAWSManaged(ctx context.Context) error {
	for _, m := range awsManaged {
		parsed, err := parsePolicy("policyDocument", m.Document, identityPolicy)
		if err != nil {
			return errors.New("iam: AWS managed policy " + m.Name + ": " + err.Error())
		}
		_, err = s.backend.CreatePolicy(ctx, ManagedPolicy{
			ARN: "arn:aws:iam::aws:policy/" + m.Name, Name: m.Name, ID: m.ID, Path: "/",
			Description: m.Description, CreatedAt: m.Created, UpdatedAt: m.Created, AWSManaged: true,
			Versions: []PolicyVersion{{Document: m.Document, Parsed: parsed, CreatedAt: m.Created}},
		})
		if ae := awsproto.AsError(err); err != nil && (ae == nil || ae.Code != codeEntityAlreadyExists) {
			return err
		}
	}
	return nil
}

type policyXML struct {
	PolicyName                    string   `xml:"PolicyName"`
	PolicyID                      string   `xml:"PolicyId"`
	Arn                           string   `xml:"Arn"`
	Path                          string   `xml:"Path"`
	DefaultVersionID              string   `xml:"DefaultVersionId"`
	AttachmentCount               int      `xml:"AttachmentCount"`
	PermissionsBoundaryUsageCount int      `xml:"PermissionsBoundaryUsageCount"`
	IsAttachable                  bool     `xml:"IsAttachable"`
	Description                   string   `xml:"Description,omitempty"`
	CreateDate                    string   `xml:"CreateDate"`
	UpdateDate                    string   `xml:"UpdateDate"`
	Tags                          []tagXML `xml:"Tags>member,omitempty"`
}

func policyToXML(p ManagedPolicy, full bool) policyXML {
	x := policyXML{
		PolicyName: p.Name, PolicyID: p.ID, Arn: p.ARN, Path: p.Path, DefaultVersionID: p.DefaultVersion,
		AttachmentCount: p.AttachmentCount, PermissionsBoundaryUsageCount: p.BoundaryCount, IsAttachable: true,
		CreateDate: isoTime(p.CreatedAt), UpdateDate: isoTime(p.UpdatedAt),
	}
	// AWS: ListPolicies — "does not return the policy's description or
	// tags"; GetPolicy does.
	if full {
		x.Description = p.Description
		for _, t := range p.Tags {
			x.Tags = append(x.Tags, tagXML(t))
		}
	}
	return x
}

type policyVersionXML struct {
	Document         string `xml:"Document,omitempty"`
	VersionID        string `xml:"VersionId"`
	IsDefaultVersion bool   `xml:"IsDefaultVersion"`
	CreateDate       string `xml:"CreateDate"`
}

func versionToXML(v PolicyVersion, isDefault, withDoc bool) policyVersionXML {
	x := policyVersionXML{VersionID: v.ID, IsDefaultVersion: isDefault, CreateDate: isoTime(v.CreatedAt)}
	if withDoc {
		x.Document = encodePolicy(v.Document)
	}
	return x
}

// validatePolicyPath checks policyPathType: ((/[A-Za-z0-9\.,\+@=_-]+)*)/.
func validatePolicyPath(member, v string) error {
	bad := len(v) == 0 || len(v) > 512 || v[0] != '/' || v[len(v)-1] != '/' || strings.Contains(v, "//") && v != "/"
	if !bad {
		bad = strings.IndexFunc(v, func(r rune) bool {
			return !(r == '/' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune(".,+@=_-", r))
		}) >= 0
	}
	if bad {
		return validationError(member, v, `Member must satisfy regular expression pattern: ((/[A-Za-z0-9\.,\+@=_-]+)*)/`)
	}
	return nil
}

// policyARNParam reads PolicyArn.
func policyARNParam(p params) (string, error) {
	return requiredARN(p, "PolicyArn", "policyArn")
}

// customerPolicy reads PolicyArn for an operation that changes the
// policy; AWS managed policies belong to AWS.
func (s *Service) customerPolicy(p params) (string, error) {
	arn, err := policyARNParam(p)
	if err != nil {
		return "", err
	}
	if strings.HasPrefix(arn, "arn:aws:iam::aws:policy/") {
		// Divergence: wording; AWS refuses to change its managed policies.
		return "", invalidInput("Policy %s is an AWS managed policy and cannot be modified.", arn)
	}
	return arn, nil
}

// CreatePolicy is IAM CreatePolicy.
func (s *Service) CreatePolicy(ctx context.Context, p params) (any, error) {
	name, err := requiredName(p, "PolicyName", "policyName", 128)
	if err != nil {
		return nil, err
	}
	if !p.has("PolicyDocument") {
		return nil, missingParameter("policyDocument")
	}
	doc := p.get("PolicyDocument")
	parsed, err := parsePolicy("policyDocument", doc, identityPolicy)
	if err != nil {
		return nil, err
	}
	path := "/"
	if p.has("Path") {
		path = p.get("Path")
		if err := validatePolicyPath("path", path); err != nil {
			return nil, err
		}
	}
	desc := p.get("Description")
	if len(desc) > 1000 {
		return nil, validationError("description", desc, "Member must have length less than or equal to 1000")
	}
	tags, err := tagsParam(p)
	if err != nil {
		return nil, err
	}
	now := s.opts.Now()
	mp, err := s.backend.CreatePolicy(ctx, ManagedPolicy{
		// AWS: IAM identifiers — arn:aws:iam::ACCOUNT:policy/PATH/NAME.
		ARN: "arn:aws:iam::" + s.account(ctx) + ":policy" + path + name, Name: name, ID: "ANPA" + s.opts.NewID(),
		Path: path, Description: desc, CreatedAt: now, UpdatedAt: now, Tags: tags,
		Versions: []PolicyVersion{{Document: doc, Parsed: parsed, CreatedAt: now}},
	})
	if err != nil {
		return nil, err
	}
	return struct {
		Policy policyXML `xml:"Policy"`
	}{policyToXML(mp, true)}, nil
}

// GetPolicy is IAM GetPolicy.
func (s *Service) GetPolicy(ctx context.Context, p params) (any, error) {
	arn, err := policyARNParam(p)
	if err != nil {
		return nil, err
	}
	mp, err := s.backend.GetPolicy(ctx, arn)
	if err != nil {
		return nil, err
	}
	return struct {
		Policy policyXML `xml:"Policy"`
	}{policyToXML(mp, true)}, nil
}

// ListPolicies is IAM ListPolicies: Scope (All, AWS, Local), OnlyAttached,
// PathPrefix, PolicyUsageFilter.
func (s *Service) ListPolicies(ctx context.Context, p params) (any, error) {
	scope, err := enumParam(p, "Scope", "scope", "All", "All", "AWS", "Local")
	if err != nil {
		return nil, err
	}
	onlyAttached, err := boolParam(p, "OnlyAttached", "onlyAttached")
	if err != nil {
		return nil, err
	}
	usage, err := enumParam(p, "PolicyUsageFilter", "policyUsageFilter", "", "PermissionsPolicy", "PermissionsBoundary")
	if err != nil {
		return nil, err
	}
	prefix := "/"
	if p.has("PathPrefix") {
		prefix = p.get("PathPrefix")
		if err := validatePolicyPath("pathPrefix", prefix); err != nil {
			return nil, err
		}
	}
	all, err := s.backend.ListPolicies(ctx)
	if err != nil {
		return nil, err
	}
	var keep []ManagedPolicy
	for _, mp := range all {
		switch {
		case scope == "AWS" && !mp.AWSManaged, scope == "Local" && mp.AWSManaged:
		case !strings.HasPrefix(mp.Path, prefix):
		// AWS: OnlyAttached — "only the policies that are attached to an
		// IAM user, group, or role"; a boundary use counts as well.
		case onlyAttached && mp.AttachmentCount+mp.BoundaryCount == 0:
		case usage == "PermissionsPolicy" && mp.AttachmentCount == 0, usage == "PermissionsBoundary" && mp.BoundaryCount == 0:
		default:
			keep = append(keep, mp)
		}
	}
	pg, truncated, marker, err := page(p, keep)
	if err != nil {
		return nil, err
	}
	out := struct {
		Policies    []policyXML `xml:"Policies>member"`
		IsTruncated bool        `xml:"IsTruncated"`
		Marker      string      `xml:"Marker,omitempty"`
	}{Policies: []policyXML{}, IsTruncated: truncated, Marker: marker}
	for _, mp := range pg {
		out.Policies = append(out.Policies, policyToXML(mp, false))
	}
	return out, nil
}

// DeletePolicy is IAM DeletePolicy.
func (s *Service) DeletePolicy(ctx context.Context, p params) (any, error) {
	arn, err := s.customerPolicy(p)
	if err != nil {
		return nil, err
	}
	return nil, s.backend.DeletePolicy(ctx, arn)
}

// CreatePolicyVersion is IAM CreatePolicyVersion.
func (s *Service) CreatePolicyVersion(ctx context.Context, p params) (any, error) {
	arn, err := s.customerPolicy(p)
	if err != nil {
		return nil, err
	}
	if !p.has("PolicyDocument") {
		return nil, missingParameter("policyDocument")
	}
	doc := p.get("PolicyDocument")
	parsed, err := parsePolicy("policyDocument", doc, identityPolicy)
	if err != nil {
		return nil, err
	}
	setDefault, err := boolParam(p, "SetAsDefault", "setAsDefault")
	if err != nil {
		return nil, err
	}
	v, err := s.backend.CreatePolicyVersion(ctx, arn, PolicyVersion{Document: doc, Parsed: parsed, CreatedAt: s.opts.Now()}, setDefault)
	if err != nil {
		return nil, err
	}
	return struct {
		PolicyVersion policyVersionXML `xml:"PolicyVersion"`
	}{versionToXML(v, setDefault, false)}, nil
}

// versionIDParam reads VersionId (policyVersionIdType: v[1-9][0-9]*...).
func versionIDParam(p params) (string, error) {
	if !p.has("VersionId") {
		return "", missingParameter("versionId")
	}
	v := p.get("VersionId")
	if len(v) < 2 || v[0] != 'v' || v[1] < '1' || v[1] > '9' {
		return "", validationError("versionId", v, `Member must satisfy regular expression pattern: v[1-9][0-9]*(\.[A-Za-z0-9-]*)?`)
	}
	return v, nil
}

// GetPolicyVersion is IAM GetPolicyVersion. The document is URL-encoded,
// as IAM answers it.
func (s *Service) GetPolicyVersion(ctx context.Context, p params) (any, error) {
	arn, err := policyARNParam(p)
	if err != nil {
		return nil, err
	}
	id, err := versionIDParam(p)
	if err != nil {
		return nil, err
	}
	mp, err := s.backend.GetPolicy(ctx, arn)
	if err != nil {
		return nil, err
	}
	v, err := s.backend.GetPolicyVersion(ctx, arn, id)
	if err != nil {
		return nil, err
	}
	return struct {
		PolicyVersion policyVersionXML `xml:"PolicyVersion"`
	}{versionToXML(v, mp.DefaultVersion == v.ID, true)}, nil
}

// ListPolicyVersions is IAM ListPolicyVersions, newest first.
func (s *Service) ListPolicyVersions(ctx context.Context, p params) (any, error) {
	arn, err := policyARNParam(p)
	if err != nil {
		return nil, err
	}
	mp, err := s.backend.GetPolicy(ctx, arn)
	if err != nil {
		return nil, err
	}
	versions := make([]PolicyVersion, 0, len(mp.Versions))
	for i := len(mp.Versions) - 1; i >= 0; i-- {
		versions = append(versions, mp.Versions[i])
	}
	pg, truncated, marker, err := page(p, versions)
	if err != nil {
		return nil, err
	}
	out := struct {
		Versions    []policyVersionXML `xml:"Versions>member"`
		IsTruncated bool               `xml:"IsTruncated"`
		Marker      string             `xml:"Marker,omitempty"`
	}{Versions: []policyVersionXML{}, IsTruncated: truncated, Marker: marker}
	for _, v := range pg {
		out.Versions = append(out.Versions, versionToXML(v, v.ID == mp.DefaultVersion, false))
	}
	return out, nil
}

// SetDefaultPolicyVersion is IAM SetDefaultPolicyVersion.
func (s *Service) SetDefaultPolicyVersion(ctx context.Context, p params) (any, error) {
	arn, err := s.customerPolicy(p)
	if err != nil {
		return nil, err
	}
	id, err := versionIDParam(p)
	if err != nil {
		return nil, err
	}
	return nil, s.backend.SetDefaultPolicyVersion(ctx, arn, id)
}

// DeletePolicyVersion is IAM DeletePolicyVersion.
func (s *Service) DeletePolicyVersion(ctx context.Context, p params) (any, error) {
	arn, err := s.customerPolicy(p)
	if err != nil {
		return nil, err
	}
	id, err := versionIDParam(p)
	if err != nil {
		return nil, err
	}
	return nil, s.backend.DeletePolicyVersion(ctx, arn, id)
}

// entityParam reads the entity name parameter of an operation on kind.
func entityParam(p params, kind Kind) (string, error) {
	switch kind {
	case KindUser:
		return requiredName(p, "UserName", "userName", 128)
	case KindGroup:
		return requiredName(p, "GroupName", "groupName", 128)
	}
	return requiredName(p, "RoleName", "roleName", 64)
}

// attachPolicy is Attach{User,Group,Role}Policy.
func (s *Service) attachPolicy(kind Kind) action {
	return func(ctx context.Context, p params) (any, error) {
		name, err := entityParam(p, kind)
		if err != nil {
			return nil, err
		}
		arn, err := policyARNParam(p)
		if err != nil {
			return nil, err
		}
		return nil, s.backend.AttachPolicy(ctx, kind, name, arn)
	}
}

// detachPolicy is Detach{User,Group,Role}Policy.
func (s *Service) detachPolicy(kind Kind) action {
	return func(ctx context.Context, p params) (any, error) {
		name, err := entityParam(p, kind)
		if err != nil {
			return nil, err
		}
		arn, err := policyARNParam(p)
		if err != nil {
			return nil, err
		}
		return nil, s.backend.DetachPolicy(ctx, kind, name, arn)
	}
}

type attachedXML struct {
	PolicyName string `xml:"PolicyName"`
	PolicyArn  string `xml:"PolicyArn"`
}

// listAttachedPolicies is ListAttached{User,Group,Role}Policies.
func (s *Service) listAttachedPolicies(kind Kind) action {
	return func(ctx context.Context, p params) (any, error) {
		name, err := entityParam(p, kind)
		if err != nil {
			return nil, err
		}
		prefix := "/"
		if p.has("PathPrefix") {
			prefix = p.get("PathPrefix")
			if err := validatePolicyPath("pathPrefix", prefix); err != nil {
				return nil, err
			}
		}
		all, err := s.backend.ListAttachedPolicies(ctx, kind, name)
		if err != nil {
			return nil, err
		}
		var keep []ManagedPolicy
		for _, mp := range all {
			if strings.HasPrefix(mp.Path, prefix) {
				keep = append(keep, mp)
			}
		}
		pg, truncated, marker, err := page(p, keep)
		if err != nil {
			return nil, err
		}
		out := struct {
			AttachedPolicies []attachedXML `xml:"AttachedPolicies>member"`
			IsTruncated      bool          `xml:"IsTruncated"`
			Marker           string        `xml:"Marker,omitempty"`
		}{AttachedPolicies: []attachedXML{}, IsTruncated: truncated, Marker: marker}
		for _, mp := range pg {
			out.AttachedPolicies = append(out.AttachedPolicies, attachedXML{mp.Name, mp.ARN})
		}
		return out, nil
	}
}

// ListEntitiesForPolicy is IAM ListEntitiesForPolicy.
func (s *Service) ListEntitiesForPolicy(ctx context.Context, p params) (any, error) {
	arn, err := policyARNParam(p)
	if err != nil {
		return nil, err
	}
	filter, err := enumParam(p, "EntityFilter", "entityFilter", "", "User", "Role", "Group", "LocalManagedPolicy", "AWSManagedPolicy")
	if err != nil {
		return nil, err
	}
	usage, err := enumParam(p, "PolicyUsageFilter", "policyUsageFilter", "PermissionsPolicy", "PermissionsPolicy", "PermissionsBoundary")
	if err != nil {
		return nil, err
	}
	prefix, err := prefixOrRoot(p)
	if err != nil {
		return nil, err
	}
	refs, err := s.backend.ListEntitiesForPolicy(ctx, arn, usage == "PermissionsBoundary")
	if err != nil {
		return nil, err
	}
	var keep []EntityRef
	for _, r := range refs {
		if strings.HasPrefix(r.Path, prefix) && (filter == "" || strings.EqualFold(filter, string(r.Kind))) {
			keep = append(keep, r)
		}
	}
	pg, truncated, marker, err := page(p, keep)
	if err != nil {
		return nil, err
	}
	type groupRef struct {
		GroupName string `xml:"GroupName"`
		GroupID   string `xml:"GroupId"`
	}
	type userRef struct {
		UserName string `xml:"UserName"`
		UserID   string `xml:"UserId"`
	}
	type roleRef struct {
		RoleName string `xml:"RoleName"`
		RoleID   string `xml:"RoleId"`
	}
	out := struct {
		PolicyGroups []groupRef `xml:"PolicyGroups>member"`
		PolicyUsers  []userRef  `xml:"PolicyUsers>member"`
		PolicyRoles  []roleRef  `xml:"PolicyRoles>member"`
		IsTruncated  bool       `xml:"IsTruncated"`
		Marker       string     `xml:"Marker,omitempty"`
	}{PolicyGroups: []groupRef{}, PolicyUsers: []userRef{}, PolicyRoles: []roleRef{}, IsTruncated: truncated, Marker: marker}
	for _, r := range pg {
		switch r.Kind {
		case KindGroup:
			out.PolicyGroups = append(out.PolicyGroups, groupRef{r.Name, r.ID})
		case KindUser:
			out.PolicyUsers = append(out.PolicyUsers, userRef{r.Name, r.ID})
		case KindRole:
			out.PolicyRoles = append(out.PolicyRoles, roleRef{r.Name, r.ID})
		}
	}
	return out, nil
}
