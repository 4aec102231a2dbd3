package iam

import (
	"context"
	"time"

	"github.com/tgsim/tgsim/fakes/policy"
)

// ServiceCredentials are temporary credentials of a role session an AWS
// service opened for itself.
type ServiceCredentials struct {
	AccessKeyID, SecretAccessKey, SessionToken string
	Expires                                    time.Time
	// ARN is the session's identity, arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION.
	ARN string
}

// AssumeRoleForService opens a role session the way an AWS service does
// with a role a customer handed it (Things Graph's flowActionsRoleArn, an
// IoT rule's roleArn): the role's trust policy alone decides, and it must
// allow sts:AssumeRole to the service principal (a statement with
// "Principal": {"Service": service}). No identity policy is involved, as
// a service principal has none. AWS: IAM user guide, "Creating a role to
// delegate permissions to an AWS service" and "AWS service principals".
//
// A role that does not exist or does not trust the service is
// AccessDenied, worded as STS words a refused AssumeRole; the session
// lasts one hour (the role's default). The session is an ordinary STS
// session: SigV4 requests signed with it are evaluated against the role's
// policies by the edge.
func (s *Service) AssumeRoleForService(ctx context.Context, roleARN, service, sessionName string) (ServiceCredentials, error) {
	if err := validateSessionName(sessionName); err != nil {
		return ServiceCredentials{}, err
	}
	deny := func() (ServiceCredentials, error) {
		return ServiceCredentials{}, accessDenied("User: %s is not authorized to perform: sts:AssumeRole on resource: %s", service, roleARN)
	}
	role, ok := s.RoleByARN(roleARN)
	if !ok {
		return deny()
	}
	reqCtx := policy.Context{}
	reqCtx.Set("sts:RoleSessionName", sessionName)
	reqCtx.Set("aws:PrincipalServiceName", service)
	req := &policy.Request{Action: "sts:AssumeRole", Resource: role.ARN, Context: reqCtx,
		Principal: &policy.Principal{Type: "Service", ID: service}}
	trust := policy.Evaluate(policy.Set{Resource: []policy.NamedPolicy{{ID: "role trust policy", Policy: role.Trust}}}, req, policy.Options{})
	if trust.Decision != policy.Allowed {
		return deny()
	}
	duration := min(time.Duration(defaultRoleSessionSecs)*time.Second, time.Duration(role.MaxSessionDuration)*time.Second)
	sess := Session{
		AccessKeyID: s.keyID("ASIA"), SecretAccessKey: s.opts.NewSecret(), SessionToken: sessionToken(),
		Expires:  s.opts.Now().Add(duration).UTC().Truncate(time.Second),
		RoleName: role.Name, RoleARN: role.ARN, RoleID: role.ID, SessionName: sessionName,
	}
	if err := s.backend.CreateSession(ctx, sess); err != nil {
		return ServiceCredentials{}, err
	}
	return ServiceCredentials{
		AccessKeyID: sess.AccessKeyID, SecretAccessKey: sess.SecretAccessKey, SessionToken: sess.SessionToken,
		Expires: sess.Expires, ARN: sessionCaller(role, sess).ARN,
	}, nil
}
