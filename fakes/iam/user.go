package iam

import "context"

type userXML struct {
	Path       string `xml:"Path,omitempty"`
	UserName   string `xml:"UserName,omitempty"`
	UserID     string `xml:"UserId"`
	Arn        string `xml:"Arn"`
	CreateDate string `xml:"CreateDate"`
}

// GetUser is IAM GetUser. Without UserName it describes the caller; the
// root user has no name or path.
func (s *Service) GetUser(ctx context.Context, p params) (any, error) {
	if name := p.get("UserName"); name != "" {
		if err := validateName("userName", name, 128); err != nil {
			return nil, err
		}
		// Divergence: IAM users are not modelled yet.
		return nil, noSuchUser(name)
	}
	id := s.caller(ctx)
	return struct {
		User userXML `xml:"User"`
	}{userXML{UserID: id.UserID, Arn: id.ARN, CreateDate: isoTime(s.createdAt)}}, nil
}
