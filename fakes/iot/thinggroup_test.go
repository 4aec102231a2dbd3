package iot_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	iotsdk "github.com/aws/aws-sdk-go-v2/service/iot"
	"github.com/aws/aws-sdk-go-v2/service/iot/types"
	"github.com/google/go-cmp/cmp"

	"github.com/tgsim/tgsim/fakes/iot"
)

func groupNames(gs []types.GroupNameAndArn) []string {
	var out []string
	for _, g := range gs {
		out = append(out, aws.ToString(g.GroupName))
	}
	return out
}

func TestThingGroups(t *testing.T) {
	ctx := context.Background()
	_, c := newClient(t, iot.Options{AccountID: "123456789012", NewID: counterIDs()})
	mk := func(name, parent string) string {
		t.Helper()
		in := &iotsdk.CreateThingGroupInput{ThingGroupName: aws.String(name),
			ThingGroupProperties: &types.ThingGroupProperties{ThingGroupDescription: aws.String(name + " group"),
				AttributePayload: &types.AttributePayload{Attributes: map[string]string{"site": "a"}}}}
		if parent != "" {
			in.ParentGroupName = aws.String(parent)
		}
		out, err := c.CreateThingGroup(ctx, in)
		if err != nil {
			t.Fatalf("CreateThingGroup(%q): %v", name, err)
		}
		// Identical again: success, same group.
		again, err := c.CreateThingGroup(ctx, in)
		if err != nil || aws.ToString(again.ThingGroupId) != aws.ToString(out.ThingGroupId) {
			t.Errorf("identical CreateThingGroup(%q) = %v, %v", name, again, err)
		}
		return aws.ToString(out.ThingGroupArn)
	}
	plantARN := mk("plant", "")
	mk("line1", "plant")
	mk("cell1", "line1")
	mk("office", "")
	if plantARN != "arn:aws:iot:us-east-1:123456789012:thinggroup/plant" {
		t.Errorf("CreateThingGroup ARN = %q", plantARN)
	}

	d, err := c.DescribeThingGroup(ctx, &iotsdk.DescribeThingGroupInput{ThingGroupName: aws.String("cell1")})
	if err != nil {
		t.Fatalf("DescribeThingGroup: %v", err)
	}
	if got, want := groupNames(d.ThingGroupMetadata.RootToParentThingGroups), []string{"plant", "line1"}; !cmp.Equal(got, want) {
		t.Errorf("rootToParentThingGroups = %v, want %v", got, want)
	}
	if aws.ToString(d.ThingGroupMetadata.ParentGroupName) != "line1" || d.Version != 1 ||
		!cmp.Equal(d.ThingGroupProperties.AttributePayload.Attributes, map[string]string{"site": "a"}) {
		t.Errorf("DescribeThingGroup = %+v", d)
	}

	for _, tc := range []struct {
		name string
		in   iotsdk.ListThingGroupsInput
		want []string
	}{
		{"all", iotsdk.ListThingGroupsInput{}, []string{"cell1", "line1", "office", "plant"}},
		{"roots", iotsdk.ListThingGroupsInput{Recursive: aws.Bool(false)}, []string{"office", "plant"}},
		{"children", iotsdk.ListThingGroupsInput{ParentGroup: aws.String("plant"), Recursive: aws.Bool(false)}, []string{"line1"}},
		{"descendants", iotsdk.ListThingGroupsInput{ParentGroup: aws.String("plant"), Recursive: aws.Bool(true)}, []string{"cell1", "line1"}},
		{"prefix", iotsdk.ListThingGroupsInput{NamePrefixFilter: aws.String("o")}, []string{"office"}},
	} {
		out, err := c.ListThingGroups(ctx, &tc.in)
		if err != nil {
			t.Fatalf("ListThingGroups %s: %v", tc.name, err)
		}
		if diff := cmp.Diff(tc.want, groupNames(out.ThingGroups)); diff != "" {
			t.Errorf("ListThingGroups %s (-want +got):\n%s", tc.name, diff)
		}
	}

	// Membership by name and by ARN.
	for _, th := range []string{"m1", "m2", "m3"} {
		if _, err := c.CreateThing(ctx, &iotsdk.CreateThingInput{ThingName: aws.String(th)}); err != nil {
			t.Fatal(err)
		}
	}
	add := func(in *iotsdk.AddThingToThingGroupInput) {
		t.Helper()
		if _, err := c.AddThingToThingGroup(ctx, in); err != nil {
			t.Fatalf("AddThingToThingGroup(%+v): %v", in, err)
		}
	}
	add(&iotsdk.AddThingToThingGroupInput{ThingGroupName: aws.String("plant"), ThingName: aws.String("m1")})
	add(&iotsdk.AddThingToThingGroupInput{ThingGroupArn: aws.String(plantARN), ThingArn: aws.String("arn:aws:iot:us-east-1:123456789012:thing/m2")})
	add(&iotsdk.AddThingToThingGroupInput{ThingGroupName: aws.String("cell1"), ThingName: aws.String("m3")})
	add(&iotsdk.AddThingToThingGroupInput{ThingGroupName: aws.String("office"), ThingName: aws.String("m3")})

	things := func(group string, recursive bool) []string {
		t.Helper()
		out, err := c.ListThingsInThingGroup(ctx, &iotsdk.ListThingsInThingGroupInput{ThingGroupName: aws.String(group), Recursive: recursive})
		if err != nil {
			t.Fatalf("ListThingsInThingGroup: %v", err)
		}
		return out.Things
	}
	if got := things("plant", false); !cmp.Equal(got, []string{"m1", "m2"}) {
		t.Errorf("ListThingsInThingGroup(plant) = %v", got)
	}
	if got := things("plant", true); !cmp.Equal(got, []string{"m1", "m2", "m3"}) {
		t.Errorf("ListThingsInThingGroup(plant, recursive) = %v", got)
	}
	fg, err := c.ListThingGroupsForThing(ctx, &iotsdk.ListThingGroupsForThingInput{ThingName: aws.String("m3")})
	if err != nil || !cmp.Equal(groupNames(fg.ThingGroups), []string{"cell1", "office"}) {
		t.Errorf("ListThingGroupsForThing(m3) = %v, %v", groupNames(fg.ThingGroups), err)
	}
	if _, err := c.RemoveThingFromThingGroup(ctx, &iotsdk.RemoveThingFromThingGroupInput{ThingGroupName: aws.String("plant"), ThingArn: aws.String("arn:aws:iot:us-east-1:123456789012:thing/m2")}); err != nil {
		t.Fatalf("RemoveThingFromThingGroup: %v", err)
	}
	if got := things("plant", false); !cmp.Equal(got, []string{"m1"}) {
		t.Errorf("after remove: %v", got)
	}

	// Update with optimistic locking; merge and replace attributes.
	up, err := c.UpdateThingGroup(ctx, &iotsdk.UpdateThingGroupInput{ThingGroupName: aws.String("plant"), ExpectedVersion: aws.Int64(1),
		ThingGroupProperties: &types.ThingGroupProperties{ThingGroupDescription: aws.String("new"),
			AttributePayload: &types.AttributePayload{Attributes: map[string]string{"floor": "1"}, Merge: true}}})
	if err != nil || up.Version != 2 {
		t.Fatalf("UpdateThingGroup = %v, %v", up, err)
	}
	d, _ = c.DescribeThingGroup(ctx, &iotsdk.DescribeThingGroupInput{ThingGroupName: aws.String("plant")})
	if aws.ToString(d.ThingGroupProperties.ThingGroupDescription) != "new" || !cmp.Equal(d.ThingGroupProperties.AttributePayload.Attributes, map[string]string{"site": "a", "floor": "1"}) {
		t.Errorf("after UpdateThingGroup: %+v", d.ThingGroupProperties)
	}

	// Deleting a thing drops its memberships; deleting leaves bottom-up.
	if _, err := c.DeleteThing(ctx, &iotsdk.DeleteThingInput{ThingName: aws.String("m1")}); err != nil {
		t.Fatal(err)
	}
	if got := things("plant", false); len(got) != 0 {
		t.Errorf("after DeleteThing: %v", got)
	}
	for _, g := range []string{"cell1", "line1", "plant"} {
		if _, err := c.DeleteThingGroup(ctx, &iotsdk.DeleteThingGroupInput{ThingGroupName: aws.String(g)}); err != nil {
			t.Fatalf("DeleteThingGroup(%s): %v", g, err)
		}
	}
	// AWS: deleting a missing group succeeds.
	if _, err := c.DeleteThingGroup(ctx, &iotsdk.DeleteThingGroupInput{ThingGroupName: aws.String("plant")}); err != nil {
		t.Errorf("DeleteThingGroup missing: %v", err)
	}
}

func TestThingGroupErrors(t *testing.T) {
	ctx := context.Background()
	_, c := newClient(t, iot.Options{})
	parent := ""
	for i := range 7 { // g1 (root) .. g7: the deepest allowed
		in := &iotsdk.CreateThingGroupInput{ThingGroupName: aws.String(fmt.Sprintf("g%d", i+1))}
		if parent != "" {
			in.ParentGroupName = aws.String(parent)
		}
		if _, err := c.CreateThingGroup(ctx, in); err != nil {
			t.Fatalf("CreateThingGroup depth %d: %v", i+1, err)
		}
		parent = fmt.Sprintf("g%d", i+1)
	}
	if _, err := c.CreateThing(ctx, &iotsdk.CreateThingInput{ThingName: aws.String("busy")}); err != nil {
		t.Fatal(err)
	}
	for i := range 10 {
		name := fmt.Sprintf("many%d", i)
		if _, err := c.CreateThingGroup(ctx, &iotsdk.CreateThingGroupInput{ThingGroupName: aws.String(name)}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.AddThingToThingGroup(ctx, &iotsdk.AddThingToThingGroupInput{ThingGroupName: aws.String(name), ThingName: aws.String("busy")}); err != nil {
			t.Fatal(err)
		}
	}
	runErrorCases(t, []errorCase{
		{"CreateThingGroup different properties", func() error {
			_, err := c.CreateThingGroup(ctx, &iotsdk.CreateThingGroupInput{ThingGroupName: aws.String("g1"),
				ThingGroupProperties: &types.ThingGroupProperties{ThingGroupDescription: aws.String("other")}})
			return err
		}, is[types.ResourceAlreadyExistsException]()},
		{"CreateThingGroup missing parent", func() error {
			_, err := c.CreateThingGroup(ctx, &iotsdk.CreateThingGroupInput{ThingGroupName: aws.String("x"), ParentGroupName: aws.String("nope")})
			return err
		}, is[types.InvalidRequestException]()},
		{"CreateThingGroup too deep", func() error {
			_, err := c.CreateThingGroup(ctx, &iotsdk.CreateThingGroupInput{ThingGroupName: aws.String("g8"), ParentGroupName: aws.String("g7")})
			return err
		}, is[types.InvalidRequestException]()},
		{"CreateThingGroup bad name", func() error {
			_, err := c.CreateThingGroup(ctx, &iotsdk.CreateThingGroupInput{ThingGroupName: aws.String("a/b")})
			return err
		}, is[types.InvalidRequestException]()},
		{"DescribeThingGroup missing", func() error {
			_, err := c.DescribeThingGroup(ctx, &iotsdk.DescribeThingGroupInput{ThingGroupName: aws.String("nope")})
			return err
		}, is[types.ResourceNotFoundException]()},
		{"UpdateThingGroup missing", func() error {
			_, err := c.UpdateThingGroup(ctx, &iotsdk.UpdateThingGroupInput{ThingGroupName: aws.String("nope"), ThingGroupProperties: &types.ThingGroupProperties{}})
			return err
		}, is[types.ResourceNotFoundException]()},
		{"UpdateThingGroup wrong version", func() error {
			_, err := c.UpdateThingGroup(ctx, &iotsdk.UpdateThingGroupInput{ThingGroupName: aws.String("g1"), ExpectedVersion: aws.Int64(5), ThingGroupProperties: &types.ThingGroupProperties{}})
			return err
		}, is[types.VersionConflictException]()},
		{"DeleteThingGroup wrong version", func() error {
			_, err := c.DeleteThingGroup(ctx, &iotsdk.DeleteThingGroupInput{ThingGroupName: aws.String("g7"), ExpectedVersion: aws.Int64(5)})
			return err
		}, is[types.VersionConflictException]()},
		{"DeleteThingGroup with children", func() error {
			_, err := c.DeleteThingGroup(ctx, &iotsdk.DeleteThingGroupInput{ThingGroupName: aws.String("g1")})
			return err
		}, is[types.InvalidRequestException]()},
		{"AddThingToThingGroup missing group", func() error {
			_, err := c.AddThingToThingGroup(ctx, &iotsdk.AddThingToThingGroupInput{ThingGroupName: aws.String("nope"), ThingName: aws.String("busy")})
			return err
		}, is[types.ResourceNotFoundException]()},
		{"AddThingToThingGroup missing thing", func() error {
			_, err := c.AddThingToThingGroup(ctx, &iotsdk.AddThingToThingGroupInput{ThingGroupName: aws.String("g1"), ThingName: aws.String("nope")})
			return err
		}, is[types.ResourceNotFoundException]()},
		{"AddThingToThingGroup no thing", func() error {
			_, err := c.AddThingToThingGroup(ctx, &iotsdk.AddThingToThingGroupInput{ThingGroupName: aws.String("g1")})
			return err
		}, is[types.InvalidRequestException]()},
		{"AddThingToThingGroup bad ARN", func() error {
			_, err := c.AddThingToThingGroup(ctx, &iotsdk.AddThingToThingGroupInput{ThingGroupArn: aws.String("arn:aws:s3:::b"), ThingName: aws.String("busy")})
			return err
		}, is[types.InvalidRequestException]()},
		{"AddThingToThingGroup eleventh group", func() error {
			_, err := c.AddThingToThingGroup(ctx, &iotsdk.AddThingToThingGroupInput{ThingGroupName: aws.String("g1"), ThingName: aws.String("busy")})
			return err
		}, func(err error) bool { return hasCode(err, "LimitExceededException") }},
		{"RemoveThingFromThingGroup missing group", func() error {
			_, err := c.RemoveThingFromThingGroup(ctx, &iotsdk.RemoveThingFromThingGroupInput{ThingGroupName: aws.String("nope"), ThingName: aws.String("busy")})
			return err
		}, is[types.ResourceNotFoundException]()},
		{"ListThingsInThingGroup missing", func() error {
			_, err := c.ListThingsInThingGroup(ctx, &iotsdk.ListThingsInThingGroupInput{ThingGroupName: aws.String("nope")})
			return err
		}, is[types.ResourceNotFoundException]()},
		{"ListThingGroupsForThing missing", func() error {
			_, err := c.ListThingGroupsForThing(ctx, &iotsdk.ListThingGroupsForThingInput{ThingName: aws.String("nope")})
			return err
		}, is[types.ResourceNotFoundException]()},
		{"ListThingGroups missing parent", func() error {
			_, err := c.ListThingGroups(ctx, &iotsdk.ListThingGroupsInput{ParentGroup: aws.String("nope")})
			return err
		}, is[types.ResourceNotFoundException]()},
	})
}
