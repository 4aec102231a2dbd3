package iam

import (
	"context"
	"net/url"
	"strings"
)

type tagXML struct {
	Key   string `xml:"Key"`
	Value string `xml:"Value"`
}

type boundaryXML struct {
	PermissionsBoundaryType string `xml:"PermissionsBoundaryType"`
	PermissionsBoundaryArn  string `xml:"PermissionsBoundaryArn"`
}

type roleXML struct {
	Path                     string       `xml:"Path"`
	RoleName                 string       `xml:"RoleName"`
	RoleID                   string       `xml:"RoleId"`
	Arn                      string       `xml:"Arn"`
	CreateDate               string       `xml:"CreateDate"`
	AssumeRolePolicyDocument string       `xml:"AssumeRolePolicyDocument,omitempty"`
	Description              string       `xml:"Description,omitempty"`
	MaxSessionDuration       int          `xml:"MaxSessionDuration,omitempty"`
	PermissionsBoundary      *boundaryXML `xml:"PermissionsBoundary,omitempty"`
	Tags                     []tagXML     `xml:"Tags>member,omitempty"`
}

// encodePolicy URL-encodes a policy document the way IAM answers it
// (RFC 3986 percent-encoding; a space is %20).
func encodePolicy(doc string) string {
	return strings.ReplaceAll(url.QueryEscape(doc), "+", "%20")
}

func toXML(r Role, withTags bool) roleXML {
	x := roleXML{
		Path: r.Path, RoleName: r.Name, RoleID: r.ID, Arn: r.ARN, CreateDate: isoTime(r.CreatedAt),
		AssumeRolePolicyDocument: encodePolicy(r.TrustPolicy), Description: r.Description, MaxSessionDuration: r.MaxSessionDuration,
	}
	if r.PermissionsBoundary != "" {
		x.PermissionsBoundary = &boundaryXML{"PermissionsBoundaryPolicy", r.PermissionsBoundary}
	}
	if withTags {
		for _, t := range r.Tags {
			x.Tags = append(x.Tags, tagXML(t))
		}
	}
	return x
}

type roleResult struct {
	Role roleXML `xml:"Role"`
}

// CreateRole is IAM CreateRole.
func (s *Service) CreateRole(ctx context.Context, p params) (any, error) {
	name := p.get("RoleName")
	if !p.has("RoleName") {
		return nil, missingParameter("roleName")
	}
	if err := validateName("roleName", name, 64); err != nil {
		return nil, err
	}
	if !p.has("AssumeRolePolicyDocument") {
		return nil, missingParameter("assumeRolePolicyDocument")
	}
	doc := p.get("AssumeRolePolicyDocument")
	trust, err := parsePolicy("assumeRolePolicyDocument", doc, resourcePolicy)
	if err != nil {
		return nil, err
	}
	path, err := pathOrRoot(p)
	if err != nil {
		return nil, err
	}
	desc := p.get("Description")
	if err := validateDescription("description", desc); err != nil {
		return nil, err
	}
	maxSession, err := intParam(p, "MaxSessionDuration", "maxSessionDuration", 3600, 3600, 43200)
	if err != nil {
		return nil, err
	}
	boundary := p.get("PermissionsBoundary")
	if boundary != "" {
		if err := validateARN(boundary); err != nil {
			return nil, err
		}
	}
	tags, err := tagsParam(p)
	if err != nil {
		return nil, err
	}
	account := s.account(ctx)
	r, err := s.backend.CreateRole(ctx, Role{
		Path: path, Name: name, ID: "AROA" + s.opts.NewID(),
		// AWS: IAM identifiers — arn:aws:iam::ACCOUNT:role/PATH/NAME.
		ARN:       "arn:aws:iam::" + account + ":role" + path + name,
		CreatedAt: s.opts.Now(), Description: desc, TrustPolicy: doc, Trust: trust,
		MaxSessionDuration: maxSession, PermissionsBoundary: boundary, Tags: tags,
	})
	if err != nil {
		return nil, err
	}
	return roleResult{toXML(r, true)}, nil
}

// GetRole is IAM GetRole.
func (s *Service) GetRole(ctx context.Context, p params) (any, error) {
	if !p.has("RoleName") {
		return nil, missingParameter("roleName")
	}
	name := p.get("RoleName")
	if err := validateName("roleName", name, 64); err != nil {
		return nil, err
	}
	r, err := s.backend.GetRole(ctx, name)
	if err != nil {
		return nil, err
	}
	return roleResult{toXML(r, true)}, nil
}

// ListRoles is IAM ListRoles: PathPrefix, Marker, MaxItems (default 100).
// Tags are not listed, as in AWS.
func (s *Service) ListRoles(ctx context.Context, p params) (any, error) {
	prefix, err := prefixOrRoot(p)
	if err != nil {
		return nil, err
	}
	roles, err := s.backend.ListRoles(ctx, prefix)
	if err != nil {
		return nil, err
	}
	pg, truncated, marker, err := page(p, roles)
	if err != nil {
		return nil, err
	}
	out := struct {
		Roles       []roleXML `xml:"Roles>member"`
		IsTruncated bool      `xml:"IsTruncated"`
		Marker      string    `xml:"Marker,omitempty"`
	}{Roles: []roleXML{}, IsTruncated: truncated, Marker: marker}
	for _, r := range pg {
		out.Roles = append(out.Roles, toXML(r, false))
	}
	return out, nil
}

// DeleteRole is IAM DeleteRole.
func (s *Service) DeleteRole(ctx context.Context, p params) (any, error) {
	if !p.has("RoleName") {
		return nil, missingParameter("roleName")
	}
	name := p.get("RoleName")
	if err := validateName("roleName", name, 64); err != nil {
		return nil, err
	}
	return nil, s.backend.DeleteRole(ctx, name)
}

// UpdateRole is IAM UpdateRole: Description and MaxSessionDuration.
func (s *Service) UpdateRole(ctx context.Context, p params) (any, error) {
	name, err := requiredName(p, "RoleName", "roleName", 64)
	if err != nil {
		return nil, err
	}
	desc := p.get("Description")
	if err := validateDescription("description", desc); err != nil {
		return nil, err
	}
	maxSession, err := intParam(p, "MaxSessionDuration", "maxSessionDuration", 0, 3600, 43200)
	if err != nil {
		return nil, err
	}
	_, err = s.backend.UpdateRole(ctx, name, func(r *Role) error {
		if p.has("Description") {
			r.Description = desc
		}
		if maxSession != 0 {
			r.MaxSessionDuration = maxSession
		}
		return nil
	})
	return struct{}{}, err
}

// UpdateAssumeRolePolicy is IAM UpdateAssumeRolePolicy.
func (s *Service) UpdateAssumeRolePolicy(ctx context.Context, p params) (any, error) {
	name, err := requiredName(p, "RoleName", "roleName", 64)
	if err != nil {
		return nil, err
	}
	if !p.has("PolicyDocument") {
		return nil, missingParameter("policyDocument")
	}
	doc := p.get("PolicyDocument")
	trust, err := parsePolicy("policyDocument", doc, resourcePolicy)
	if err != nil {
		return nil, err
	}
	_, err = s.backend.UpdateRole(ctx, name, func(r *Role) error {
		r.TrustPolicy, r.Trust = doc, trust
		return nil
	})
	return nil, err
}

// TagRole is IAM TagRole.
func (s *Service) TagRole(ctx context.Context, p params) (any, error) {
	name, err := requiredName(p, "RoleName", "roleName", 64)
	if err != nil {
		return nil, err
	}
	add, err := requiredTags(p)
	if err != nil {
		return nil, err
	}
	_, err = s.backend.UpdateRole(ctx, name, func(r *Role) (err error) {
		r.Tags, err = mergeTags(r.Tags, add)
		return err
	})
	return nil, err
}

// UntagRole is IAM UntagRole.
func (s *Service) UntagRole(ctx context.Context, p params) (any, error) {
	name, err := requiredName(p, "RoleName", "roleName", 64)
	if err != nil {
		return nil, err
	}
	keys, err := requiredTagKeys(p)
	if err != nil {
		return nil, err
	}
	_, err = s.backend.UpdateRole(ctx, name, func(r *Role) error {
		r.Tags = removeTags(r.Tags, keys)
		return nil
	})
	return nil, err
}

// ListRoleTags is IAM ListRoleTags.
func (s *Service) ListRoleTags(ctx context.Context, p params) (any, error) {
	name, err := requiredName(p, "RoleName", "roleName", 64)
	if err != nil {
		return nil, err
	}
	r, err := s.backend.GetRole(ctx, name)
	if err != nil {
		return nil, err
	}
	return tagsResult(p, r.Tags)
}

// PutRolePermissionsBoundary is IAM PutRolePermissionsBoundary.
func (s *Service) PutRolePermissionsBoundary(ctx context.Context, p params) (any, error) {
	return s.putBoundary(ctx, p, KindRole, "RoleName", "roleName", 64)
}

// DeleteRolePermissionsBoundary is IAM DeleteRolePermissionsBoundary.
func (s *Service) DeleteRolePermissionsBoundary(ctx context.Context, p params) (any, error) {
	return s.deleteBoundary(ctx, p, KindRole, "RoleName", "roleName", 64)
}
