package iam

import "context"

type groupXML struct {
	Path       string `xml:"Path"`
	GroupName  string `xml:"GroupName"`
	GroupID    string `xml:"GroupId"`
	Arn        string `xml:"Arn"`
	CreateDate string `xml:"CreateDate"`
}

func groupToXML(g Group) groupXML {
	return groupXML{Path: g.Path, GroupName: g.Name, GroupID: g.ID, Arn: g.ARN, CreateDate: isoTime(g.CreatedAt)}
}

type groupsXML struct {
	Groups      []groupXML `xml:"Groups>member"`
	IsTruncated bool       `xml:"IsTruncated"`
	Marker      string     `xml:"Marker,omitempty"`
}

func groupsResult(p params, groups []Group) (any, error) {
	pg, truncated, marker, err := page(p, groups)
	if err != nil {
		return nil, err
	}
	out := groupsXML{Groups: []groupXML{}, IsTruncated: truncated, Marker: marker}
	for _, g := range pg {
		out.Groups = append(out.Groups, groupToXML(g))
	}
	return out, nil
}

// CreateGroup is IAM CreateGroup.
func (s *Service) CreateGroup(ctx context.Context, p params) (any, error) {
	name, err := requiredName(p, "GroupName", "groupName", 128)
	if err != nil {
		return nil, err
	}
	path, err := pathOrRoot(p)
	if err != nil {
		return nil, err
	}
	g, err := s.backend.CreateGroup(ctx, Group{
		Path: path, Name: name, ID: "AGPA" + s.opts.NewID(),
		ARN:       "arn:aws:iam::" + s.account(ctx) + ":group" + path + name,
		CreatedAt: s.opts.Now(),
	})
	if err != nil {
		return nil, err
	}
	return struct {
		Group groupXML `xml:"Group"`
	}{groupToXML(g)}, nil
}

// GetGroup is IAM GetGroup: the group and its users, paginated.
func (s *Service) GetGroup(ctx context.Context, p params) (any, error) {
	name, err := requiredName(p, "GroupName", "groupName", 128)
	if err != nil {
		return nil, err
	}
	g, users, err := s.backend.GetGroup(ctx, name)
	if err != nil {
		return nil, err
	}
	pg, truncated, marker, err := page(p, users)
	if err != nil {
		return nil, err
	}
	out := struct {
		Group       groupXML  `xml:"Group"`
		Users       []userXML `xml:"Users>member"`
		IsTruncated bool      `xml:"IsTruncated"`
		Marker      string    `xml:"Marker,omitempty"`
	}{Group: groupToXML(g), Users: []userXML{}, IsTruncated: truncated, Marker: marker}
	for _, u := range pg {
		out.Users = append(out.Users, userToXML(u, false))
	}
	return out, nil
}

// ListGroups is IAM ListGroups.
func (s *Service) ListGroups(ctx context.Context, p params) (any, error) {
	prefix, err := prefixOrRoot(p)
	if err != nil {
		return nil, err
	}
	groups, err := s.backend.ListGroups(ctx, prefix)
	if err != nil {
		return nil, err
	}
	return groupsResult(p, groups)
}

// DeleteGroup is IAM DeleteGroup.
func (s *Service) DeleteGroup(ctx context.Context, p params) (any, error) {
	name, err := requiredName(p, "GroupName", "groupName", 128)
	if err != nil {
		return nil, err
	}
	return nil, s.backend.DeleteGroup(ctx, name)
}

func groupAndUser(p params) (group, user string, err error) {
	if group, err = requiredName(p, "GroupName", "groupName", 128); err != nil {
		return "", "", err
	}
	user, err = requiredName(p, "UserName", "userName", 128)
	return group, user, err
}

// AddUserToGroup is IAM AddUserToGroup.
func (s *Service) AddUserToGroup(ctx context.Context, p params) (any, error) {
	group, user, err := groupAndUser(p)
	if err != nil {
		return nil, err
	}
	return nil, s.backend.AddUserToGroup(ctx, group, user)
}

// RemoveUserFromGroup is IAM RemoveUserFromGroup.
func (s *Service) RemoveUserFromGroup(ctx context.Context, p params) (any, error) {
	group, user, err := groupAndUser(p)
	if err != nil {
		return nil, err
	}
	return nil, s.backend.RemoveUserFromGroup(ctx, group, user)
}

// ListGroupsForUser is IAM ListGroupsForUser.
func (s *Service) ListGroupsForUser(ctx context.Context, p params) (any, error) {
	name, err := requiredName(p, "UserName", "userName", 128)
	if err != nil {
		return nil, err
	}
	groups, err := s.backend.ListGroupsForUser(ctx, name)
	if err != nil {
		return nil, err
	}
	return groupsResult(p, groups)
}
