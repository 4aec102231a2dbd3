package iam

import "context"

type callerIdentityResult struct {
	UserID  string `xml:"UserId"`
	Account string `xml:"Account"`
	Arn     string `xml:"Arn"`
}

// GetCallerIdentity is STS GetCallerIdentity.
func (s *Service) GetCallerIdentity(ctx context.Context, _ params) (any, error) {
	id := s.caller(ctx)
	return callerIdentityResult{UserID: id.UserID, Account: id.Account, Arn: id.ARN}, nil
}
