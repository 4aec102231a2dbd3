package iam_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	iamsdk "github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/google/go-cmp/cmp"

	"github.com/tgsim/tgsim/fakes/policy"
)

func trustFor(principal string) string {
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + principal + `"},"Action":"sts:AssumeRole"}]}`
}

// userWithKey creates a user with an access key through the root client.
func (e *env) userWithKey(t *testing.T, name string) (id, secret string) {
	t.Helper()
	ctx := context.Background()
	if _, err := e.iam.CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String(name), Tags: []iamtypes.Tag{{Key: aws.String("team"), Value: aws.String("tg")}}}); err != nil {
		t.Fatalf("CreateUser(%s): %v", name, err)
	}
	k, err := e.iam.CreateAccessKey(ctx, &iamsdk.CreateAccessKeyInput{UserName: aws.String(name)})
	if err != nil {
		t.Fatalf("CreateAccessKey(%s): %v", name, err)
	}
	return aws.ToString(k.AccessKey.AccessKeyId), aws.ToString(k.AccessKey.SecretAccessKey)
}

func (e *env) role(t *testing.T, name, trustDoc string) string {
	t.Helper()
	out, err := e.iam.CreateRole(context.Background(), &iamsdk.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(trustDoc)})
	if err != nil {
		t.Fatalf("CreateRole(%s): %v", name, err)
	}
	return aws.ToString(out.Role.Arn)
}

func policyIDs(set policy.Set) []string {
	var ids []string
	for _, np := range set.Identity {
		ids = append(ids, np.ID)
	}
	return ids
}

// TestUserFlow: a user's key authenticates to the user, its policies are
// what the edge evaluates, and the simulator agrees.
func TestUserFlow(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	id, secret := e.userWithKey(t, "bob")
	cp, err := e.iam.CreatePolicy(ctx, &iamsdk.CreatePolicyInput{PolicyName: aws.String("tg"), PolicyDocument: aws.String(allowTG)})
	if err != nil {
		t.Fatal(err)
	}
	policyARN := aws.ToString(cp.Policy.Arn)
	if _, err := e.iam.AttachUserPolicy(ctx, &iamsdk.AttachUserPolicyInput{UserName: aws.String("bob"), PolicyArn: aws.String(policyARN)}); err != nil {
		t.Fatal(err)
	}

	key, caller, ok := e.svc.Authenticate(id)
	if !ok || key.SecretAccessKey != secret || key.SessionToken != "" {
		t.Fatalf("Authenticate(%s) = %v, ok=%v", id, key, ok)
	}
	if caller.Type != "User" || caller.ARN != "arn:aws:iam::123456789012:user/bob" || caller.Name != "bob" ||
		!strings.HasPrefix(caller.UserID, "AIDA") || len(caller.UserID) != 21 || caller.Account != account ||
		caller.AccessKeyID != id || caller.Tags["team"] != "tg" {
		t.Errorf("Authenticate caller = %+v", caller)
	}
	set, err := e.svc.Policies(caller)
	if err != nil || !slices.Contains(policyIDs(set), policyARN) {
		t.Fatalf("Policies(bob) = %v, %v; want %s", policyIDs(set), err, policyARN)
	}
	if d := policy.Evaluate(set, &policy.Request{Action: "iotthingsgraph:CreateFlowTemplate", Resource: "*"}, policy.Options{}).Decision; d != policy.Allowed {
		t.Errorf("Evaluate(Policies(bob), CreateFlowTemplate) = %s, want allowed", d)
	}

	// The user's own clients: the caller is bob.
	bobIAM, bobSTS := e.clients(id, secret, "")
	who, err := bobSTS.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil || aws.ToString(who.Arn) != caller.ARN || aws.ToString(who.UserId) != caller.UserID {
		t.Errorf("GetCallerIdentity as bob = %+v, %v", who, err)
	}
	me, err := bobIAM.GetUser(ctx, &iamsdk.GetUserInput{})
	if err != nil || aws.ToString(me.User.UserName) != "bob" {
		t.Errorf("GetUser() as bob = %+v, %v", me, err)
	}
	keys, err := bobIAM.ListAccessKeys(ctx, &iamsdk.ListAccessKeysInput{})
	if err != nil || len(keys.AccessKeyMetadata) != 1 {
		t.Errorf("ListAccessKeys() as bob = %+v, %v", keys, err)
	}

	simulate := func(actions ...string) []iamtypes.EvaluationResult {
		t.Helper()
		out, err := e.iam.SimulatePrincipalPolicy(ctx, &iamsdk.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String(caller.ARN), ActionNames: actions})
		if err != nil {
			t.Fatalf("SimulatePrincipalPolicy: %v", err)
		}
		return out.EvaluationResults
	}
	res := simulate("iotthingsgraph:CreateFlowTemplate", "s3:GetObject")
	if res[0].EvalDecision != iamtypes.PolicyEvaluationDecisionTypeAllowed || res[1].EvalDecision != iamtypes.PolicyEvaluationDecisionTypeImplicitDeny {
		t.Errorf("decisions = %s, %s; want allowed, implicitDeny", res[0].EvalDecision, res[1].EvalDecision)
	}
	// The statement's braces are the 38th and 109th characters; IAM
	// reports one column past each (see statementSpans).
	if m := res[0].MatchedStatements; len(m) != 1 || aws.ToString(m[0].SourcePolicyId) != "tg" || m[0].SourcePolicyType != iamtypes.PolicySourceTypeUserManaged ||
		positionString(m[0].StartPosition) != "1:39" || positionString(m[0].EndPosition) != "1:110" {
		t.Errorf("MatchedStatements = %s %s %s-%s", aws.ToString(m[0].SourcePolicyId), m[0].SourcePolicyType, positionString(m[0].StartPosition), positionString(m[0].EndPosition))
	}

	// An explicit deny, inline, overrides the attached allow.
	deny := `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"iotthingsgraph:Delete*","Resource":"*"}]}`
	if _, err := e.iam.PutUserPolicy(ctx, &iamsdk.PutUserPolicyInput{UserName: aws.String("bob"), PolicyName: aws.String("nodelete"), PolicyDocument: aws.String(deny)}); err != nil {
		t.Fatal(err)
	}
	res = simulate("iotthingsgraph:DeleteFlowTemplate")
	if res[0].EvalDecision != iamtypes.PolicyEvaluationDecisionTypeExplicitDeny || aws.ToString(res[0].MatchedStatements[0].SourcePolicyId) != "nodelete" || res[0].MatchedStatements[0].SourcePolicyType != iamtypes.PolicySourceTypeUser {
		t.Errorf("DeleteFlowTemplate = %+v, want explicitDeny by nodelete", res[0])
	}

	// Group policies count for members.
	if _, err := e.iam.CreateGroup(ctx, &iamsdk.CreateGroupInput{GroupName: aws.String("readers")}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.iam.PutGroupPolicy(ctx, &iamsdk.PutGroupPolicyInput{GroupName: aws.String("readers"), PolicyName: aws.String("s3read"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`)}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.iam.AddUserToGroup(ctx, &iamsdk.AddUserToGroupInput{GroupName: aws.String("readers"), UserName: aws.String("bob")}); err != nil {
		t.Fatal(err)
	}
	if res = simulate("s3:GetObject"); res[0].EvalDecision != iamtypes.PolicyEvaluationDecisionTypeAllowed || res[0].MatchedStatements[0].SourcePolicyType != iamtypes.PolicySourceTypeGroup {
		t.Errorf("s3:GetObject via group = %+v", res[0])
	}
	set, _ = e.svc.Policies(caller)
	if !slices.Contains(policyIDs(set), "group/readers/inline/s3read") {
		t.Errorf("Policies(bob) = %v, want the group's inline policy", policyIDs(set))
	}

	// A permissions boundary limits what the policies grant.
	bp, err := e.iam.CreatePolicy(ctx, &iamsdk.CreatePolicyInput{PolicyName: aws.String("getonly"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iotthingsgraph:Get*","Resource":"*"}]}`)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.iam.PutUserPermissionsBoundary(ctx, &iamsdk.PutUserPermissionsBoundaryInput{UserName: aws.String("bob"), PermissionsBoundary: bp.Policy.Arn}); err != nil {
		t.Fatal(err)
	}
	set, _ = e.svc.Policies(caller)
	if set.Boundary == nil || set.Boundary.ID != aws.ToString(bp.Policy.Arn) {
		t.Errorf("Policies(bob).Boundary = %+v", set.Boundary)
	}
	res = simulate("iotthingsgraph:CreateFlowTemplate", "iotthingsgraph:GetFlowTemplate")
	if res[0].EvalDecision != iamtypes.PolicyEvaluationDecisionTypeImplicitDeny || res[0].PermissionsBoundaryDecisionDetail == nil || res[0].PermissionsBoundaryDecisionDetail.AllowedByPermissionsBoundary {
		t.Errorf("CreateFlowTemplate under boundary = %s %+v, want implicitDeny, not allowed by boundary", res[0].EvalDecision, res[0].PermissionsBoundaryDecisionDetail)
	}
	if res[1].EvalDecision != iamtypes.PolicyEvaluationDecisionTypeAllowed || !res[1].PermissionsBoundaryDecisionDetail.AllowedByPermissionsBoundary {
		t.Errorf("GetFlowTemplate under boundary = %s, want allowed", res[1].EvalDecision)
	}

	// An Inactive key no longer authenticates, on the wire either.
	if _, err := e.iam.UpdateAccessKey(ctx, &iamsdk.UpdateAccessKeyInput{UserName: aws.String("bob"), AccessKeyId: aws.String(id), Status: iamtypes.StatusTypeInactive}); err != nil {
		t.Fatal(err)
	}
	if _, _, ok := e.svc.Authenticate(id); ok {
		t.Error("Authenticate(inactive key) ok, want not")
	}
	if _, err := bobSTS.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); errCode(err) != "InvalidClientTokenId" {
		t.Errorf("GetCallerIdentity with inactive key = %v, want InvalidClientTokenId", err)
	}
}

func TestAssumeRole(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	id, secret := e.userWithKey(t, "bob")
	_, bobSTS := e.clients(id, secret, "")
	bobARN := "arn:aws:iam::123456789012:user/bob"

	flowARN := e.role(t, "Flow", trustFor(bobARN))
	otherARN := e.role(t, "Other", trustFor("arn:aws:iam::123456789012:user/alice"))
	acctARN := e.role(t, "Account", trustFor("arn:aws:iam::123456789012:root"))
	if _, err := e.iam.AttachRolePolicy(ctx, &iamsdk.AttachRolePolicyInput{RoleName: aws.String("Flow"), PolicyArn: aws.String("arn:aws:iam::aws:policy/AdministratorAccess")}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.iam.TagRole(ctx, &iamsdk.TagRoleInput{RoleName: aws.String("Flow"), Tags: []iamtypes.Tag{{Key: aws.String("app"), Value: aws.String("tg")}}}); err != nil {
		t.Fatal(err)
	}

	// A trust policy naming bob is enough on its own.
	before := time.Now()
	out, err := bobSTS.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(flowARN), RoleSessionName: aws.String("s1"), DurationSeconds: aws.Int32(900)})
	if err != nil {
		t.Fatalf("AssumeRole(Flow): %v", err)
	}
	c := out.Credentials
	exp := aws.ToTime(c.Expiration)
	if !strings.HasPrefix(aws.ToString(c.AccessKeyId), "ASIA") || len(aws.ToString(c.SecretAccessKey)) != 40 || len(aws.ToString(c.SessionToken)) < 100 ||
		exp.Before(before.Add(899*time.Second)) || exp.After(time.Now().Add(901*time.Second)) {
		t.Errorf("Credentials = %s, token of %d characters, expiring %v", aws.ToString(c.AccessKeyId), len(aws.ToString(c.SessionToken)), exp)
	}
	if got, want := aws.ToString(out.AssumedRoleUser.Arn), "arn:aws:sts::123456789012:assumed-role/Flow/s1"; got != want {
		t.Errorf("AssumedRoleUser.Arn = %q, want %q", got, want)
	}
	if rid := aws.ToString(out.AssumedRoleUser.AssumedRoleId); !strings.HasPrefix(rid, "AROA") || !strings.HasSuffix(rid, ":s1") {
		t.Errorf("AssumedRoleId = %q, want AROA...:s1", rid)
	}

	// The temporary credentials authenticate to the session.
	key, caller, ok := e.svc.Authenticate(aws.ToString(c.AccessKeyId))
	if !ok || key.SecretAccessKey != aws.ToString(c.SecretAccessKey) || key.SessionToken != aws.ToString(c.SessionToken) || !key.Expires.Equal(exp) {
		t.Fatalf("Authenticate(ASIA) = %v ok=%v", key, ok)
	}
	want := map[string]string{"Type": "AssumedRole", "ARN": "arn:aws:sts::123456789012:assumed-role/Flow/s1", "UserID": aws.ToString(out.AssumedRoleUser.AssumedRoleId),
		"Name": "Flow", "RoleARN": flowARN, "SessionName": "s1", "SessionToken": aws.ToString(c.SessionToken), "tag": "tg"}
	got := map[string]string{"Type": caller.Type, "ARN": caller.ARN, "UserID": caller.UserID, "Name": caller.Name, "RoleARN": caller.RoleARN,
		"SessionName": caller.SessionName, "SessionToken": caller.SessionToken, "tag": caller.Tags["app"]}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("assumed-role caller (-want +got):\n%s", diff)
	}
	set, err := e.svc.Policies(caller)
	if err != nil || !slices.Contains(policyIDs(set), "arn:aws:iam::aws:policy/AdministratorAccess") || set.SessionPolicies != nil {
		t.Errorf("Policies(session) = %v, session %v, %v", policyIDs(set), set.SessionPolicies, err)
	}
	_, sessSTS := e.clients(aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey), aws.ToString(c.SessionToken))
	who, err := sessSTS.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil || aws.ToString(who.Arn) != caller.ARN || aws.ToString(who.UserId) != caller.UserID {
		t.Errorf("GetCallerIdentity as session = %+v, %v", who, err)
	}
	// Role chaining is limited to one hour.
	if _, err := sessSTS.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(flowARN), RoleSessionName: aws.String("s2"), DurationSeconds: aws.Int32(7200)}); errCode(err) != "ValidationError" {
		t.Errorf("chained AssumeRole for 2h = %v, want ValidationError", err)
	}
	if _, err := sessSTS.GetSessionToken(ctx, &sts.GetSessionTokenInput{}); errCode(err) != "AccessDenied" {
		t.Errorf("GetSessionToken with session credentials = %v, want AccessDenied", err)
	}

	// A trust policy naming someone else denies, in AWS's words.
	_, err = bobSTS.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(otherARN), RoleSessionName: aws.String("ss")})
	if wantMsg := "User: " + bobARN + " is not authorized to perform: sts:AssumeRole on resource: " + otherARN; errCode(err) != "AccessDenied" || errMessage(err) != wantMsg {
		t.Errorf("AssumeRole(Other) = %v, want AccessDenied %q", err, wantMsg)
	}
	// A role that does not exist answers the same.
	if _, err = bobSTS.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::123456789012:role/Nope"), RoleSessionName: aws.String("ss")}); errCode(err) != "AccessDenied" {
		t.Errorf("AssumeRole(missing) = %v, want AccessDenied", err)
	}

	// A trust policy naming the account delegates to identity policies.
	if _, err := bobSTS.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(acctARN), RoleSessionName: aws.String("ss")}); errCode(err) != "AccessDenied" {
		t.Errorf("AssumeRole(Account) without identity permission = %v, want AccessDenied", err)
	}
	allowAssume := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"` + acctARN + `"}]}`
	if _, err := e.iam.PutUserPolicy(ctx, &iamsdk.PutUserPolicyInput{UserName: aws.String("bob"), PolicyName: aws.String("assume"), PolicyDocument: aws.String(allowAssume)}); err != nil {
		t.Fatal(err)
	}
	if _, err := bobSTS.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(acctARN), RoleSessionName: aws.String("ss")}); err != nil {
		t.Errorf("AssumeRole(Account) with identity permission: %v", err)
	}
	// An explicit deny in an identity policy wins even over a naming trust policy.
	denyAssume := `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"sts:AssumeRole","Resource":"` + flowARN + `"}]}`
	if _, err := e.iam.PutUserPolicy(ctx, &iamsdk.PutUserPolicyInput{UserName: aws.String("bob"), PolicyName: aws.String("deny"), PolicyDocument: aws.String(denyAssume)}); err != nil {
		t.Fatal(err)
	}
	if _, err := bobSTS.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(flowARN), RoleSessionName: aws.String("s3")}); errCode(err) != "AccessDenied" {
		t.Errorf("AssumeRole(Flow) with identity deny = %v, want AccessDenied", err)
	}
	if _, err := e.iam.DeleteUserPolicy(ctx, &iamsdk.DeleteUserPolicyInput{UserName: aws.String("bob"), PolicyName: aws.String("deny")}); err != nil {
		t.Fatal(err)
	}

	// Session policies limit the session.
	sp, err := bobSTS.AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn: aws.String(flowARN), RoleSessionName: aws.String("limited"),
		Policy:     aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iotthingsgraph:Get*","Resource":"*"}]}`),
		PolicyArns: []ststypes.PolicyDescriptorType{{Arn: aws.String("arn:aws:iam::aws:policy/AdministratorAccess")}},
	})
	if err != nil {
		t.Fatalf("AssumeRole with session policies: %v", err)
	}
	_, lc, _ := e.svc.Authenticate(aws.ToString(sp.Credentials.AccessKeyId))
	lset, err := e.svc.Policies(lc)
	if err != nil || len(lset.SessionPolicies) != 2 || lset.SessionPolicies[0].ID != "session policy" {
		t.Fatalf("Policies(limited session).SessionPolicies = %+v, %v", lset.SessionPolicies, err)
	}
	lset.SessionPolicies = lset.SessionPolicies[:1] // the inline one alone
	for action, want := range map[string]policy.Decision{"iotthingsgraph:GetFlowTemplate": policy.Allowed, "s3:PutObject": policy.ImplicitDeny} {
		if d := policy.Evaluate(lset, &policy.Request{Action: action, Resource: "*"}, policy.Options{}).Decision; d != want {
			t.Errorf("session %s = %s, want %s", action, d, want)
		}
	}

	// Root cannot assume roles.
	if _, err := e.sts.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(flowARN), RoleSessionName: aws.String("root")}); errCode(err) != "AccessDenied" {
		t.Errorf("AssumeRole as root = %v, want AccessDenied", err)
	}

	// GetSessionToken: the user, with a token.
	st, err := bobSTS.GetSessionToken(ctx, &sts.GetSessionTokenInput{DurationSeconds: aws.Int32(900)})
	if err != nil {
		t.Fatalf("GetSessionToken: %v", err)
	}
	_, tokSTS := e.clients(aws.ToString(st.Credentials.AccessKeyId), aws.ToString(st.Credentials.SecretAccessKey), aws.ToString(st.Credentials.SessionToken))
	who, err = tokSTS.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil || aws.ToString(who.Arn) != bobARN {
		t.Errorf("GetCallerIdentity with session token = %+v, %v", who, err)
	}
}

func TestAssumeRoleErrors(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	id, secret := e.userWithKey(t, "bob")
	_, bobSTS := e.clients(id, secret, "")
	flow := e.role(t, "Flow", trustFor("arn:aws:iam::123456789012:user/bob"))
	tests := []struct {
		name     string
		in       *sts.AssumeRoleInput
		wantCode string
	}{
		{"session name too short", &sts.AssumeRoleInput{RoleArn: aws.String(flow), RoleSessionName: aws.String("s")}, "ValidationError"},
		{"session name bad character", &sts.AssumeRoleInput{RoleArn: aws.String(flow), RoleSessionName: aws.String("a b")}, "ValidationError"},
		{"duration too short", &sts.AssumeRoleInput{RoleArn: aws.String(flow), RoleSessionName: aws.String("ss"), DurationSeconds: aws.Int32(899)}, "ValidationError"},
		{"duration over the role's maximum", &sts.AssumeRoleInput{RoleArn: aws.String(flow), RoleSessionName: aws.String("ss"), DurationSeconds: aws.Int32(7200)}, "ValidationError"},
		{"malformed session policy", &sts.AssumeRoleInput{RoleArn: aws.String(flow), RoleSessionName: aws.String("ss"), Policy: aws.String(`{"Statement":[{"Effect":"Maybe"}]}`)}, "MalformedPolicyDocument"},
		{"bad role ARN", &sts.AssumeRoleInput{RoleArn: aws.String("not-an-arn-but-long-enough"), RoleSessionName: aws.String("ss")}, "InvalidInput"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := bobSTS.AssumeRole(ctx, tt.in); errCode(err) != tt.wantCode {
				t.Errorf("AssumeRole = %v, want %s", err, tt.wantCode)
			}
		})
	}
}

func positionString(p *iamtypes.Position) string {
	if p == nil {
		return "nil"
	}
	return fmt.Sprintf("%d:%d", p.Line, p.Column)
}

func TestRootCredentials(t *testing.T) {
	e := newEnv(t)
	key, caller, ok := e.svc.Authenticate("test")
	if !ok || key.SecretAccessKey != "test" || caller.Type != "Root" || caller.ARN != "arn:aws:iam::123456789012:root" || caller.UserID != account {
		t.Fatalf("Authenticate(test) = %v, %+v, %v", key, caller, ok)
	}
	set, err := e.svc.Policies(caller)
	if err != nil || len(set.Identity) != 0 || set.Boundary != nil {
		t.Errorf("Policies(root) = %+v, %v; want an empty set", set, err)
	}
	if _, _, ok := e.svc.Authenticate("AKIAUNKNOWNUNKNOWN00"); ok {
		t.Error("Authenticate(unknown) ok, want not")
	}
	if r, ok := e.svc.RoleByARN("arn:aws:iam::123456789012:role/none"); ok {
		t.Errorf("RoleByARN(missing) = %+v, want not found", r)
	}
	arn := e.role(t, "Flow", trust)
	if r, ok := e.svc.RoleByARN(arn); !ok || r.Name != "Flow" || r.Trust == nil || !r.Trust.HasPrincipal() {
		t.Errorf("RoleByARN(%s) = %+v, %v", arn, r, ok)
	}
}
