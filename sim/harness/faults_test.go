package harness_test

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iot"
	"github.com/aws/smithy-go"

	"github.com/tgsim/tgsim/fakes/edge"
	"github.com/tgsim/tgsim/sim/harness"
)

// TestHarnessFaults: a fault armed through the Go API fails the
// operation it names, past the SDK's three attempts, and no other.
func TestHarnessFaults(t *testing.T) {
	h, err := harness.Start(harness.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	if _, err := h.Faults().Add(edge.Fault{Service: "iot", Operation: "ListThings", Times: 3}); err != nil {
		t.Fatal(err)
	}
	c := iot.NewFromConfig(h.AWS, func(o *iot.Options) { o.BaseEndpoint = aws.String(h.URL) })
	ctx := context.Background()
	if _, err := c.ListThingGroups(ctx, &iot.ListThingGroupsInput{}); err != nil {
		t.Errorf("ListThingGroups, not faulted: %v", err)
	}
	_, err = c.ListThings(ctx, &iot.ListThingsInput{})
	var api smithy.APIError
	if !errors.As(err, &api) || api.ErrorCode() != "ThrottlingException" {
		t.Fatalf("ListThings = %v, want ThrottlingException after the retries", err)
	}
	if _, err := c.ListThings(ctx, &iot.ListThingsInput{}); err != nil {
		t.Errorf("ListThings once the fault is used up: %v", err)
	}
	if l := h.Faults().List(); len(l) != 1 || l[0].Injected != 3 || l[0].Remaining() != 0 {
		t.Errorf("faults = %+v, want one with 3 injected, none remaining", l)
	}
}
