package greengrass_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	ggsdk "github.com/aws/aws-sdk-go-v2/service/greengrass"
	ggtypes "github.com/aws/aws-sdk-go-v2/service/greengrass/types"
	"github.com/google/go-cmp/cmp"

	"github.com/tgsim/tgsim/fakes/greengrass"
)

func TestGroupLifecycle(t *testing.T) {
	ctx := context.Background()
	_, c := newServer(t, greengrass.Options{})

	created, err := c.CreateGroup(ctx, &ggsdk.CreateGroupInput{Name: aws.String("home"), Tags: map[string]string{"team": "tg"}})
	if err != nil {
		t.Fatalf("CreateGroup: %v", err)
	}
	id := aws.ToString(created.Id)
	wantArn := "arn:aws:greengrass:us-east-1:123456789012:/greengrass/groups/" + id
	if got := aws.ToString(created.Arn); got != wantArn {
		t.Errorf("CreateGroup Arn = %q, want %q", got, wantArn)
	}
	if created.LatestVersion != nil {
		t.Errorf("CreateGroup without InitialVersion: LatestVersion = %q, want none", aws.ToString(created.LatestVersion))
	}
	if got, want := aws.ToString(created.CreationTimestamp), "2026-01-02T03:04:05.600Z"; got != want {
		t.Errorf("CreationTimestamp = %q, want %q", got, want)
	}

	got, err := c.GetGroup(ctx, &ggsdk.GetGroupInput{GroupId: aws.String(id)})
	if err != nil {
		t.Fatalf("GetGroup(%q): %v", id, err)
	}
	if diff := cmp.Diff(map[string]string{"team": "tg"}, got.Tags); diff != "" {
		t.Errorf("GetGroup tags (-want +got):\n%s", diff)
	}

	if _, err := c.UpdateGroup(ctx, &ggsdk.UpdateGroupInput{GroupId: aws.String(id), Name: aws.String("renamed")}); err != nil {
		t.Fatalf("UpdateGroup: %v", err)
	}
	list, err := c.ListGroups(ctx, &ggsdk.ListGroupsInput{})
	if err != nil {
		t.Fatalf("ListGroups: %v", err)
	}
	if len(list.Groups) != 1 || aws.ToString(list.Groups[0].Name) != "renamed" {
		t.Errorf("ListGroups = %+v, want one group named renamed", list.Groups)
	}

	if _, err := c.DeleteGroup(ctx, &ggsdk.DeleteGroupInput{GroupId: aws.String(id)}); err != nil {
		t.Fatalf("DeleteGroup: %v", err)
	}
	if _, err := c.GetGroup(ctx, &ggsdk.GetGroupInput{GroupId: aws.String(id)}); errorCode(err) != greengrass.CodeIDNotFound {
		t.Errorf("GetGroup after delete: %v, want %s", err, greengrass.CodeIDNotFound)
	}
}

func TestGroupErrors(t *testing.T) {
	ctx := context.Background()
	_, c := newServer(t, greengrass.Options{})
	f := mustCreateGroup(t, ctx, c)

	tests := []struct {
		name string
		call func() error
		want string
	}{
		{"GetGroup unknown", func() error {
			_, err := c.GetGroup(ctx, &ggsdk.GetGroupInput{GroupId: aws.String("nope")})
			return err
		}, greengrass.CodeIDNotFound},
		{"UpdateGroup without name", func() error {
			_, err := c.UpdateGroup(ctx, &ggsdk.UpdateGroupInput{GroupId: aws.String(f.groupID)})
			return err
		}, greengrass.CodeInvalidContainerDefinition},
		{"DeleteGroup unknown", func() error {
			_, err := c.DeleteGroup(ctx, &ggsdk.DeleteGroupInput{GroupId: aws.String("nope")})
			return err
		}, greengrass.CodeIDNotFound},
		{"GetGroupVersion unknown version", func() error {
			_, err := c.GetGroupVersion(ctx, &ggsdk.GetGroupVersionInput{GroupId: aws.String(f.groupID), GroupVersionId: aws.String("nope")})
			return err
		}, greengrass.CodeVersionNotFound},
		{"CreateGroupVersion unknown group", func() error {
			_, err := c.CreateGroupVersion(ctx, &ggsdk.CreateGroupVersionInput{GroupId: aws.String("nope")})
			return err
		}, greengrass.CodeIDNotFound},
		{"CreateGroupVersion dangling reference", func() error {
			_, err := c.CreateGroupVersion(ctx, &ggsdk.CreateGroupVersionInput{
				GroupId:                  aws.String(f.groupID),
				CoreDefinitionVersionArn: aws.String("arn:aws:greengrass:us-east-1:123456789012:/greengrass/definition/cores/x/versions/y"),
			})
			return err
		}, greengrass.CodeBadRequest},
		{"CreateGroupVersion reference of the wrong kind", func() error {
			_, err := c.CreateGroupVersion(ctx, &ggsdk.CreateGroupVersionInput{
				GroupId:                  aws.String(f.groupID),
				CoreDefinitionVersionArn: aws.String(f.device.versionArn),
			})
			return err
		}, greengrass.CodeBadRequest},
		{"CreateGroup dangling initial version", func() error {
			_, err := c.CreateGroup(ctx, &ggsdk.CreateGroupInput{Name: aws.String("g"), InitialVersion: &ggtypes.GroupVersion{
				LoggerDefinitionVersionArn: aws.String("not-an-arn"),
			}})
			return err
		}, greengrass.CodeBadRequest},
		{"ListGroups bad MaxResults", func() error {
			_, err := c.ListGroups(ctx, &ggsdk.ListGroupsInput{MaxResults: aws.String("zero")})
			return err
		}, greengrass.CodeBadRequest},
		{"ListGroups bad NextToken", func() error {
			_, err := c.ListGroups(ctx, &ggsdk.ListGroupsInput{NextToken: aws.String("99")})
			return err
		}, greengrass.CodeBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := errorCode(tt.call()); got != tt.want {
				t.Errorf("error code = %q, want %q", got, tt.want)
			}
		})
	}

	// A refused CreateGroup stores nothing.
	list, err := c.ListGroups(ctx, &ggsdk.ListGroupsInput{})
	if err != nil {
		t.Fatalf("ListGroups: %v", err)
	}
	if len(list.Groups) != 1 {
		t.Errorf("ListGroups after refused creates = %d groups, want 1", len(list.Groups))
	}
}

func TestGroupVersions(t *testing.T) {
	ctx := context.Background()
	_, c := newServer(t, greengrass.Options{})
	f := mustCreateGroup(t, ctx, c)

	gv, err := c.GetGroupVersion(ctx, &ggsdk.GetGroupVersionInput{GroupId: aws.String(f.groupID), GroupVersionId: aws.String(f.groupVersionID)})
	if err != nil {
		t.Fatalf("GetGroupVersion: %v", err)
	}
	if got := aws.ToString(gv.Definition.CoreDefinitionVersionArn); got != f.core.versionArn {
		t.Errorf("GetGroupVersion core = %q, want %q", got, f.core.versionArn)
	}
	if gv.Definition.ConnectorDefinitionVersionArn != nil {
		t.Errorf("GetGroupVersion connector = %q, want absent", aws.ToString(gv.Definition.ConnectorDefinitionVersionArn))
	}

	// A second version keeps the core only.
	v2, err := c.CreateGroupVersion(ctx, &ggsdk.CreateGroupVersionInput{GroupId: aws.String(f.groupID), CoreDefinitionVersionArn: aws.String(f.core.versionArn)})
	if err != nil {
		t.Fatalf("CreateGroupVersion: %v", err)
	}
	g, err := c.GetGroup(ctx, &ggsdk.GetGroupInput{GroupId: aws.String(f.groupID)})
	if err != nil {
		t.Fatalf("GetGroup: %v", err)
	}
	if aws.ToString(g.LatestVersion) != aws.ToString(v2.Version) || aws.ToString(g.LatestVersionArn) != aws.ToString(v2.Arn) {
		t.Errorf("GetGroup latest = %q %q, want %q %q", aws.ToString(g.LatestVersion), aws.ToString(g.LatestVersionArn), aws.ToString(v2.Version), aws.ToString(v2.Arn))
	}

	// Paging through the two versions one at a time.
	var seen []string
	in := &ggsdk.ListGroupVersionsInput{GroupId: aws.String(f.groupID), MaxResults: aws.String("1")}
	for pages := 0; ; pages++ {
		if pages > 2 {
			t.Fatalf("ListGroupVersions: more than 2 pages for 2 versions")
		}
		page, err := c.ListGroupVersions(ctx, in)
		if err != nil {
			t.Fatalf("ListGroupVersions page: %v", err)
		}
		if len(page.Versions) != 1 {
			t.Fatalf("ListGroupVersions MaxResults=1 returned %d versions", len(page.Versions))
		}
		seen = append(seen, aws.ToString(page.Versions[0].Version))
		if page.NextToken == nil {
			break
		}
		in.NextToken = page.NextToken
	}
	if diff := cmp.Diff([]string{f.groupVersionID, aws.ToString(v2.Version)}, seen); diff != "" {
		t.Errorf("ListGroupVersions (-want +got):\n%s", diff)
	}
}

func TestRolesAndTags(t *testing.T) {
	ctx := context.Background()
	_, c := newServer(t, greengrass.Options{})
	f := mustCreateGroup(t, ctx, c)
	role := "arn:aws:iam::123456789012:role/GreengrassGroupRole"

	if _, err := c.GetAssociatedRole(ctx, &ggsdk.GetAssociatedRoleInput{GroupId: aws.String(f.groupID)}); errorCode(err) != greengrass.CodeBadRequest {
		t.Errorf("GetAssociatedRole before associate: %v, want %s", err, greengrass.CodeBadRequest)
	}
	if _, err := c.AssociateRoleToGroup(ctx, &ggsdk.AssociateRoleToGroupInput{GroupId: aws.String(f.groupID), RoleArn: aws.String("arn:aws:s3:::bucket")}); errorCode(err) != greengrass.CodeBadRequest {
		t.Errorf("AssociateRoleToGroup(non-role ARN): %v, want %s", err, greengrass.CodeBadRequest)
	}
	if _, err := c.AssociateRoleToGroup(ctx, &ggsdk.AssociateRoleToGroupInput{GroupId: aws.String(f.groupID), RoleArn: aws.String(role)}); err != nil {
		t.Fatalf("AssociateRoleToGroup: %v", err)
	}
	got, err := c.GetAssociatedRole(ctx, &ggsdk.GetAssociatedRoleInput{GroupId: aws.String(f.groupID)})
	if err != nil || aws.ToString(got.RoleArn) != role {
		t.Errorf("GetAssociatedRole = %v, %v; want %s", aws.ToString(got.RoleArn), err, role)
	}

	svcRole := "arn:aws:iam::123456789012:role/Greengrass_ServiceRole"
	if _, err := c.GetServiceRoleForAccount(ctx, &ggsdk.GetServiceRoleForAccountInput{}); errorCode(err) != greengrass.CodeResourceNotFound {
		t.Errorf("GetServiceRoleForAccount before associate: %v, want %s", err, greengrass.CodeResourceNotFound)
	}
	if _, err := c.AssociateServiceRoleToAccount(ctx, &ggsdk.AssociateServiceRoleToAccountInput{RoleArn: aws.String(svcRole)}); err != nil {
		t.Fatalf("AssociateServiceRoleToAccount: %v", err)
	}
	sr, err := c.GetServiceRoleForAccount(ctx, &ggsdk.GetServiceRoleForAccountInput{})
	if err != nil || aws.ToString(sr.RoleArn) != svcRole {
		t.Errorf("GetServiceRoleForAccount = %v, %v; want %s", aws.ToString(sr.RoleArn), err, svcRole)
	}

	g, err := c.GetGroup(ctx, &ggsdk.GetGroupInput{GroupId: aws.String(f.groupID)})
	if err != nil {
		t.Fatalf("GetGroup: %v", err)
	}
	arn := g.Arn
	if _, err := c.TagResource(ctx, &ggsdk.TagResourceInput{ResourceArn: arn, Tags: map[string]string{"a": "1", "b": "2"}}); err != nil {
		t.Fatalf("TagResource: %v", err)
	}
	if _, err := c.UntagResource(ctx, &ggsdk.UntagResourceInput{ResourceArn: arn, TagKeys: []string{"a"}}); err != nil {
		t.Fatalf("UntagResource: %v", err)
	}
	tags, err := c.ListTagsForResource(ctx, &ggsdk.ListTagsForResourceInput{ResourceArn: arn})
	if err != nil {
		t.Fatalf("ListTagsForResource: %v", err)
	}
	if diff := cmp.Diff(map[string]string{"b": "2"}, tags.Tags); diff != "" {
		t.Errorf("ListTagsForResource (-want +got):\n%s", diff)
	}
	if _, err := c.ListTagsForResource(ctx, &ggsdk.ListTagsForResourceInput{ResourceArn: aws.String("arn:aws:greengrass:us-east-1:123456789012:/greengrass/groups/nope")}); errorCode(err) != greengrass.CodeResourceNotFound {
		t.Errorf("ListTagsForResource(unknown): %v, want %s", err, greengrass.CodeResourceNotFound)
	}
}
