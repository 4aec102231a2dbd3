package iam

import "context"

type userXML struct {
	Path                string       `xml:"Path,omitempty"`
	UserName            string       `xml:"UserName,omitempty"`
	UserID              string       `xml:"UserId"`
	Arn                 string       `xml:"Arn"`
	CreateDate          string       `xml:"CreateDate"`
	PermissionsBoundary *boundaryXML `xml:"PermissionsBoundary,omitempty"`
	Tags                []tagXML     `xml:"Tags>member,omitempty"`
}

func userToXML(u User, withTags bool) userXML {
	x := userXML{Path: u.Path, UserName: u.Name, UserID: u.ID, Arn: u.ARN, CreateDate: isoTime(u.CreatedAt)}
	if u.PermissionsBoundary != "" {
		x.PermissionsBoundary = &boundaryXML{"PermissionsBoundaryPolicy", u.PermissionsBoundary}
	}
	if withTags {
		for _, t := range u.Tags {
			x.Tags = append(x.Tags, tagXML(t))
		}
	}
	return x
}

type userResult struct {
	User userXML `xml:"User"`
}

// CreateUser is IAM CreateUser.
func (s *Service) CreateUser(ctx context.Context, p params) (any, error) {
	name, err := requiredName(p, "UserName", "userName", 64)
	if err != nil {
		return nil, err
	}
	path, err := pathOrRoot(p)
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
	u, err := s.backend.CreateUser(ctx, User{
		Path: path, Name: name, ID: "AIDA" + s.opts.NewID(),
		// AWS: IAM identifiers — arn:aws:iam::ACCOUNT:user/PATH/NAME.
		ARN:       "arn:aws:iam::" + s.account(ctx) + ":user" + path + name,
		CreatedAt: s.opts.Now(), PermissionsBoundary: boundary, Tags: tags,
	})
	if err != nil {
		return nil, err
	}
	return userResult{userToXML(u, true)}, nil
}

// GetUser is IAM GetUser. Without UserName it describes the caller; the
// root user has no name or path.
func (s *Service) GetUser(ctx context.Context, p params) (any, error) {
	name, ok, err := s.currentUser(ctx, p)
	if err != nil {
		return nil, err
	}
	if !ok {
		id := s.caller(ctx)
		return userResult{userXML{UserID: id.UserID, Arn: id.ARN, CreateDate: isoTime(s.createdAt)}}, nil
	}
	u, err := s.backend.GetUser(ctx, name)
	if err != nil {
		return nil, err
	}
	return userResult{userToXML(u, true)}, nil
}

// ListUsers is IAM ListUsers. Tags and boundaries are not listed, as in
// AWS.
func (s *Service) ListUsers(ctx context.Context, p params) (any, error) {
	prefix, err := prefixOrRoot(p)
	if err != nil {
		return nil, err
	}
	users, err := s.backend.ListUsers(ctx, prefix)
	if err != nil {
		return nil, err
	}
	pg, truncated, marker, err := page(p, users)
	if err != nil {
		return nil, err
	}
	out := struct {
		Users       []userXML `xml:"Users>member"`
		IsTruncated bool      `xml:"IsTruncated"`
		Marker      string    `xml:"Marker,omitempty"`
	}{Users: []userXML{}, IsTruncated: truncated, Marker: marker}
	for _, u := range pg {
		x := userToXML(u, false)
		x.PermissionsBoundary = nil
		out.Users = append(out.Users, x)
	}
	return out, nil
}

// DeleteUser is IAM DeleteUser.
func (s *Service) DeleteUser(ctx context.Context, p params) (any, error) {
	name, err := requiredName(p, "UserName", "userName", 128)
	if err != nil {
		return nil, err
	}
	return nil, s.backend.DeleteUser(ctx, name)
}

// TagUser is IAM TagUser.
func (s *Service) TagUser(ctx context.Context, p params) (any, error) {
	name, err := requiredName(p, "UserName", "userName", 128)
	if err != nil {
		return nil, err
	}
	add, err := requiredTags(p)
	if err != nil {
		return nil, err
	}
	_, err = s.backend.UpdateUser(ctx, name, func(u *User) (err error) {
		u.Tags, err = mergeTags(u.Tags, add)
		return err
	})
	return nil, err
}

// UntagUser is IAM UntagUser.
func (s *Service) UntagUser(ctx context.Context, p params) (any, error) {
	name, err := requiredName(p, "UserName", "userName", 128)
	if err != nil {
		return nil, err
	}
	keys, err := requiredTagKeys(p)
	if err != nil {
		return nil, err
	}
	_, err = s.backend.UpdateUser(ctx, name, func(u *User) error {
		u.Tags = removeTags(u.Tags, keys)
		return nil
	})
	return nil, err
}

// ListUserTags is IAM ListUserTags.
func (s *Service) ListUserTags(ctx context.Context, p params) (any, error) {
	name, err := requiredName(p, "UserName", "userName", 128)
	if err != nil {
		return nil, err
	}
	u, err := s.backend.GetUser(ctx, name)
	if err != nil {
		return nil, err
	}
	return tagsResult(p, u.Tags)
}

// PutUserPermissionsBoundary is IAM PutUserPermissionsBoundary.
func (s *Service) PutUserPermissionsBoundary(ctx context.Context, p params) (any, error) {
	return s.putBoundary(ctx, p, KindUser, "UserName", "userName", 128)
}

// DeleteUserPermissionsBoundary is IAM DeleteUserPermissionsBoundary.
func (s *Service) DeleteUserPermissionsBoundary(ctx context.Context, p params) (any, error) {
	return s.deleteBoundary(ctx, p, KindUser, "UserName", "userName", 128)
}
