package iot_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	iotsdk "github.com/aws/aws-sdk-go-v2/service/iot"
	"github.com/aws/aws-sdk-go-v2/service/iot/types"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"

	"github.com/tgsim/tgsim/fakes/iot"
)

// errorCase is one row of an error table: a call through the SDK and the
// typed exception it must return.
type errorCase struct {
	name string
	call func() error
	want func(error) bool
}

// is reports whether err is the SDK's typed exception T.
func is[T any, PT interface {
	*T
	error
}]() func(error) bool {
	return func(err error) bool {
		var target PT
		return errors.As(err, &target)
	}
}

func runErrorCases(t *testing.T, cases []errorCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			if err == nil || !tc.want(err) {
				t.Errorf("%s: error = %v, want the typed exception", tc.name, err)
			}
		})
	}
}

func TestThingTypes(t *testing.T) {
	ctx := context.Background()
	srv, c := newClient(t, iot.Options{AccountID: "123456789012", NewID: counterIDs()})

	out, err := c.CreateThingType(ctx, &iotsdk.CreateThingTypeInput{ThingTypeName: aws.String("Lamp"),
		ThingTypeProperties: &types.ThingTypeProperties{ThingTypeDescription: aws.String("a lamp"), SearchableAttributes: []string{"room"}}})
	if err != nil {
		t.Fatalf("CreateThingType: %v", err)
	}
	if got, want := aws.ToString(out.ThingTypeArn), "arn:aws:iot:us-east-1:123456789012:thingtype/Lamp"; got != want {
		t.Errorf("CreateThingType ARN = %q, want %q", got, want)
	}
	desc, err := c.DescribeThingType(ctx, &iotsdk.DescribeThingTypeInput{ThingTypeName: aws.String("Lamp")})
	if err != nil {
		t.Fatalf("DescribeThingType: %v", err)
	}
	if got := desc.ThingTypeProperties; aws.ToString(got.ThingTypeDescription) != "a lamp" || !cmp.Equal(got.SearchableAttributes, []string{"room"}) ||
		desc.ThingTypeMetadata.Deprecated || desc.ThingTypeMetadata.CreationDate == nil {
		t.Errorf("DescribeThingType = %+v %+v", got, desc.ThingTypeMetadata)
	}

	// A typed thing holds up to 50 attributes; only searchable ones find it.
	attrs := map[string]string{"room": "kitchen"}
	for i := range 49 {
		attrs[fmt.Sprintf("a%d", i)] = "v"
	}
	if _, err := c.CreateThing(ctx, &iotsdk.CreateThingInput{ThingName: aws.String("lamp-1"), ThingTypeName: aws.String("Lamp"),
		AttributePayload: &types.AttributePayload{Attributes: attrs}}); err != nil {
		t.Fatalf("CreateThing with 50 attributes and a type: %v", err)
	}
	if _, err := c.CreateThing(ctx, &iotsdk.CreateThingInput{ThingName: aws.String("plain"),
		AttributePayload: &types.AttributePayload{Attributes: map[string]string{"a0": "v"}}}); err != nil {
		t.Fatal(err)
	}
	list := func(in *iotsdk.ListThingsInput) []string {
		t.Helper()
		out, err := c.ListThings(ctx, in)
		if err != nil {
			t.Fatalf("ListThings: %v", err)
		}
		var names []string
		for _, th := range out.Things {
			names = append(names, aws.ToString(th.ThingName))
		}
		return names
	}
	if got := list(&iotsdk.ListThingsInput{AttributeName: aws.String("room"), AttributeValue: aws.String("kitchen")}); !cmp.Equal(got, []string{"lamp-1"}) {
		t.Errorf("ListThings by searchable attribute = %v, want [lamp-1]", got)
	}
	if got := list(&iotsdk.ListThingsInput{AttributeName: aws.String("a0")}); !cmp.Equal(got, []string{"plain"}) {
		t.Errorf("ListThings by non-searchable attribute = %v, want [plain]", got)
	}
	if got := list(&iotsdk.ListThingsInput{ThingTypeName: aws.String("Lamp")}); !cmp.Equal(got, []string{"lamp-1"}) {
		t.Errorf("ListThings by type = %v, want [lamp-1]", got)
	}

	lt, err := c.ListThingTypes(ctx, &iotsdk.ListThingTypesInput{})
	if err != nil || len(lt.ThingTypes) != 1 || aws.ToString(lt.ThingTypes[0].ThingTypeName) != "Lamp" {
		t.Fatalf("ListThingTypes = %+v, %v", lt, err)
	}

	// Deprecate: no new things; delete needs no things of the type.
	if _, err := c.DeprecateThingType(ctx, &iotsdk.DeprecateThingTypeInput{ThingTypeName: aws.String("Lamp")}); err != nil {
		t.Fatalf("DeprecateThingType: %v", err)
	}
	desc, _ = c.DescribeThingType(ctx, &iotsdk.DescribeThingTypeInput{ThingTypeName: aws.String("Lamp")})
	if !desc.ThingTypeMetadata.Deprecated || desc.ThingTypeMetadata.DeprecationDate == nil {
		t.Errorf("after DeprecateThingType: metadata %+v", desc.ThingTypeMetadata)
	}
	var invalid *types.InvalidRequestException
	if _, err := c.CreateThing(ctx, &iotsdk.CreateThingInput{ThingName: aws.String("lamp-2"), ThingTypeName: aws.String("Lamp")}); !errors.As(err, &invalid) {
		t.Errorf("CreateThing with deprecated type = %v, want InvalidRequestException", err)
	}
	if _, err := c.DeleteThingType(ctx, &iotsdk.DeleteThingTypeInput{ThingTypeName: aws.String("Lamp")}); !errors.As(err, &invalid) {
		t.Errorf("DeleteThingType in use = %v, want InvalidRequestException", err)
	}
	// removeThingType: back to the three-attribute limit.
	if _, err := c.UpdateThing(ctx, &iotsdk.UpdateThingInput{ThingName: aws.String("lamp-1"), RemoveThingType: true}); !errors.As(err, &invalid) {
		t.Errorf("UpdateThing removeThingType with 50 attributes = %v, want InvalidRequestException", err)
	}
	if _, err := c.UpdateThing(ctx, &iotsdk.UpdateThingInput{ThingName: aws.String("lamp-1"), RemoveThingType: true,
		AttributePayload: &types.AttributePayload{Attributes: map[string]string{"room": "hall"}}}); err != nil {
		t.Fatalf("UpdateThing removeThingType: %v", err)
	}
	if th, _ := srv.Thing("lamp-1"); th.TypeName != "" || th.Version != 2 {
		t.Errorf("after removeThingType: %+v", th)
	}
	// Divergence: AWS waits five minutes after deprecation; here at once.
	if _, err := c.DeleteThingType(ctx, &iotsdk.DeleteThingTypeInput{ThingTypeName: aws.String("Lamp")}); err != nil {
		t.Fatalf("DeleteThingType: %v", err)
	}
	var notFound *types.ResourceNotFoundException
	if _, err := c.DescribeThingType(ctx, &iotsdk.DescribeThingTypeInput{ThingTypeName: aws.String("Lamp")}); !errors.As(err, &notFound) {
		t.Errorf("DescribeThingType after delete = %v, want ResourceNotFoundException", err)
	}
}

func TestThingTypeErrors(t *testing.T) {
	ctx := context.Background()
	_, c := newClient(t, iot.Options{})
	for _, n := range []string{"Used", "Fresh", "Old"} {
		if _, err := c.CreateThingType(ctx, &iotsdk.CreateThingTypeInput{ThingTypeName: aws.String(n)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.CreateThing(ctx, &iotsdk.CreateThingInput{ThingName: aws.String("t"), ThingTypeName: aws.String("Used")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeprecateThingType(ctx, &iotsdk.DeprecateThingTypeInput{ThingTypeName: aws.String("Old")}); err != nil {
		t.Fatal(err)
	}
	runErrorCases(t, []errorCase{
		{"CreateThingType exists", func() error {
			_, err := c.CreateThingType(ctx, &iotsdk.CreateThingTypeInput{ThingTypeName: aws.String("Used")})
			return err
		}, is[types.ResourceAlreadyExistsException]()},
		{"CreateThingType bad name", func() error {
			_, err := c.CreateThingType(ctx, &iotsdk.CreateThingTypeInput{ThingTypeName: aws.String("a b")})
			return err
		}, is[types.InvalidRequestException]()},
		{"CreateThingType four searchable attributes", func() error {
			_, err := c.CreateThingType(ctx, &iotsdk.CreateThingTypeInput{ThingTypeName: aws.String("Many"),
				ThingTypeProperties: &types.ThingTypeProperties{SearchableAttributes: []string{"a", "b", "c", "d"}}})
			return err
		}, is[types.InvalidRequestException]()},
		{"CreateThingType long description", func() error {
			_, err := c.CreateThingType(ctx, &iotsdk.CreateThingTypeInput{ThingTypeName: aws.String("Long"),
				ThingTypeProperties: &types.ThingTypeProperties{ThingTypeDescription: aws.String(strings.Repeat("x", 2029))}})
			return err
		}, is[types.InvalidRequestException]()},
		{"DescribeThingType missing", func() error {
			_, err := c.DescribeThingType(ctx, &iotsdk.DescribeThingTypeInput{ThingTypeName: aws.String("Nope")})
			return err
		}, is[types.ResourceNotFoundException]()},
		{"DeprecateThingType missing", func() error {
			_, err := c.DeprecateThingType(ctx, &iotsdk.DeprecateThingTypeInput{ThingTypeName: aws.String("Nope")})
			return err
		}, is[types.ResourceNotFoundException]()},
		{"DeleteThingType missing", func() error {
			_, err := c.DeleteThingType(ctx, &iotsdk.DeleteThingTypeInput{ThingTypeName: aws.String("Nope")})
			return err
		}, is[types.ResourceNotFoundException]()},
		{"DeleteThingType not deprecated", func() error {
			_, err := c.DeleteThingType(ctx, &iotsdk.DeleteThingTypeInput{ThingTypeName: aws.String("Fresh")})
			return err
		}, is[types.InvalidRequestException]()},
		{"CreateThing unknown type", func() error {
			_, err := c.CreateThing(ctx, &iotsdk.CreateThingInput{ThingName: aws.String("x"), ThingTypeName: aws.String("Nope")})
			return err
		}, is[types.ResourceNotFoundException]()},
		{"UpdateThing to deprecated type", func() error {
			_, err := c.UpdateThing(ctx, &iotsdk.UpdateThingInput{ThingName: aws.String("t"), ThingTypeName: aws.String("Old")})
			return err
		}, is[types.InvalidRequestException]()},
		{"UpdateThing to unknown type", func() error {
			_, err := c.UpdateThing(ctx, &iotsdk.UpdateThingInput{ThingName: aws.String("t"), ThingTypeName: aws.String("Nope")})
			return err
		}, is[types.ResourceNotFoundException]()},
	})
	// undoDeprecate makes the type usable again.
	if _, err := c.DeprecateThingType(ctx, &iotsdk.DeprecateThingTypeInput{ThingTypeName: aws.String("Old"), UndoDeprecate: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateThing(ctx, &iotsdk.CreateThingInput{ThingName: aws.String("u"), ThingTypeName: aws.String("Old")}); err != nil {
		t.Errorf("CreateThing after undoDeprecate: %v", err)
	}
}

// hasCode reports whether err is an AWS API error with the given code, for
// codes an operation's model does not list (the SDK then returns a generic
// API error).
func hasCode(err error, code string) bool {
	var ae smithy.APIError
	return errors.As(err, &ae) && ae.ErrorCode() == code
}
