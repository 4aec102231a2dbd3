package iam

import (
	"context"

	"github.com/tgsim/tgsim/fakes/awsproto"
)

// Identity is the principal that made a request.
type Identity struct {
	Account string
	ARN     string
	UserID  string
	Root    bool
}

// caller returns who made the request. Divergence: every request is the
// account's root user until SigV4 verification maps access keys to users
// and roles; this is where it will plug in.
func (s *Service) caller(ctx context.Context) Identity {
	account := s.opts.AccountID
	if info, ok := awsproto.RequestInfoFrom(ctx); ok && info.AccountID != "" {
		account = info.AccountID
	}
	// AWS: GetCallerIdentity for root credentials — UserId is the account
	// id and Arn is arn:aws:iam::ACCOUNT:root.
	return Identity{Account: account, ARN: "arn:aws:iam::" + account + ":root", UserID: account, Root: true}
}
