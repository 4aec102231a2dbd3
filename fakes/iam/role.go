package iam

import (
	"context"
	"encoding/base64"
	"net/url"
	"strings"

	"github.com/tgsim/tgsim/fakes/awsproto"
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
	if err := validatePolicyDocument("assumeRolePolicyDocument", doc); err != nil {
		return nil, err
	}
	path := "/"
	if p.has("Path") {
		path = p.get("Path")
		if err := validatePath("path", path); err != nil {
			return nil, err
		}
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
		if _, err := awsproto.ParseARN(boundary); err != nil || len(boundary) < 20 || len(boundary) > 2048 {
			return nil, awsproto.NewError(400, "InvalidInput", "ARN %s is not valid.", boundary)
		}
	}
	tags, err := tagsParam(p)
	if err != nil {
		return nil, err
	}
	account := s.caller(ctx).Account
	r, err := s.backend.CreateRole(ctx, Role{
		Path: path, Name: name, ID: "AROA" + s.opts.NewID(),
		// AWS: IAM identifiers — arn:aws:iam::ACCOUNT:role/PATH/NAME.
		ARN:       "arn:aws:iam::" + account + ":role" + path + name,
		CreatedAt: s.opts.Now(), Description: desc, TrustPolicy: doc,
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
	prefix := "/"
	if p.has("PathPrefix") {
		prefix = p.get("PathPrefix")
		if err := validatePathPrefix("pathPrefix", prefix); err != nil {
			return nil, err
		}
	}
	limit, err := intParam(p, "MaxItems", "maxItems", 100, 1, 1000)
	if err != nil {
		return nil, err
	}
	roles, err := s.backend.ListRoles(ctx, prefix)
	if err != nil {
		return nil, err
	}
	start := 0
	if p.has("Marker") {
		raw, err := base64.RawURLEncoding.DecodeString(p.get("Marker"))
		if err != nil || len(raw) == 0 {
			return nil, validationError("marker", p.get("Marker"), "Invalid Marker")
		}
		after := strings.ToLower(string(raw))
		for start < len(roles) && strings.ToLower(roles[start].Name) <= after {
			start++
		}
	}
	end := min(start+limit, len(roles))
	out := struct {
		Roles       []roleXML `xml:"Roles>member"`
		IsTruncated bool      `xml:"IsTruncated"`
		Marker      string    `xml:"Marker,omitempty"`
	}{Roles: []roleXML{}}
	for _, r := range roles[start:end] {
		out.Roles = append(out.Roles, toXML(r, false))
	}
	if end < len(roles) {
		out.IsTruncated = true
		out.Marker = base64.RawURLEncoding.EncodeToString([]byte(roles[end-1].Name))
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
