package iam

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"strconv"
	"strings"
	"time"

	"github.com/tgsim/tgsim/fakes/awsproto"
	"github.com/tgsim/tgsim/fakes/policy"
)

type callerIdentityResult struct {
	UserID  string `xml:"UserId"`
	Account string `xml:"Account"`
	Arn     string `xml:"Arn"`
}

// GetCallerIdentity is STS GetCallerIdentity: the verified caller (root,
// user or assumed-role session).
func (s *Service) GetCallerIdentity(ctx context.Context, _ params) (any, error) {
	id := s.caller(ctx)
	return callerIdentityResult{UserID: id.UserID, Account: id.Account, Arn: id.ARN}, nil
}

type credentialsXML struct {
	AccessKeyID     string `xml:"AccessKeyId"`
	SecretAccessKey string `xml:"SecretAccessKey"`
	SessionToken    string `xml:"SessionToken"`
	Expiration      string `xml:"Expiration"`
}

type assumedRoleUserXML struct {
	AssumedRoleID string `xml:"AssumedRoleId"`
	Arn           string `xml:"Arn"`
}

// sessionToken returns an opaque token, as long as AWS's (several hundred
// characters of base64).
func sessionToken() string {
	var b [300]byte
	_, _ = rand.Read(b[:])
	return base64.StdEncoding.EncodeToString(b[:])
}

// validateSessionName checks roleSessionNameType: 2–64 of [\w+=,.@-].
func validateSessionName(v string) error {
	if len(v) < 2 || len(v) > 64 {
		return validationError("roleSessionName", v, "Member must have length greater than or equal to 2 and less than or equal to 64")
	}
	if strings.IndexFunc(v, func(r rune) bool { return !isNameChar(r) }) >= 0 {
		return validationError("roleSessionName", v, `Member must satisfy regular expression pattern: [\w+=,.@-]*`)
	}
	return nil
}

// requestContext holds the global condition keys STS and IAM set for a
// request by caller. AWS: "AWS global condition context keys".
func (s *Service) requestContext(c awsproto.Caller) policy.Context {
	ctx := policy.Context{}
	now := s.opts.Now().UTC()
	ctx.Set("aws:CurrentTime", now.Format(time.RFC3339))
	ctx.Set("aws:EpochTime", strconv.FormatInt(now.Unix(), 10))
	ctx.Set("aws:SecureTransport", "true")
	ctx.Set("aws:PrincipalAccount", c.Account)
	ctx.Set("aws:userid", c.UserID)
	switch c.Type {
	case callerUser:
		ctx.Set("aws:PrincipalArn", c.ARN)
		ctx.Set("aws:PrincipalType", "User")
		ctx.Set("aws:username", c.Name)
	case callerAssumedRole:
		// aws:PrincipalArn of a role session is the role's ARN.
		ctx.Set("aws:PrincipalArn", c.RoleARN)
		ctx.Set("aws:PrincipalType", "AssumedRole")
	default:
		ctx.Set("aws:PrincipalArn", c.ARN)
		ctx.Set("aws:PrincipalType", "Account")
	}
	for k, v := range c.Tags {
		ctx.Set("aws:PrincipalTag/"+k, v)
	}
	if c.SessionToken != "" {
		ctx.Set("aws:TokenIssueTime", now.Format(time.RFC3339))
	}
	return ctx
}

func notAuthorized(c awsproto.Caller, action, resource string) error {
	// AWS: the AccessDenied message form of STS and IAM.
	return accessDenied("User: %s is not authorized to perform: %s on resource: %s", c.ARN, action, resource)
}

// mayAssume decides whether caller may assume role, by the rules for a
// request within one account. AWS: IAM user guide, "Policy evaluation for
// requests within a single account": an explicit deny in any policy
// denies; otherwise one Allow in an identity-based or a resource-based
// policy suffices — but role trust policies are the exception and must
// allow the principal themselves. AWS: "How IAM roles differ from
// resource-based policies" / "Principal" — a trust policy that names the
// user or role session (or its role) grants by itself, while one that
// names only the account ("AWS": "ACCOUNT" or arn:aws:iam::ACCOUNT:root)
// delegates to the account's identity policies, which must then allow
// sts:AssumeRole on the role too.
func (s *Service) mayAssume(caller awsproto.Caller, role Role, reqCtx policy.Context) (bool, error) {
	req := &policy.Request{Action: "sts:AssumeRole", Resource: role.ARN, Context: reqCtx,
		Principal: &policy.Principal{Type: "AWS", ID: caller.ARN, Account: caller.Account}}
	trust := policy.Evaluate(policy.Set{Resource: []policy.NamedPolicy{{ID: "role trust policy", Policy: role.Trust}}}, req, policy.Options{})
	if trust.Decision != policy.Allowed {
		return false, nil
	}
	// Does an allowing statement name this principal (its ARN, its role's
	// ARN, or everyone), rather than only its account?
	named := false
	for _, m := range trust.Matched {
		for _, id := range role.Trust.Statements[m.Statement].Principal["AWS"] {
			if id == "*" || id == caller.ARN || caller.RoleARN != "" && id == caller.RoleARN {
				named = true
			}
		}
	}
	set, err := s.Policies(caller)
	if err != nil {
		return false, err
	}
	identity := policy.Evaluate(set, req, policy.Options{})
	switch {
	case identity.Decision == policy.ExplicitDeny:
		return false, nil
	case named:
		return true, nil
	}
	return identity.Decision == policy.Allowed, nil
}

// AssumeRole is STS AssumeRole.
func (s *Service) AssumeRole(ctx context.Context, p params) (any, error) {
	roleARN, err := requiredARN(p, "RoleArn", "roleArn")
	if err != nil {
		return nil, err
	}
	if !p.has("RoleSessionName") {
		return nil, missingParameter("roleSessionName")
	}
	sessionName := p.get("RoleSessionName")
	if err := validateSessionName(sessionName); err != nil {
		return nil, err
	}
	duration, err := intParam(p, "DurationSeconds", "durationSeconds", defaultRoleSessionSecs, 900, 43200)
	if err != nil {
		return nil, err
	}
	var sessionPolicies []policy.NamedPolicy
	var sessionDocs []string
	packed := 0
	if p.has("Policy") {
		doc := p.get("Policy")
		parsed, err := parsePolicy("policy", doc, identityPolicy)
		if err != nil {
			return nil, err
		}
		sessionPolicies = append(sessionPolicies, policy.NamedPolicy{ID: "session policy", Policy: parsed})
		sessionDocs = append(sessionDocs, doc)
		packed += len(doc)
	}
	for i := 1; p.has("PolicyArns.member." + strconv.Itoa(i) + ".arn"); i++ {
		arn := p.get("PolicyArns.member." + strconv.Itoa(i) + ".arn")
		if err := validateARN(arn); err != nil {
			return nil, err
		}
		mp, err := s.backend.GetPolicy(ctx, arn)
		if err != nil {
			// Divergence: wording.
			return nil, malformedPolicy("Policy %s does not exist.", arn)
		}
		sessionPolicies = append(sessionPolicies, policy.NamedPolicy{ID: arn, Policy: mp.Default().Parsed})
		sessionDocs = append(sessionDocs, mp.Default().Document)
		packed += len(arn)
	}
	tags, err := tagsParam(p)
	if err != nil {
		return nil, err
	}

	caller := s.caller(ctx)
	if caller.Type == callerRoot {
		// AWS: AssumeRole — the root user cannot assume roles.
		return nil, accessDenied("Roles may not be assumed by root accounts.")
	}
	role, ok := s.RoleByARN(roleARN)
	if !ok {
		// AWS does not reveal whether the role exists.
		return nil, notAuthorized(caller, "sts:AssumeRole", roleARN)
	}
	if duration > role.MaxSessionDuration {
		return nil, validationErrorMsg("The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
	}
	if caller.Type == callerAssumedRole && duration > 3600 {
		// AWS: AssumeRole — role chaining limits a session to one hour.
		return nil, validationErrorMsg("The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.")
	}
	reqCtx := s.requestContext(caller)
	reqCtx.Set("sts:RoleSessionName", sessionName)
	if p.has("ExternalId") {
		reqCtx.Set("sts:ExternalId", p.get("ExternalId"))
	}
	for _, t := range tags {
		reqCtx.Set("aws:RequestTag/"+t.Key, t.Value)
	}
	allowed, err := s.mayAssume(caller, role, reqCtx)
	if err != nil {
		return nil, err
	}
	if !allowed {
		return nil, notAuthorized(caller, "sts:AssumeRole", role.ARN)
	}

	sess := Session{
		AccessKeyID: s.keyID("ASIA"), SecretAccessKey: s.opts.NewSecret(), SessionToken: sessionToken(),
		Expires:  s.opts.Now().Add(time.Duration(duration) * time.Second).UTC().Truncate(time.Second),
		RoleName: role.Name, RoleARN: role.ARN, RoleID: role.ID, SessionName: sessionName,
		Policies: sessionPolicies, PolicyDocuments: sessionDocs, Tags: tags,
	}
	if err := s.backend.CreateSession(ctx, sess); err != nil {
		return nil, err
	}
	sc := sessionCaller(role, sess)
	out := struct {
		Credentials      credentialsXML     `xml:"Credentials"`
		AssumedRoleUser  assumedRoleUserXML `xml:"AssumedRoleUser"`
		PackedPolicySize int                `xml:"PackedPolicySize,omitempty"`
	}{
		Credentials:     credentialsXML{sess.AccessKeyID, sess.SecretAccessKey, sess.SessionToken, isoTime(sess.Expires)},
		AssumedRoleUser: assumedRoleUserXML{sc.UserID, sc.ARN},
	}
	if packed > 0 || len(tags) > 0 {
		// Divergence: AWS compresses session policies and tags before
		// measuring; this is a rough percentage of the 2,048-byte limit.
		out.PackedPolicySize = max(1, (packed+len(tags)*32)*100/2048)
	}
	return out, nil
}

// GetSessionToken is STS GetSessionToken for users and the root user.
func (s *Service) GetSessionToken(ctx context.Context, p params) (any, error) {
	caller := s.caller(ctx)
	if caller.SessionToken != "" || caller.Type == callerAssumedRole {
		// AWS: GetSessionToken must be called with long-term credentials.
		return nil, accessDenied("Cannot call GetSessionToken with session credentials")
	}
	// AWS: DurationSeconds 900–129,600, default 43,200; root at most 3,600.
	def, hi := 43200, 129600
	if caller.Type == callerRoot {
		def, hi = 3600, 3600
	}
	if p.has("DurationSeconds") {
		if _, err := intParam(p, "DurationSeconds", "durationSeconds", 0, 900, 129600); err != nil {
			return nil, err
		}
	}
	duration, _ := intParam(p, "DurationSeconds", "durationSeconds", def, 900, 129600)
	duration = min(duration, hi)
	sess := Session{
		AccessKeyID: s.keyID("ASIA"), SecretAccessKey: s.opts.NewSecret(), SessionToken: sessionToken(),
		Expires: s.opts.Now().Add(time.Duration(duration) * time.Second).UTC().Truncate(time.Second),
	}
	if caller.Type == callerUser {
		sess.UserName = caller.Name
	}
	if err := s.backend.CreateSession(ctx, sess); err != nil {
		return nil, err
	}
	return struct {
		Credentials credentialsXML `xml:"Credentials"`
	}{credentialsXML{sess.AccessKeyID, sess.SecretAccessKey, sess.SessionToken, isoTime(sess.Expires)}}, nil
}
