package iam

import (
	"context"
	"strings"
)

// userForKeys resolves the UserName of the access key operations. Root
// keys are Options, not stored entities.
// Divergence: AWS lets the root user manage its own access keys.
func (s *Service) userForKeys(ctx context.Context, p params) (string, error) {
	name, ok, err := s.currentUser(ctx, p)
	if err != nil {
		return "", err
	}
	if !ok {
		return "", invalidInput("Root access keys are set through the simulator's options; pass UserName to manage a user's keys.")
	}
	return name, nil
}

// accessKeyIDParam reads a required AccessKeyId (accessKeyIdType: 16–128
// of [\w]).
func accessKeyIDParam(p params) (string, error) {
	if !p.has("AccessKeyId") {
		return "", missingParameter("accessKeyId")
	}
	id := p.get("AccessKeyId")
	if len(id) < 16 || len(id) > 128 || strings.IndexFunc(id, func(r rune) bool {
		return !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9')
	}) >= 0 {
		return "", validationError("accessKeyId", id, `Member must have length greater than or equal to 16 and satisfy regular expression pattern: [\w]+`)
	}
	return id, nil
}

// CreateAccessKey is IAM CreateAccessKey. The secret is returned only
// here; AWS never shows it again.
func (s *Service) CreateAccessKey(ctx context.Context, p params) (any, error) {
	user, err := s.userForKeys(ctx, p)
	if err != nil {
		return nil, err
	}
	k, err := s.backend.CreateAccessKey(ctx, AccessKey{
		ID: s.keyID("AKIA"), Secret: s.opts.NewSecret(), UserName: user,
		Status: StatusActive, CreatedAt: s.opts.Now(),
	})
	if err != nil {
		return nil, err
	}
	type keyXML struct {
		UserName        string `xml:"UserName"`
		AccessKeyID     string `xml:"AccessKeyId"`
		Status          string `xml:"Status"`
		SecretAccessKey string `xml:"SecretAccessKey"`
		CreateDate      string `xml:"CreateDate"`
	}
	return struct {
		AccessKey keyXML `xml:"AccessKey"`
	}{keyXML{k.UserName, k.ID, k.Status, k.Secret, isoTime(k.CreatedAt)}}, nil
}

// ListAccessKeys is IAM ListAccessKeys: metadata only, never secrets.
func (s *Service) ListAccessKeys(ctx context.Context, p params) (any, error) {
	user, err := s.userForKeys(ctx, p)
	if err != nil {
		return nil, err
	}
	keys, err := s.backend.ListAccessKeys(ctx, user)
	if err != nil {
		return nil, err
	}
	pg, truncated, marker, err := page(p, keys)
	if err != nil {
		return nil, err
	}
	type metaXML struct {
		UserName    string `xml:"UserName"`
		AccessKeyID string `xml:"AccessKeyId"`
		Status      string `xml:"Status"`
		CreateDate  string `xml:"CreateDate"`
	}
	out := struct {
		AccessKeyMetadata []metaXML `xml:"AccessKeyMetadata>member"`
		IsTruncated       bool      `xml:"IsTruncated"`
		Marker            string    `xml:"Marker,omitempty"`
	}{AccessKeyMetadata: []metaXML{}, IsTruncated: truncated, Marker: marker}
	for _, k := range pg {
		out.AccessKeyMetadata = append(out.AccessKeyMetadata, metaXML{k.UserName, k.ID, k.Status, isoTime(k.CreatedAt)})
	}
	return out, nil
}

// UpdateAccessKey is IAM UpdateAccessKey: Active or Inactive.
func (s *Service) UpdateAccessKey(ctx context.Context, p params) (any, error) {
	user, err := s.userForKeys(ctx, p)
	if err != nil {
		return nil, err
	}
	id, err := accessKeyIDParam(p)
	if err != nil {
		return nil, err
	}
	if !p.has("Status") {
		return nil, missingParameter("status")
	}
	status, err := enumParam(p, "Status", "status", "", StatusActive, StatusInactive)
	if err != nil {
		return nil, err
	}
	return nil, s.backend.UpdateAccessKey(ctx, user, id, status)
}

// DeleteAccessKey is IAM DeleteAccessKey.
func (s *Service) DeleteAccessKey(ctx context.Context, p params) (any, error) {
	user, err := s.userForKeys(ctx, p)
	if err != nil {
		return nil, err
	}
	id, err := accessKeyIDParam(p)
	if err != nil {
		return nil, err
	}
	return nil, s.backend.DeleteAccessKey(ctx, user, id)
}

// GetAccessKeyLastUsed is IAM GetAccessKeyLastUsed.
// Divergence: use is not recorded, so every key reports what AWS reports
// for a key never used: ServiceName and Region "N/A", no LastUsedDate.
func (s *Service) GetAccessKeyLastUsed(ctx context.Context, p params) (any, error) {
	id, err := accessKeyIDParam(p)
	if err != nil {
		return nil, err
	}
	k, err := s.backend.GetAccessKey(ctx, id)
	if err != nil {
		// The model lists no errors for this operation; AWS answers an
		// unknown key with AccessDenied.
		return nil, accessDenied("User: %s is not authorized to perform: iam:GetAccessKeyLastUsed on resource: access key %s", s.caller(ctx).ARN, id)
	}
	type lastUsedXML struct {
		ServiceName string `xml:"ServiceName"`
		Region      string `xml:"Region"`
	}
	return struct {
		UserName          string      `xml:"UserName"`
		AccessKeyLastUsed lastUsedXML `xml:"AccessKeyLastUsed"`
	}{k.UserName, lastUsedXML{"N/A", "N/A"}}, nil
}
