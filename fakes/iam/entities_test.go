package iam_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	iamsdk "github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/google/go-cmp/cmp"
)

const allowTG = `{"Version":"2012-10-17","Statement":[{"Sid":"TG","Effect":"Allow","Action":"iotthingsgraph:*","Resource":"*"}]}`

func tagsOf(tags []iamtypes.Tag) map[string]string {
	m := map[string]string{}
	for _, t := range tags {
		m[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return m
}

func TestUsersAndTags(t *testing.T) {
	ctx := context.Background()
	_, ic, _ := setup(t)
	out, err := ic.CreateUser(ctx, &iamsdk.CreateUserInput{
		UserName: aws.String("bob"), Path: aws.String("/eng/"),
		Tags: []iamtypes.Tag{{Key: aws.String("team"), Value: aws.String("tg")}},
	})
	if err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	u := out.User
	got := []string{aws.ToString(u.Arn), aws.ToString(u.UserId), aws.ToString(u.Path)}
	want := []string{"arn:aws:iam::123456789012:user/eng/bob", "AIDAEXAMPLE0000000001", "/eng/"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("CreateUser (-want +got):\n%s", diff)
	}
	for _, n := range []string{"carol", "alice"} {
		if _, err := ic.CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String(n)}); err != nil {
			t.Fatal(err)
		}
	}
	var names []string
	p := iamsdk.NewListUsersPaginator(ic, &iamsdk.ListUsersInput{MaxItems: aws.Int32(2)})
	for p.HasMorePages() {
		pg, err := p.NextPage(ctx)
		if err != nil {
			t.Fatalf("ListUsers: %v", err)
		}
		for _, u := range pg.Users {
			names = append(names, aws.ToString(u.UserName))
		}
	}
	if diff := cmp.Diff([]string{"alice", "bob", "carol"}, names); diff != "" {
		t.Errorf("ListUsers (-want +got):\n%s", diff)
	}
	eng, err := ic.ListUsers(ctx, &iamsdk.ListUsersInput{PathPrefix: aws.String("/eng/")})
	if err != nil || len(eng.Users) != 1 {
		t.Errorf("ListUsers(/eng/) = %d users, %v; want 1", len(eng.Users), err)
	}

	if _, err := ic.TagUser(ctx, &iamsdk.TagUserInput{UserName: aws.String("BOB"), Tags: []iamtypes.Tag{
		{Key: aws.String("TEAM"), Value: aws.String("iot")}, {Key: aws.String("env"), Value: aws.String("dev")},
	}}); err != nil {
		t.Fatalf("TagUser: %v", err)
	}
	if _, err := ic.UntagUser(ctx, &iamsdk.UntagUserInput{UserName: aws.String("bob"), TagKeys: []string{"env", "absent"}}); err != nil {
		t.Fatalf("UntagUser: %v", err)
	}
	lt, err := ic.ListUserTags(ctx, &iamsdk.ListUserTagsInput{UserName: aws.String("bob")})
	if err != nil {
		t.Fatalf("ListUserTags: %v", err)
	}
	// Keys compare regardless of case; the new spelling wins.
	if diff := cmp.Diff(map[string]string{"TEAM": "iot"}, tagsOf(lt.Tags)); diff != "" {
		t.Errorf("ListUserTags (-want +got):\n%s", diff)
	}
	gu, err := ic.GetUser(ctx, &iamsdk.GetUserInput{UserName: aws.String("bob")})
	if err != nil || aws.ToString(gu.User.UserName) != "bob" || len(gu.User.Tags) != 1 {
		t.Errorf("GetUser(bob) = %+v, %v", gu, err)
	}
	if _, err := ic.DeleteUser(ctx, &iamsdk.DeleteUserInput{UserName: aws.String("carol")}); err != nil {
		t.Fatalf("DeleteUser: %v", err)
	}
	if _, err := ic.GetUser(ctx, &iamsdk.GetUserInput{UserName: aws.String("carol")}); errCode(err) != "NoSuchEntity" {
		t.Errorf("GetUser after DeleteUser = %v, want NoSuchEntity", err)
	}
}

func TestRoleUpdates(t *testing.T) {
	ctx := context.Background()
	_, ic, _ := setup(t)
	if _, err := ic.CreateRole(ctx, &iamsdk.CreateRoleInput{RoleName: aws.String("r"), AssumeRolePolicyDocument: aws.String(trust), MaxSessionDuration: aws.Int32(7200)}); err != nil {
		t.Fatal(err)
	}
	newTrust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}]}`
	if _, err := ic.UpdateAssumeRolePolicy(ctx, &iamsdk.UpdateAssumeRolePolicyInput{RoleName: aws.String("r"), PolicyDocument: aws.String(newTrust)}); err != nil {
		t.Fatalf("UpdateAssumeRolePolicy: %v", err)
	}
	if _, err := ic.UpdateRole(ctx, &iamsdk.UpdateRoleInput{RoleName: aws.String("r"), Description: aws.String("d"), MaxSessionDuration: aws.Int32(10800)}); err != nil {
		t.Fatalf("UpdateRole: %v", err)
	}
	if _, err := ic.TagRole(ctx, &iamsdk.TagRoleInput{RoleName: aws.String("r"), Tags: []iamtypes.Tag{{Key: aws.String("a"), Value: aws.String("1")}, {Key: aws.String("b"), Value: aws.String("2")}}}); err != nil {
		t.Fatalf("TagRole: %v", err)
	}
	if _, err := ic.UntagRole(ctx, &iamsdk.UntagRoleInput{RoleName: aws.String("r"), TagKeys: []string{"b"}}); err != nil {
		t.Fatalf("UntagRole: %v", err)
	}
	lt, err := ic.ListRoleTags(ctx, &iamsdk.ListRoleTagsInput{RoleName: aws.String("r")})
	if err != nil || !cmp.Equal(tagsOf(lt.Tags), map[string]string{"a": "1"}) {
		t.Errorf("ListRoleTags = %v, %v; want a=1", lt, err)
	}
	g, err := ic.GetRole(ctx, &iamsdk.GetRoleInput{RoleName: aws.String("r")})
	if err != nil {
		t.Fatal(err)
	}
	doc, _ := url.QueryUnescape(aws.ToString(g.Role.AssumeRolePolicyDocument))
	if doc != newTrust || aws.ToString(g.Role.Description) != "d" || aws.ToInt32(g.Role.MaxSessionDuration) != 10800 {
		t.Errorf("GetRole = trust %q, description %q, max session %d", doc, aws.ToString(g.Role.Description), aws.ToInt32(g.Role.MaxSessionDuration))
	}
}

func TestGroups(t *testing.T) {
	ctx := context.Background()
	_, ic, _ := setup(t)
	for _, n := range []string{"bob", "alice"} {
		if _, err := ic.CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String(n)}); err != nil {
			t.Fatal(err)
		}
	}
	cg, err := ic.CreateGroup(ctx, &iamsdk.CreateGroupInput{GroupName: aws.String("devs"), Path: aws.String("/x/")})
	if err != nil {
		t.Fatalf("CreateGroup: %v", err)
	}
	if got, want := aws.ToString(cg.Group.Arn), "arn:aws:iam::123456789012:group/x/devs"; got != want {
		t.Errorf("group Arn = %q, want %q", got, want)
	}
	if _, err := ic.CreateGroup(ctx, &iamsdk.CreateGroupInput{GroupName: aws.String("ops")}); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"bob", "alice", "bob"} { // adding twice is no change
		if _, err := ic.AddUserToGroup(ctx, &iamsdk.AddUserToGroupInput{GroupName: aws.String("devs"), UserName: aws.String(n)}); err != nil {
			t.Fatalf("AddUserToGroup(%s): %v", n, err)
		}
	}
	if _, err := ic.AddUserToGroup(ctx, &iamsdk.AddUserToGroupInput{GroupName: aws.String("ops"), UserName: aws.String("bob")}); err != nil {
		t.Fatal(err)
	}
	gg, err := ic.GetGroup(ctx, &iamsdk.GetGroupInput{GroupName: aws.String("devs")})
	if err != nil {
		t.Fatalf("GetGroup: %v", err)
	}
	var members []string
	for _, u := range gg.Users {
		members = append(members, aws.ToString(u.UserName))
	}
	if diff := cmp.Diff([]string{"alice", "bob"}, members); diff != "" || aws.ToString(gg.Group.GroupName) != "devs" {
		t.Errorf("GetGroup users (-want +got):\n%s", diff)
	}
	lg, err := ic.ListGroups(ctx, &iamsdk.ListGroupsInput{})
	if err != nil || len(lg.Groups) != 2 {
		t.Errorf("ListGroups = %d, %v; want 2", len(lg.Groups), err)
	}
	gfu, err := ic.ListGroupsForUser(ctx, &iamsdk.ListGroupsForUserInput{UserName: aws.String("bob")})
	if err != nil || len(gfu.Groups) != 2 || aws.ToString(gfu.Groups[0].GroupName) != "devs" {
		t.Errorf("ListGroupsForUser(bob) = %+v, %v", gfu, err)
	}
	if _, err := ic.DeleteGroup(ctx, &iamsdk.DeleteGroupInput{GroupName: aws.String("devs")}); errCode(err) != "DeleteConflict" {
		t.Errorf("DeleteGroup with members = %v, want DeleteConflict", err)
	}
	if _, err := ic.DeleteUser(ctx, &iamsdk.DeleteUserInput{UserName: aws.String("alice")}); errCode(err) != "DeleteConflict" {
		t.Errorf("DeleteUser in a group = %v, want DeleteConflict", err)
	}
	for _, n := range []string{"bob", "alice"} {
		if _, err := ic.RemoveUserFromGroup(ctx, &iamsdk.RemoveUserFromGroupInput{GroupName: aws.String("devs"), UserName: aws.String(n)}); err != nil {
			t.Fatalf("RemoveUserFromGroup: %v", err)
		}
	}
	if _, err := ic.RemoveUserFromGroup(ctx, &iamsdk.RemoveUserFromGroupInput{GroupName: aws.String("devs"), UserName: aws.String("bob")}); errCode(err) != "NoSuchEntity" {
		t.Errorf("RemoveUserFromGroup not a member = %v, want NoSuchEntity", err)
	}
	if _, err := ic.DeleteGroup(ctx, &iamsdk.DeleteGroupInput{GroupName: aws.String("devs")}); err != nil {
		t.Errorf("DeleteGroup: %v", err)
	}
}

func TestAccessKeys(t *testing.T) {
	ctx := context.Background()
	_, ic, _ := setup(t)
	if _, err := ic.CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String("bob")}); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for range 2 {
		k, err := ic.CreateAccessKey(ctx, &iamsdk.CreateAccessKeyInput{UserName: aws.String("bob")})
		if err != nil {
			t.Fatalf("CreateAccessKey: %v", err)
		}
		id, secret := aws.ToString(k.AccessKey.AccessKeyId), aws.ToString(k.AccessKey.SecretAccessKey)
		if len(id) != 20 || !strings.HasPrefix(id, "AKIA") || strings.ToUpper(id) != id || len(secret) != 40 || k.AccessKey.Status != iamtypes.StatusTypeActive {
			t.Errorf("CreateAccessKey = id %q, secret of %d characters, status %s", id, len(secret), k.AccessKey.Status)
		}
		ids = append(ids, id)
	}
	if _, err := ic.CreateAccessKey(ctx, &iamsdk.CreateAccessKeyInput{UserName: aws.String("bob")}); errCode(err) != "LimitExceeded" {
		t.Errorf("third CreateAccessKey = %v, want LimitExceeded", err)
	}
	if _, err := ic.UpdateAccessKey(ctx, &iamsdk.UpdateAccessKeyInput{UserName: aws.String("bob"), AccessKeyId: aws.String(ids[0]), Status: iamtypes.StatusTypeInactive}); err != nil {
		t.Fatalf("UpdateAccessKey: %v", err)
	}
	lk, err := ic.ListAccessKeys(ctx, &iamsdk.ListAccessKeysInput{UserName: aws.String("bob")})
	if err != nil {
		t.Fatalf("ListAccessKeys: %v", err)
	}
	var got []string
	for _, m := range lk.AccessKeyMetadata {
		got = append(got, aws.ToString(m.AccessKeyId)+" "+string(m.Status))
	}
	if diff := cmp.Diff([]string{ids[0] + " Inactive", ids[1] + " Active"}, got); diff != "" {
		t.Errorf("ListAccessKeys (-want +got):\n%s", diff)
	}
	lu, err := ic.GetAccessKeyLastUsed(ctx, &iamsdk.GetAccessKeyLastUsedInput{AccessKeyId: aws.String(ids[1])})
	if err != nil || aws.ToString(lu.UserName) != "bob" || aws.ToString(lu.AccessKeyLastUsed.ServiceName) != "N/A" {
		t.Errorf("GetAccessKeyLastUsed = %+v, %v", lu, err)
	}
	if _, err := ic.DeleteUser(ctx, &iamsdk.DeleteUserInput{UserName: aws.String("bob")}); errCode(err) != "DeleteConflict" {
		t.Errorf("DeleteUser with keys = %v, want DeleteConflict", err)
	}
	for _, id := range ids {
		if _, err := ic.DeleteAccessKey(ctx, &iamsdk.DeleteAccessKeyInput{UserName: aws.String("bob"), AccessKeyId: aws.String(id)}); err != nil {
			t.Fatalf("DeleteAccessKey: %v", err)
		}
	}
	if _, err := ic.DeleteUser(ctx, &iamsdk.DeleteUserInput{UserName: aws.String("bob")}); err != nil {
		t.Errorf("DeleteUser without keys: %v", err)
	}
}

func TestManagedPolicies(t *testing.T) {
	ctx := context.Background()
	_, ic, _ := setup(t)
	cp, err := ic.CreatePolicy(ctx, &iamsdk.CreatePolicyInput{PolicyName: aws.String("tg"), Path: aws.String("/app/"), PolicyDocument: aws.String(allowTG), Description: aws.String("TG")})
	if err != nil {
		t.Fatalf("CreatePolicy: %v", err)
	}
	arn := aws.ToString(cp.Policy.Arn)
	if arn != "arn:aws:iam::123456789012:policy/app/tg" || aws.ToString(cp.Policy.DefaultVersionId) != "v1" {
		t.Errorf("CreatePolicy = %s %s", arn, aws.ToString(cp.Policy.DefaultVersionId))
	}
	v2 := strings.Replace(allowTG, "iotthingsgraph:*", "iotthingsgraph:Get*", 1)
	for i := 2; i <= 5; i++ {
		if _, err := ic.CreatePolicyVersion(ctx, &iamsdk.CreatePolicyVersionInput{PolicyArn: aws.String(arn), PolicyDocument: aws.String(v2), SetAsDefault: i == 2}); err != nil {
			t.Fatalf("CreatePolicyVersion %d: %v", i, err)
		}
	}
	if _, err := ic.CreatePolicyVersion(ctx, &iamsdk.CreatePolicyVersionInput{PolicyArn: aws.String(arn), PolicyDocument: aws.String(v2)}); errCode(err) != "LimitExceeded" {
		t.Errorf("sixth version = %v, want LimitExceeded", err)
	}
	gv, err := ic.GetPolicyVersion(ctx, &iamsdk.GetPolicyVersionInput{PolicyArn: aws.String(arn), VersionId: aws.String("v2")})
	if err != nil {
		t.Fatalf("GetPolicyVersion: %v", err)
	}
	raw := aws.ToString(gv.PolicyVersion.Document)
	if doc, _ := url.QueryUnescape(raw); doc != v2 || raw == v2 || !gv.PolicyVersion.IsDefaultVersion {
		t.Errorf("GetPolicyVersion v2 = %q default=%v; want URL-encoded %q, default", raw, gv.PolicyVersion.IsDefaultVersion, v2)
	}
	if _, err := ic.DeletePolicyVersion(ctx, &iamsdk.DeletePolicyVersionInput{PolicyArn: aws.String(arn), VersionId: aws.String("v2")}); errCode(err) != "DeleteConflict" {
		t.Errorf("DeletePolicyVersion(default) = %v, want DeleteConflict", err)
	}
	if _, err := ic.SetDefaultPolicyVersion(ctx, &iamsdk.SetDefaultPolicyVersionInput{PolicyArn: aws.String(arn), VersionId: aws.String("v1")}); err != nil {
		t.Fatalf("SetDefaultPolicyVersion: %v", err)
	}
	lv, err := ic.ListPolicyVersions(ctx, &iamsdk.ListPolicyVersionsInput{PolicyArn: aws.String(arn)})
	if err != nil {
		t.Fatalf("ListPolicyVersions: %v", err)
	}
	var versions []string
	for _, v := range lv.Versions {
		s := aws.ToString(v.VersionId)
		if v.IsDefaultVersion {
			s += "*"
		}
		versions = append(versions, s)
	}
	if diff := cmp.Diff([]string{"v5", "v4", "v3", "v2", "v1*"}, versions); diff != "" {
		t.Errorf("ListPolicyVersions (-want +got):\n%s", diff)
	}

	// Attach to a user, a group and a role.
	if _, err := ic.CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String("bob")}); err != nil {
		t.Fatal(err)
	}
	if _, err := ic.CreateGroup(ctx, &iamsdk.CreateGroupInput{GroupName: aws.String("devs")}); err != nil {
		t.Fatal(err)
	}
	if _, err := ic.CreateRole(ctx, &iamsdk.CreateRoleInput{RoleName: aws.String("r"), AssumeRolePolicyDocument: aws.String(trust)}); err != nil {
		t.Fatal(err)
	}
	if _, err := ic.AttachUserPolicy(ctx, &iamsdk.AttachUserPolicyInput{UserName: aws.String("bob"), PolicyArn: aws.String(arn)}); err != nil {
		t.Fatalf("AttachUserPolicy: %v", err)
	}
	if _, err := ic.AttachGroupPolicy(ctx, &iamsdk.AttachGroupPolicyInput{GroupName: aws.String("devs"), PolicyArn: aws.String(arn)}); err != nil {
		t.Fatalf("AttachGroupPolicy: %v", err)
	}
	if _, err := ic.AttachRolePolicy(ctx, &iamsdk.AttachRolePolicyInput{RoleName: aws.String("r"), PolicyArn: aws.String(arn)}); err != nil {
		t.Fatalf("AttachRolePolicy: %v", err)
	}
	if _, err := ic.AttachRolePolicy(ctx, &iamsdk.AttachRolePolicyInput{RoleName: aws.String("r"), PolicyArn: aws.String("arn:aws:iam::aws:policy/AdministratorAccess")}); err != nil {
		t.Fatalf("AttachRolePolicy(AdministratorAccess): %v", err)
	}
	au, err := ic.ListAttachedUserPolicies(ctx, &iamsdk.ListAttachedUserPoliciesInput{UserName: aws.String("bob")})
	if err != nil || len(au.AttachedPolicies) != 1 || aws.ToString(au.AttachedPolicies[0].PolicyName) != "tg" {
		t.Errorf("ListAttachedUserPolicies = %+v, %v", au, err)
	}
	ag, err := ic.ListAttachedGroupPolicies(ctx, &iamsdk.ListAttachedGroupPoliciesInput{GroupName: aws.String("devs")})
	if err != nil || len(ag.AttachedPolicies) != 1 {
		t.Errorf("ListAttachedGroupPolicies = %+v, %v", ag, err)
	}
	ar, err := ic.ListAttachedRolePolicies(ctx, &iamsdk.ListAttachedRolePoliciesInput{RoleName: aws.String("r"), PathPrefix: aws.String("/app/")})
	if err != nil || len(ar.AttachedPolicies) != 1 {
		t.Errorf("ListAttachedRolePolicies(/app/) = %+v, %v", ar, err)
	}
	le, err := ic.ListEntitiesForPolicy(ctx, &iamsdk.ListEntitiesForPolicyInput{PolicyArn: aws.String(arn)})
	if err != nil || len(le.PolicyUsers) != 1 || len(le.PolicyGroups) != 1 || len(le.PolicyRoles) != 1 || aws.ToString(le.PolicyUsers[0].UserName) != "bob" {
		t.Errorf("ListEntitiesForPolicy = %+v, %v", le, err)
	}
	leu, err := ic.ListEntitiesForPolicy(ctx, &iamsdk.ListEntitiesForPolicyInput{PolicyArn: aws.String(arn), EntityFilter: iamtypes.EntityTypeRole})
	if err != nil || len(leu.PolicyUsers) != 0 || len(leu.PolicyRoles) != 1 {
		t.Errorf("ListEntitiesForPolicy(Role) = %+v, %v", leu, err)
	}
	gp, err := ic.GetPolicy(ctx, &iamsdk.GetPolicyInput{PolicyArn: aws.String(arn)})
	if err != nil || aws.ToInt32(gp.Policy.AttachmentCount) != 3 || aws.ToString(gp.Policy.Description) != "TG" {
		t.Errorf("GetPolicy = %+v, %v; want 3 attachments", gp, err)
	}

	// Scope and OnlyAttached.
	count := func(in *iamsdk.ListPoliciesInput) []string {
		t.Helper()
		out, err := ic.ListPolicies(ctx, in)
		if err != nil {
			t.Fatalf("ListPolicies: %v", err)
		}
		var n []string
		for _, p := range out.Policies {
			n = append(n, aws.ToString(p.PolicyName))
		}
		return n
	}
	if got := count(&iamsdk.ListPoliciesInput{Scope: iamtypes.PolicyScopeTypeLocal}); !cmp.Equal(got, []string{"tg"}) {
		t.Errorf("ListPolicies(Local) = %v", got)
	}
	if got := count(&iamsdk.ListPoliciesInput{Scope: iamtypes.PolicyScopeTypeAws}); !cmp.Equal(got, []string{"AdministratorAccess"}) {
		t.Errorf("ListPolicies(AWS) = %v", got)
	}
	if got := count(&iamsdk.ListPoliciesInput{}); len(got) != 2 {
		t.Errorf("ListPolicies(All) = %v", got)
	}

	if _, err := ic.DeletePolicy(ctx, &iamsdk.DeletePolicyInput{PolicyArn: aws.String(arn)}); errCode(err) != "DeleteConflict" {
		t.Errorf("DeletePolicy attached = %v, want DeleteConflict", err)
	}
	if _, err := ic.DeleteRole(ctx, &iamsdk.DeleteRoleInput{RoleName: aws.String("r")}); errCode(err) != "DeleteConflict" {
		t.Errorf("DeleteRole with policies = %v, want DeleteConflict", err)
	}
	if _, err := ic.DetachUserPolicy(ctx, &iamsdk.DetachUserPolicyInput{UserName: aws.String("bob"), PolicyArn: aws.String(arn)}); err != nil {
		t.Fatalf("DetachUserPolicy: %v", err)
	}
	if _, err := ic.DetachGroupPolicy(ctx, &iamsdk.DetachGroupPolicyInput{GroupName: aws.String("devs"), PolicyArn: aws.String(arn)}); err != nil {
		t.Fatalf("DetachGroupPolicy: %v", err)
	}
	if _, err := ic.DetachRolePolicy(ctx, &iamsdk.DetachRolePolicyInput{RoleName: aws.String("r"), PolicyArn: aws.String(arn)}); err != nil {
		t.Fatalf("DetachRolePolicy: %v", err)
	}
	if got := count(&iamsdk.ListPoliciesInput{OnlyAttached: true}); !cmp.Equal(got, []string{"AdministratorAccess"}) {
		t.Errorf("ListPolicies(OnlyAttached) = %v", got)
	}
	if _, err := ic.DeletePolicy(ctx, &iamsdk.DeletePolicyInput{PolicyArn: aws.String(arn)}); errCode(err) != "DeleteConflict" {
		t.Errorf("DeletePolicy with versions = %v, want DeleteConflict", err)
	}
	for _, v := range []string{"v2", "v3", "v4", "v5"} {
		if _, err := ic.DeletePolicyVersion(ctx, &iamsdk.DeletePolicyVersionInput{PolicyArn: aws.String(arn), VersionId: aws.String(v)}); err != nil {
			t.Fatalf("DeletePolicyVersion(%s): %v", v, err)
		}
	}
	if _, err := ic.DeletePolicy(ctx, &iamsdk.DeletePolicyInput{PolicyArn: aws.String(arn)}); err != nil {
		t.Errorf("DeletePolicy: %v", err)
	}
}

func TestInlinePolicies(t *testing.T) {
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
	// User.
	if _, err := ic.PutUserPolicy(ctx, &iamsdk.PutUserPolicyInput{UserName: aws.String("bob"), PolicyName: aws.String("p"), PolicyDocument: aws.String(allowTG)}); err != nil {
		t.Fatalf("PutUserPolicy: %v", err)
	}
	gu, err := ic.GetUserPolicy(ctx, &iamsdk.GetUserPolicyInput{UserName: aws.String("BOB"), PolicyName: aws.String("p")})
	if err != nil {
		t.Fatalf("GetUserPolicy: %v", err)
	}
	if doc, _ := url.QueryUnescape(aws.ToString(gu.PolicyDocument)); doc != allowTG || aws.ToString(gu.UserName) != "bob" {
		t.Errorf("GetUserPolicy = %s %q", aws.ToString(gu.UserName), doc)
	}
	lu, err := ic.ListUserPolicies(ctx, &iamsdk.ListUserPoliciesInput{UserName: aws.String("bob")})
	if err != nil || !cmp.Equal(lu.PolicyNames, []string{"p"}) {
		t.Errorf("ListUserPolicies = %v, %v", lu, err)
	}
	if _, err := ic.DeleteUser(ctx, &iamsdk.DeleteUserInput{UserName: aws.String("bob")}); errCode(err) != "DeleteConflict" {
		t.Errorf("DeleteUser with inline policy = %v, want DeleteConflict", err)
	}
	if _, err := ic.DeleteUserPolicy(ctx, &iamsdk.DeleteUserPolicyInput{UserName: aws.String("bob"), PolicyName: aws.String("p")}); err != nil {
		t.Fatalf("DeleteUserPolicy: %v", err)
	}
	// Group.
	if _, err := ic.PutGroupPolicy(ctx, &iamsdk.PutGroupPolicyInput{GroupName: aws.String("devs"), PolicyName: aws.String("g"), PolicyDocument: aws.String(allowTG)}); err != nil {
		t.Fatalf("PutGroupPolicy: %v", err)
	}
	gg, err := ic.GetGroupPolicy(ctx, &iamsdk.GetGroupPolicyInput{GroupName: aws.String("devs"), PolicyName: aws.String("g")})
	if err != nil || aws.ToString(gg.GroupName) != "devs" {
		t.Errorf("GetGroupPolicy = %+v, %v", gg, err)
	}
	lg, err := ic.ListGroupPolicies(ctx, &iamsdk.ListGroupPoliciesInput{GroupName: aws.String("devs")})
	if err != nil || !cmp.Equal(lg.PolicyNames, []string{"g"}) {
		t.Errorf("ListGroupPolicies = %v, %v", lg, err)
	}
	if _, err := ic.DeleteGroupPolicy(ctx, &iamsdk.DeleteGroupPolicyInput{GroupName: aws.String("devs"), PolicyName: aws.String("g")}); err != nil {
		t.Fatalf("DeleteGroupPolicy: %v", err)
	}
	// Role.
	for _, n := range []string{"b", "a"} {
		if _, err := ic.PutRolePolicy(ctx, &iamsdk.PutRolePolicyInput{RoleName: aws.String("r"), PolicyName: aws.String(n), PolicyDocument: aws.String(allowTG)}); err != nil {
			t.Fatalf("PutRolePolicy: %v", err)
		}
	}
	gr, err := ic.GetRolePolicy(ctx, &iamsdk.GetRolePolicyInput{RoleName: aws.String("r"), PolicyName: aws.String("a")})
	if err != nil || aws.ToString(gr.RoleName) != "r" || aws.ToString(gr.PolicyName) != "a" {
		t.Errorf("GetRolePolicy = %+v, %v", gr, err)
	}
	lr, err := ic.ListRolePolicies(ctx, &iamsdk.ListRolePoliciesInput{RoleName: aws.String("r"), MaxItems: aws.Int32(1)})
	if err != nil || !cmp.Equal(lr.PolicyNames, []string{"a"}) || !lr.IsTruncated {
		t.Errorf("ListRolePolicies(MaxItems 1) = %v, %v", lr, err)
	}
	if _, err := ic.DeleteRolePolicy(ctx, &iamsdk.DeleteRolePolicyInput{RoleName: aws.String("r"), PolicyName: aws.String("a")}); err != nil {
		t.Fatalf("DeleteRolePolicy: %v", err)
	}
	if _, err := ic.GetRolePolicy(ctx, &iamsdk.GetRolePolicyInput{RoleName: aws.String("r"), PolicyName: aws.String("a")}); errCode(err) != "NoSuchEntity" {
		t.Errorf("GetRolePolicy after delete = %v, want NoSuchEntity", err)
	}
}

func TestPermissionsBoundaries(t *testing.T) {
	ctx := context.Background()
	_, ic, _ := setup(t)
	cp, err := ic.CreatePolicy(ctx, &iamsdk.CreatePolicyInput{PolicyName: aws.String("limit"), PolicyDocument: aws.String(allowTG)})
	if err != nil {
		t.Fatal(err)
	}
	arn := cp.Policy.Arn
	if _, err := ic.CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String("bob"), PermissionsBoundary: arn}); err != nil {
		t.Fatalf("CreateUser with boundary: %v", err)
	}
	if _, err := ic.CreateRole(ctx, &iamsdk.CreateRoleInput{RoleName: aws.String("r"), AssumeRolePolicyDocument: aws.String(trust)}); err != nil {
		t.Fatal(err)
	}
	if _, err := ic.PutRolePermissionsBoundary(ctx, &iamsdk.PutRolePermissionsBoundaryInput{RoleName: aws.String("r"), PermissionsBoundary: arn}); err != nil {
		t.Fatalf("PutRolePermissionsBoundary: %v", err)
	}
	gu, _ := ic.GetUser(ctx, &iamsdk.GetUserInput{UserName: aws.String("bob")})
	gr, _ := ic.GetRole(ctx, &iamsdk.GetRoleInput{RoleName: aws.String("r")})
	for _, pb := range []*iamtypes.AttachedPermissionsBoundary{gu.User.PermissionsBoundary, gr.Role.PermissionsBoundary} {
		if pb == nil || aws.ToString(pb.PermissionsBoundaryArn) != aws.ToString(arn) || pb.PermissionsBoundaryType != iamtypes.PermissionsBoundaryAttachmentTypePolicy {
			t.Errorf("PermissionsBoundary = %+v, want %s", pb, aws.ToString(arn))
		}
	}
	gp, _ := ic.GetPolicy(ctx, &iamsdk.GetPolicyInput{PolicyArn: arn})
	if aws.ToInt32(gp.Policy.PermissionsBoundaryUsageCount) != 2 {
		t.Errorf("PermissionsBoundaryUsageCount = %d, want 2", aws.ToInt32(gp.Policy.PermissionsBoundaryUsageCount))
	}
	if _, err := ic.DeletePolicy(ctx, &iamsdk.DeletePolicyInput{PolicyArn: arn}); errCode(err) != "DeleteConflict" {
		t.Errorf("DeletePolicy used as boundary = %v, want DeleteConflict", err)
	}
	if _, err := ic.DeleteUserPermissionsBoundary(ctx, &iamsdk.DeleteUserPermissionsBoundaryInput{UserName: aws.String("bob")}); err != nil {
		t.Fatalf("DeleteUserPermissionsBoundary: %v", err)
	}
	if _, err := ic.DeleteRolePermissionsBoundary(ctx, &iamsdk.DeleteRolePermissionsBoundaryInput{RoleName: aws.String("r")}); err != nil {
		t.Fatalf("DeleteRolePermissionsBoundary: %v", err)
	}
	gu, _ = ic.GetUser(ctx, &iamsdk.GetUserInput{UserName: aws.String("bob")})
	if gu.User.PermissionsBoundary != nil {
		t.Errorf("boundary after DeleteUserPermissionsBoundary = %+v", gu.User.PermissionsBoundary)
	}
	if _, err := ic.PutUserPermissionsBoundary(ctx, &iamsdk.PutUserPermissionsBoundaryInput{UserName: aws.String("bob"), PermissionsBoundary: arn}); err != nil {
		t.Fatalf("PutUserPermissionsBoundary: %v", err)
	}
}
