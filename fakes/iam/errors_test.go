package iam_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	iamsdk "github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/tgsim/tgsim/fakes/policy"
)

func TestIAMErrors(t *testing.T) {
	ctx := context.Background()
	_, ic, _ := setup(t)
	if _, err := ic.CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String("bob")}); err != nil {
		t.Fatal(err)
	}
	if _, err := ic.CreateGroup(ctx, &iamsdk.CreateGroupInput{GroupName: aws.String("devs")}); err != nil {
		t.Fatal(err)
	}
	if _, err := ic.CreateRole(ctx, &iamsdk.CreateRoleInput{RoleName: aws.String("r"), AssumeRolePolicyDocument: aws.String(trust)}); err != nil {
		t.Fatal(err)
	}
	cp, err := ic.CreatePolicy(ctx, &iamsdk.CreatePolicyInput{PolicyName: aws.String("tg"), PolicyDocument: aws.String(allowTG)})
	if err != nil {
		t.Fatal(err)
	}
	tgARN := cp.Policy.Arn
	missingARN := aws.String("arn:aws:iam::123456789012:policy/missing")
	k, err := ic.CreateAccessKey(ctx, &iamsdk.CreateAccessKeyInput{UserName: aws.String("bob")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ic.CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String("alice")}); err != nil {
		t.Fatal(err)
	}
	for i := range 10 {
		out, err := ic.CreatePolicy(ctx, &iamsdk.CreatePolicyInput{PolicyName: aws.String(fmt.Sprintf("p%d", i)), PolicyDocument: aws.String(allowTG)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ic.AttachUserPolicy(ctx, &iamsdk.AttachUserPolicyInput{UserName: aws.String("alice"), PolicyArn: out.Policy.Arn}); err != nil {
			t.Fatal(err)
		}
	}
	withPrincipal := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}]}`
	noPrincipal := allowTG

	tests := []struct {
		name     string
		call     func() error
		wantCode string
	}{
		{"CreateUser exists", func() error {
			_, err := ic.CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String("BOB")})
			return err
		}, "EntityAlreadyExists"},
		{"CreateUser bad name", func() error {
			_, err := ic.CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String("b b")})
			return err
		}, "ValidationError"},
		{"CreateUser boundary missing", func() error {
			_, err := ic.CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String("carol"), PermissionsBoundary: missingARN})
			return err
		}, "NoSuchEntity"},
		{"CreateUser duplicate tag keys", func() error {
			_, err := ic.CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String("carol"), Tags: []iamtypes.Tag{{Key: aws.String("a"), Value: aws.String("1")}, {Key: aws.String("A"), Value: aws.String("2")}}})
			return err
		}, "InvalidInput"},
		{"GetUser missing", func() error {
			_, err := ic.GetUser(ctx, &iamsdk.GetUserInput{UserName: aws.String("nobody")})
			return err
		}, "NoSuchEntity"},
		{"DeleteUser missing", func() error {
			_, err := ic.DeleteUser(ctx, &iamsdk.DeleteUserInput{UserName: aws.String("nobody")})
			return err
		}, "NoSuchEntity"},
		{"TagUser missing", func() error {
			_, err := ic.TagUser(ctx, &iamsdk.TagUserInput{UserName: aws.String("nobody"), Tags: []iamtypes.Tag{{Key: aws.String("a"), Value: aws.String("1")}}})
			return err
		}, "NoSuchEntity"},
		{"ListUserTags missing", func() error {
			_, err := ic.ListUserTags(ctx, &iamsdk.ListUserTagsInput{UserName: aws.String("nobody")})
			return err
		}, "NoSuchEntity"},
		{"CreateGroup exists", func() error {
			_, err := ic.CreateGroup(ctx, &iamsdk.CreateGroupInput{GroupName: aws.String("Devs")})
			return err
		}, "EntityAlreadyExists"},
		{"GetGroup missing", func() error {
			_, err := ic.GetGroup(ctx, &iamsdk.GetGroupInput{GroupName: aws.String("nope")})
			return err
		}, "NoSuchEntity"},
		{"DeleteGroup missing", func() error {
			_, err := ic.DeleteGroup(ctx, &iamsdk.DeleteGroupInput{GroupName: aws.String("nope")})
			return err
		}, "NoSuchEntity"},
		{"AddUserToGroup missing user", func() error {
			_, err := ic.AddUserToGroup(ctx, &iamsdk.AddUserToGroupInput{GroupName: aws.String("devs"), UserName: aws.String("nobody")})
			return err
		}, "NoSuchEntity"},
		{"AddUserToGroup missing group", func() error {
			_, err := ic.AddUserToGroup(ctx, &iamsdk.AddUserToGroupInput{GroupName: aws.String("nope"), UserName: aws.String("bob")})
			return err
		}, "NoSuchEntity"},
		{"ListGroupsForUser missing", func() error {
			_, err := ic.ListGroupsForUser(ctx, &iamsdk.ListGroupsForUserInput{UserName: aws.String("nobody")})
			return err
		}, "NoSuchEntity"},
		{"CreateAccessKey missing user", func() error {
			_, err := ic.CreateAccessKey(ctx, &iamsdk.CreateAccessKeyInput{UserName: aws.String("nobody")})
			return err
		}, "NoSuchEntity"},
		{"CreateAccessKey as root without user", func() error {
			_, err := ic.CreateAccessKey(ctx, &iamsdk.CreateAccessKeyInput{})
			return err
		}, "InvalidInput"},
		{"UpdateAccessKey other user's key", func() error {
			_, err := ic.UpdateAccessKey(ctx, &iamsdk.UpdateAccessKeyInput{UserName: aws.String("alice"), AccessKeyId: k.AccessKey.AccessKeyId, Status: iamtypes.StatusTypeInactive})
			return err
		}, "NoSuchEntity"},
		{"UpdateAccessKey bad status", func() error {
			_, err := ic.UpdateAccessKey(ctx, &iamsdk.UpdateAccessKeyInput{UserName: aws.String("bob"), AccessKeyId: k.AccessKey.AccessKeyId, Status: "Sleeping"})
			return err
		}, "ValidationError"},
		{"DeleteAccessKey missing", func() error {
			_, err := ic.DeleteAccessKey(ctx, &iamsdk.DeleteAccessKeyInput{UserName: aws.String("bob"), AccessKeyId: aws.String("AKIAXXXXXXXXXXXXXXXX")})
			return err
		}, "NoSuchEntity"},
		{"GetAccessKeyLastUsed unknown", func() error {
			_, err := ic.GetAccessKeyLastUsed(ctx, &iamsdk.GetAccessKeyLastUsedInput{AccessKeyId: aws.String("AKIAXXXXXXXXXXXXXXXX")})
			return err
		}, "AccessDenied"},
		{"CreatePolicy exists", func() error {
			_, err := ic.CreatePolicy(ctx, &iamsdk.CreatePolicyInput{PolicyName: aws.String("TG"), PolicyDocument: aws.String(allowTG)})
			return err
		}, "EntityAlreadyExists"},
		{"CreatePolicy with Principal", func() error {
			_, err := ic.CreatePolicy(ctx, &iamsdk.CreatePolicyInput{PolicyName: aws.String("x"), PolicyDocument: aws.String(withPrincipal)})
			return err
		}, "MalformedPolicyDocument"},
		{"CreatePolicy bad path", func() error {
			_, err := ic.CreatePolicy(ctx, &iamsdk.CreatePolicyInput{PolicyName: aws.String("x"), Path: aws.String("/a b/"), PolicyDocument: aws.String(allowTG)})
			return err
		}, "ValidationError"},
		{"GetPolicy missing", func() error {
			_, err := ic.GetPolicy(ctx, &iamsdk.GetPolicyInput{PolicyArn: missingARN})
			return err
		}, "NoSuchEntity"},
		{"GetPolicy bad ARN", func() error {
			_, err := ic.GetPolicy(ctx, &iamsdk.GetPolicyInput{PolicyArn: aws.String("policy/this-is-not-an-arn")})
			return err
		}, "InvalidInput"},
		{"DeletePolicy AWS managed", func() error {
			_, err := ic.DeletePolicy(ctx, &iamsdk.DeletePolicyInput{PolicyArn: aws.String("arn:aws:iam::aws:policy/AdministratorAccess")})
			return err
		}, "InvalidInput"},
		{"DeletePolicy missing", func() error {
			_, err := ic.DeletePolicy(ctx, &iamsdk.DeletePolicyInput{PolicyArn: missingARN})
			return err
		}, "NoSuchEntity"},
		{"CreatePolicyVersion malformed", func() error {
			_, err := ic.CreatePolicyVersion(ctx, &iamsdk.CreatePolicyVersionInput{PolicyArn: tgARN, PolicyDocument: aws.String(`{"Statement":[]}`)})
			return err
		}, "MalformedPolicyDocument"},
		{"GetPolicyVersion missing", func() error {
			_, err := ic.GetPolicyVersion(ctx, &iamsdk.GetPolicyVersionInput{PolicyArn: tgARN, VersionId: aws.String("v9")})
			return err
		}, "NoSuchEntity"},
		{"GetPolicyVersion bad id", func() error {
			_, err := ic.GetPolicyVersion(ctx, &iamsdk.GetPolicyVersionInput{PolicyArn: tgARN, VersionId: aws.String("1")})
			return err
		}, "ValidationError"},
		{"SetDefaultPolicyVersion missing", func() error {
			_, err := ic.SetDefaultPolicyVersion(ctx, &iamsdk.SetDefaultPolicyVersionInput{PolicyArn: tgARN, VersionId: aws.String("v7")})
			return err
		}, "NoSuchEntity"},
		{"AttachUserPolicy missing policy", func() error {
			_, err := ic.AttachUserPolicy(ctx, &iamsdk.AttachUserPolicyInput{UserName: aws.String("bob"), PolicyArn: missingARN})
			return err
		}, "NoSuchEntity"},
		{"AttachUserPolicy eleventh", func() error {
			_, err := ic.AttachUserPolicy(ctx, &iamsdk.AttachUserPolicyInput{UserName: aws.String("alice"), PolicyArn: tgARN})
			return err
		}, "LimitExceeded"},
		{"AttachGroupPolicy missing group", func() error {
			_, err := ic.AttachGroupPolicy(ctx, &iamsdk.AttachGroupPolicyInput{GroupName: aws.String("nope"), PolicyArn: tgARN})
			return err
		}, "NoSuchEntity"},
		{"DetachRolePolicy not attached", func() error {
			_, err := ic.DetachRolePolicy(ctx, &iamsdk.DetachRolePolicyInput{RoleName: aws.String("r"), PolicyArn: tgARN})
			return err
		}, "NoSuchEntity"},
		{"ListAttachedRolePolicies missing role", func() error {
			_, err := ic.ListAttachedRolePolicies(ctx, &iamsdk.ListAttachedRolePoliciesInput{RoleName: aws.String("nope")})
			return err
		}, "NoSuchEntity"},
		{"ListEntitiesForPolicy missing", func() error {
			_, err := ic.ListEntitiesForPolicy(ctx, &iamsdk.ListEntitiesForPolicyInput{PolicyArn: missingARN})
			return err
		}, "NoSuchEntity"},
		{"PutUserPolicy with Principal", func() error {
			_, err := ic.PutUserPolicy(ctx, &iamsdk.PutUserPolicyInput{UserName: aws.String("bob"), PolicyName: aws.String("p"), PolicyDocument: aws.String(withPrincipal)})
			return err
		}, "MalformedPolicyDocument"},
		{"PutGroupPolicy missing group", func() error {
			_, err := ic.PutGroupPolicy(ctx, &iamsdk.PutGroupPolicyInput{GroupName: aws.String("nope"), PolicyName: aws.String("p"), PolicyDocument: aws.String(allowTG)})
			return err
		}, "NoSuchEntity"},
		{"GetRolePolicy missing", func() error {
			_, err := ic.GetRolePolicy(ctx, &iamsdk.GetRolePolicyInput{RoleName: aws.String("r"), PolicyName: aws.String("nope")})
			return err
		}, "NoSuchEntity"},
		{"DeleteUserPolicy missing", func() error {
			_, err := ic.DeleteUserPolicy(ctx, &iamsdk.DeleteUserPolicyInput{UserName: aws.String("bob"), PolicyName: aws.String("nope")})
			return err
		}, "NoSuchEntity"},
		{"CreateRole without Principal", func() error {
			_, err := ic.CreateRole(ctx, &iamsdk.CreateRoleInput{RoleName: aws.String("r2"), AssumeRolePolicyDocument: aws.String(noPrincipal)})
			return err
		}, "MalformedPolicyDocument"},
		{"UpdateAssumeRolePolicy malformed", func() error {
			_, err := ic.UpdateAssumeRolePolicy(ctx, &iamsdk.UpdateAssumeRolePolicyInput{RoleName: aws.String("r"), PolicyDocument: aws.String(`{"Statement":{"Effect":"Allow"`)})
			return err
		}, "MalformedPolicyDocument"},
		{"UpdateAssumeRolePolicy missing role", func() error {
			_, err := ic.UpdateAssumeRolePolicy(ctx, &iamsdk.UpdateAssumeRolePolicyInput{RoleName: aws.String("nope"), PolicyDocument: aws.String(trust)})
			return err
		}, "NoSuchEntity"},
		{"PutRolePermissionsBoundary missing policy", func() error {
			_, err := ic.PutRolePermissionsBoundary(ctx, &iamsdk.PutRolePermissionsBoundaryInput{RoleName: aws.String("r"), PermissionsBoundary: missingARN})
			return err
		}, "NoSuchEntity"},
		{"DeleteUserPermissionsBoundary missing user", func() error {
			_, err := ic.DeleteUserPermissionsBoundary(ctx, &iamsdk.DeleteUserPermissionsBoundaryInput{UserName: aws.String("nobody")})
			return err
		}, "NoSuchEntity"},
		{"UpdateRole missing", func() error {
			_, err := ic.UpdateRole(ctx, &iamsdk.UpdateRoleInput{RoleName: aws.String("nope")})
			return err
		}, "NoSuchEntity"},
		{"ListRoleTags missing", func() error {
			_, err := ic.ListRoleTags(ctx, &iamsdk.ListRoleTagsInput{RoleName: aws.String("nope")})
			return err
		}, "NoSuchEntity"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.call(); errCode(err) != tt.wantCode {
				t.Errorf("error = %v, want %s", err, tt.wantCode)
			}
		})
	}
}

// TestMalformedPolicyMessage: the engine's syntax error is the message.
func TestMalformedPolicyMessage(t *testing.T) {
	ctx := context.Background()
	_, ic, _ := setup(t)
	if _, err := ic.CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String("bob")}); err != nil {
		t.Fatal(err)
	}
	for _, doc := range []string{
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject"}],}`,
		`{"Version":"2012-10-17","Statement":[{"Effect":"Permit","Action":"s3:*","Resource":"*"}]}`,
		"{\n \"Version\": \"2012-10-17\",\n \"Statment\": []\n}",
	} {
		_, perr := policy.Parse(doc)
		if perr == nil {
			t.Fatalf("policy.Parse(%q) accepted it", doc)
		}
		_, err := ic.PutUserPolicy(ctx, &iamsdk.PutUserPolicyInput{UserName: aws.String("bob"), PolicyName: aws.String("p"), PolicyDocument: aws.String(doc)})
		var mp *iamtypes.MalformedPolicyDocumentException
		if !errors.As(err, &mp) || aws.ToString(mp.Message) != perr.Error() {
			t.Errorf("PutUserPolicy(%q) = %v, want MalformedPolicyDocument %q", doc, err, perr.Error())
		}
	}
}

// TestNonUserCaller: operations defaulting to the calling user refuse a
// role session, as AWS does.
func TestNonUserCaller(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	id, secret := e.userWithKey(t, "bob")
	_, bobSTS := e.clients(id, secret, "")
	arn := e.role(t, "Flow", trustFor("arn:aws:iam::123456789012:user/bob"))
	out, err := bobSTS.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(arn), RoleSessionName: aws.String("s1")})
	if err != nil {
		t.Fatal(err)
	}
	sessIAM, _ := e.clients(aws.ToString(out.Credentials.AccessKeyId), aws.ToString(out.Credentials.SecretAccessKey), aws.ToString(out.Credentials.SessionToken))
	if _, err := sessIAM.GetUser(ctx, &iamsdk.GetUserInput{}); errCode(err) != "ValidationError" || errMessage(err) != "Must specify userName when calling with non-User credentials" {
		t.Errorf("GetUser() as a role session = %v, want ValidationError", err)
	}
	if _, err := sessIAM.ListAccessKeys(ctx, &iamsdk.ListAccessKeysInput{}); errCode(err) != "ValidationError" {
		t.Errorf("ListAccessKeys() as a role session = %v, want ValidationError", err)
	}
	// A deleted role's sessions stop authenticating.
	if _, err := e.iam.DeleteRole(ctx, &iamsdk.DeleteRoleInput{RoleName: aws.String("Flow")}); err != nil {
		t.Fatal(err)
	}
	if _, _, ok := e.svc.Authenticate(aws.ToString(out.Credentials.AccessKeyId)); ok {
		t.Error("Authenticate(session of a deleted role) ok, want not")
	}
}
