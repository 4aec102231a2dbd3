package iam

import (
	"context"
	"strings"

	"github.com/tgsim/tgsim/fakes/awsproto"
	"github.com/tgsim/tgsim/fakes/policy"
	"github.com/tgsim/tgsim/fakes/sigv4"
)

// This file is the in-process API the edge uses: which secret verifies a
// signature, who the signer is, and which policies apply to them.

// Authenticate resolves an access key id to its secret and the identity it
// proves: the root key of Options, a user's access key (AKIA...), or STS
// temporary credentials (ASIA..., with SessionToken and Expires set).
// ok is false for unknown keys, Inactive keys, and temporary credentials
// whose role or user has since been deleted. Expired temporary credentials
// are still found, so the verifier can answer ExpiredToken rather than
// InvalidClientTokenId. Safe for concurrent use.
func (s *Service) Authenticate(accessKeyID string) (key sigv4.Key, caller awsproto.Caller, ok bool) {
	ctx := context.Background()
	if accessKeyID == "" {
		return sigv4.Key{}, awsproto.Caller{}, false
	}
	if accessKeyID == s.opts.RootAccessKeyID {
		return sigv4.Key{SecretAccessKey: s.opts.RootSecretAccessKey}, s.rootCaller(s.opts.AccountID, accessKeyID), true
	}
	if k, err := s.backend.GetAccessKey(ctx, accessKeyID); err == nil {
		if k.Status != StatusActive {
			return sigv4.Key{}, awsproto.Caller{}, false
		}
		u, err := s.backend.GetUser(ctx, k.UserName)
		if err != nil {
			return sigv4.Key{}, awsproto.Caller{}, false
		}
		return sigv4.Key{SecretAccessKey: k.Secret}, userCaller(u, accessKeyID, ""), true
	}
	sess, err := s.backend.GetSession(ctx, accessKeyID)
	if err != nil {
		return sigv4.Key{}, awsproto.Caller{}, false
	}
	key = sigv4.Key{SecretAccessKey: sess.SecretAccessKey, SessionToken: sess.SessionToken, Expires: sess.Expires}
	switch {
	case sess.RoleName != "":
		r, err := s.backend.GetRole(ctx, sess.RoleName)
		if err != nil || r.ARN != sess.RoleARN {
			return sigv4.Key{}, awsproto.Caller{}, false
		}
		return key, sessionCaller(r, sess), true
	case sess.UserName != "":
		u, err := s.backend.GetUser(ctx, sess.UserName)
		if err != nil {
			return sigv4.Key{}, awsproto.Caller{}, false
		}
		return key, userCaller(u, accessKeyID, sess.SessionToken), true
	default: // the root user's GetSessionToken
		c := s.rootCaller(s.opts.AccountID, accessKeyID)
		c.SessionToken = sess.SessionToken
		return key, c, true
	}
}

func arnAccount(arn string) string {
	a, err := awsproto.ParseARN(arn)
	if err != nil {
		return ""
	}
	return a.Account
}

func tagMap(tags ...[]Tag) map[string]string {
	var m map[string]string
	for _, list := range tags {
		for _, t := range list {
			if m == nil {
				m = map[string]string{}
			}
			m[t.Key] = t.Value
		}
	}
	return m
}

func userCaller(u User, keyID, token string) awsproto.Caller {
	return awsproto.Caller{
		Type: callerUser, ARN: u.ARN, UserID: u.ID, Account: arnAccount(u.ARN), Name: u.Name,
		AccessKeyID: keyID, SessionToken: token, Tags: tagMap(u.Tags),
	}
}

// sessionCaller is an assumed-role session. AWS: IAM identifiers —
// arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION (no role path), and
// aws:userid is ROLEID:SESSION. Session tags override the role's.
func sessionCaller(r Role, sess Session) awsproto.Caller {
	account := arnAccount(r.ARN)
	return awsproto.Caller{
		Type: callerAssumedRole, ARN: "arn:aws:sts::" + account + ":assumed-role/" + r.Name + "/" + sess.SessionName,
		UserID: r.ID + ":" + sess.SessionName, Account: account, Name: r.Name, RoleARN: r.ARN, SessionName: sess.SessionName,
		AccessKeyID: sess.AccessKeyID, SessionToken: sess.SessionToken, Tags: tagMap(r.Tags, sess.Tags),
	}
}

// grantID is the name a policy is reported under: a managed policy's ARN,
// or KIND/ENTITY/inline/NAME for an inline policy.
func grantID(g GrantSource) string {
	if g.ARN != "" {
		return g.ARN
	}
	return string(g.Kind) + "/" + g.Entity + "/inline/" + g.Name
}

func toSet(g Grants) policy.Set {
	var set policy.Set
	for _, src := range g.Policies {
		set.Identity = append(set.Identity, policy.NamedPolicy{ID: grantID(src), Policy: src.Parsed})
	}
	if g.Boundary != nil {
		set.Boundary = &policy.NamedPolicy{ID: g.Boundary.ARN, Policy: g.Boundary.Parsed}
	}
	return set
}

// Policies returns every policy that applies to the caller's requests:
// identity policies (a user's inline and attached policies, then each of
// its groups'; a session's role's inline and attached policies), the
// permissions boundary, and session policies. Resource is left empty for
// the edge to fill in. The root user gets an empty Set: the edge allows
// root everything. NoSuchEntity if the user or role no longer exists.
// Safe for concurrent use.
func (s *Service) Policies(caller awsproto.Caller) (policy.Set, error) {
	ctx := context.Background()
	switch caller.Type {
	case callerUser:
		g, err := s.backend.Grants(ctx, KindUser, caller.Name)
		if err != nil {
			return policy.Set{}, err
		}
		return toSet(g), nil
	case callerAssumedRole:
		name := caller.Name
		if name == "" {
			name = caller.RoleARN[strings.LastIndexByte(caller.RoleARN, '/')+1:]
		}
		g, err := s.backend.Grants(ctx, KindRole, name)
		if err != nil {
			return policy.Set{}, err
		}
		set := toSet(g)
		if caller.AccessKeyID != "" {
			sess, err := s.backend.GetSession(ctx, caller.AccessKeyID)
			if err != nil {
				return policy.Set{}, err
			}
			set.SessionPolicies = sess.Policies
		}
		return set, nil
	}
	return policy.Set{}, nil
}

// RoleByARN returns the role an ARN names, with its parsed trust policy
// (Role.Trust), for iam:PassRole checks and AssumeRole. The role name part
// is matched regardless of case, as IAM treats role names.
func (s *Service) RoleByARN(arn string) (Role, bool) {
	a, err := awsproto.ParseARN(arn)
	if err != nil || a.Service != "iam" || !strings.HasPrefix(a.Resource, "role/") {
		return Role{}, false
	}
	r, err := s.backend.GetRole(context.Background(), a.Resource[strings.LastIndexByte(a.Resource, '/')+1:])
	if err != nil || !strings.EqualFold(r.ARN, arn) {
		return Role{}, false
	}
	return r, true
}
