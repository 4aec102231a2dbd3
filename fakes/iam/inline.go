package iam

import (
	"context"
	"encoding/xml"
)

// Inline policies: Put/Get/List/Delete{User,Group,Role}Policy share one
// implementation per operation, parameterised by the entity kind.

// putInlinePolicy is Put{User,Group,Role}Policy.
func (s *Service) putInlinePolicy(kind Kind) action {
	return func(ctx context.Context, p params) (any, error) {
		entity, err := entityParam(p, kind)
		if err != nil {
			return nil, err
		}
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
		return nil, s.backend.PutInlinePolicy(ctx, kind, entity, InlinePolicy{Name: name, Document: doc, Parsed: parsed})
	}
}

// getInlinePolicy is Get{User,Group,Role}Policy; the document is
// URL-encoded, as IAM answers it.
func (s *Service) getInlinePolicy(kind Kind) action {
	return func(ctx context.Context, p params) (any, error) {
		entity, err := entityParam(p, kind)
		if err != nil {
			return nil, err
		}
		name, err := requiredName(p, "PolicyName", "policyName", 128)
		if err != nil {
			return nil, err
		}
		pol, err := s.backend.GetInlinePolicy(ctx, kind, entity, name)
		if err != nil {
			return nil, err
		}
		// The entity's name as stored, not as asked.
		stored := entity
		switch kind {
		case KindUser:
			if u, err := s.backend.GetUser(ctx, entity); err == nil {
				stored = u.Name
			}
		case KindGroup:
			if g, _, err := s.backend.GetGroup(ctx, entity); err == nil {
				stored = g.Name
			}
		case KindRole:
			if r, err := s.backend.GetRole(ctx, entity); err == nil {
				stored = r.Name
			}
		}
		return inlineXML{kind: kind, entity: stored, name: pol.Name, doc: encodePolicy(pol.Document)}, nil
	}
}

// inlineXML is the Get*PolicyResult: UserName, GroupName or RoleName, then
// PolicyName and PolicyDocument.
type inlineXML struct {
	kind              Kind
	entity, name, doc string
}

func (x inlineXML) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	if err := e.EncodeToken(start); err != nil {
		return err
	}
	for _, f := range [][2]string{{quotaName(x.kind) + "Name", x.entity}, {"PolicyName", x.name}, {"PolicyDocument", x.doc}} {
		if err := e.EncodeElement(f[1], xml.StartElement{Name: xml.Name{Local: f[0]}}); err != nil {
			return err
		}
	}
	return e.EncodeToken(start.End())
}

// listInlinePolicies is List{User,Group,Role}Policies.
func (s *Service) listInlinePolicies(kind Kind) action {
	return func(ctx context.Context, p params) (any, error) {
		entity, err := entityParam(p, kind)
		if err != nil {
			return nil, err
		}
		names, err := s.backend.ListInlinePolicies(ctx, kind, entity)
		if err != nil {
			return nil, err
		}
		pg, truncated, marker, err := page(p, names)
		if err != nil {
			return nil, err
		}
		return struct {
			PolicyNames []string `xml:"PolicyNames>member"`
			IsTruncated bool     `xml:"IsTruncated"`
			Marker      string   `xml:"Marker,omitempty"`
		}{append([]string{}, pg...), truncated, marker}, nil
	}
}

// deleteInlinePolicy is Delete{User,Group,Role}Policy.
func (s *Service) deleteInlinePolicy(kind Kind) action {
	return func(ctx context.Context, p params) (any, error) {
		entity, err := entityParam(p, kind)
		if err != nil {
			return nil, err
		}
		name, err := requiredName(p, "PolicyName", "policyName", 128)
		if err != nil {
			return nil, err
		}
		return nil, s.backend.DeleteInlinePolicy(ctx, kind, entity, name)
	}
}
