package iam

import (
	"context"

	"github.com/tgsim/tgsim/fakes/awsproto"
)

// Caller types, as awsproto.Caller spells them.
const (
	callerRoot        = "Root"
	callerUser        = "User"
	callerAssumedRole = "AssumedRole"
)

// account is the account a request acts in: the verified caller's, else
// the edge's, else Options.AccountID.
func (s *Service) account(ctx context.Context) string {
	if info, ok := awsproto.RequestInfoFrom(ctx); ok {
		if info.Caller.Account != "" {
			return info.Caller.Account
		}
		if info.AccountID != "" {
			return info.AccountID
		}
	}
	return s.opts.AccountID
}

// caller returns who made the request: the identity the edge verified
// (RequestInfo.Caller), or the account's root user when there is none
// (a test server without the edge).
func (s *Service) caller(ctx context.Context) awsproto.Caller {
	if info, ok := awsproto.RequestInfoFrom(ctx); ok && !info.Caller.Anonymous() {
		return info.Caller
	}
	return s.rootCaller(s.account(ctx), "")
}

// rootCaller is the account's root user. AWS: GetCallerIdentity for root
// credentials — UserId is the account id and Arn is arn:aws:iam::ACCOUNT:root.
func (s *Service) rootCaller(account, keyID string) awsproto.Caller {
	return awsproto.Caller{Type: callerRoot, ARN: "arn:aws:iam::" + account + ":root", UserID: account, Account: account, AccessKeyID: keyID}
}

// currentUser resolves an optional UserName parameter the way IAM does for
// GetUser and the access key operations: absent means the calling user.
// ok=false with a nil error means the caller is root.
// AWS: "Must specify userName when calling with non-User credentials".
func (s *Service) currentUser(ctx context.Context, p params) (name string, ok bool, err error) {
	if p.has("UserName") {
		name = p.get("UserName")
		return name, true, validateName("userName", name, 128)
	}
	switch c := s.caller(ctx); c.Type {
	case callerUser:
		return c.Name, true, nil
	case callerRoot, "":
		return "", false, nil
	default:
		return "", false, validationErrorMsg("Must specify userName when calling with non-User credentials")
	}
}
