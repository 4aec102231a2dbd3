package scenario

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/greengrass"
	ggtypes "github.com/aws/aws-sdk-go-v2/service/greengrass/types"

	"github.com/tgsim/tgsim/sim/core"
)

// setupCloudSubscriptions appends the setup's thing ↔ cloud subscriptions
// to each group's deployed subscription definition, through the
// Greengrass API as a console user would (GetGroup, GetGroupVersion,
// GetSubscriptionDefinitionVersion, CreateSubscriptionDefinitionVersion,
// CreateGroupVersion, CreateDeployment), and waits for the core to apply
// the deployment.
func (r *runner) setupCloudSubscriptions(ctx context.Context) error {
	byGroup := map[string][]CloudSubSpec{}
	var order []string
	for _, cs := range r.f.Setup.CloudSubscriptions {
		if _, ok := byGroup[cs.Group]; !ok {
			order = append(order, cs.Group)
		}
		byGroup[cs.Group] = append(byGroup[cs.Group], cs)
	}
	gg := r.root.gg
	for _, group := range order {
		fail := func(op string, err error) error {
			return fmt.Errorf("setup.cloudSubscriptions of %s: greengrass %s: %w", group, op, err)
		}
		id, def, err := r.latestGroupVersion(ctx, group)
		if err != nil {
			return fmt.Errorf("setup.cloudSubscriptions of %s: %w", group, err)
		}
		if def == nil {
			return fmt.Errorf("setup.cloudSubscriptions of %s: the group has no version (deploy a flow configuration to it first)", group)
		}
		var subs []ggtypes.Subscription
		var subDefID string
		if arn := aws.ToString(def.SubscriptionDefinitionVersionArn); arn != "" {
			defID, vid, ok := definitionIDs(arn, "subscriptions")
			if !ok {
				return fmt.Errorf("setup.cloudSubscriptions of %s: %q is not a subscription definition version ARN", group, arn)
			}
			subDefID = defID
			out, err := gg.GetSubscriptionDefinitionVersion(ctx, &greengrass.GetSubscriptionDefinitionVersionInput{SubscriptionDefinitionId: &defID, SubscriptionDefinitionVersionId: &vid})
			if err != nil {
				return fail("GetSubscriptionDefinitionVersion", err)
			}
			if out.Definition != nil {
				subs = out.Definition.Subscriptions
			}
		}
		for i, cs := range byGroup[group] {
			source, target := r.arn("thing/"+cs.Thing), core.CloudTarget
			if cs.Direction == "fromCloud" {
				source, target = target, source
			}
			subs = append(subs, ggtypes.Subscription{
				Id:      aws.String(fmt.Sprintf("tgsim-cloud-%d", i+1)),
				Source:  aws.String(source),
				Subject: aws.String(cs.Topic),
				Target:  aws.String(target),
			})
		}
		if subDefID == "" {
			out, err := gg.CreateSubscriptionDefinition(ctx, &greengrass.CreateSubscriptionDefinitionInput{
				Name: aws.String(group + "-cloud"), InitialVersion: &ggtypes.SubscriptionDefinitionVersion{Subscriptions: subs}})
			if err != nil {
				return fail("CreateSubscriptionDefinition", err)
			}
			def.SubscriptionDefinitionVersionArn = out.LatestVersionArn
		} else {
			out, err := gg.CreateSubscriptionDefinitionVersion(ctx, &greengrass.CreateSubscriptionDefinitionVersionInput{SubscriptionDefinitionId: &subDefID, Subscriptions: subs})
			if err != nil {
				return fail("CreateSubscriptionDefinitionVersion", err)
			}
			def.SubscriptionDefinitionVersionArn = out.Arn
		}
		if err := r.deployGroupVersion(ctx, group, id, def); err != nil {
			return fmt.Errorf("setup.cloudSubscriptions of %s: %w", group, err)
		}
	}
	return nil
}

// checkCloudReceived checks what AWS IoT Core accepted on a topic: it
// waits up to five seconds for the count, then 100 ms more so that a
// message too many shows, and compares payloads in order.
func (r *runner) checkCloudReceived(ctx context.Context, name string, c CloudReceivedExpect) {
	on := func() [][]byte {
		var out [][]byte
		for _, m := range r.h.CloudMessages() {
			if m.Topic == c.Topic {
				out = append(out, m.Payload)
			}
		}
		return out
	}
	want := 1
	if c.Count != nil {
		want = *c.Count
	}
	for deadline := time.Now().Add(5 * time.Second); len(on()) < want && time.Now().Before(deadline) && ctx.Err() == nil; {
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond)
	got := on()
	if (c.Count != nil && len(got) != want) || len(got) < want {
		r.check(name, false, "%d messages, want %d", len(got), want)
		return
	}
	if c.Payload == nil {
		r.check(name, true, "%d messages", len(got))
		return
	}
	var bad []string
	for i, p := range got {
		w := normalizeJSON(expand(c.Payload, i+1, ""))
		var v any
		if err := json.Unmarshal(p, &v); err != nil {
			v = string(p)
		}
		if !reflect.DeepEqual(w, v) {
			bad = append(bad, fmt.Sprintf("#%d is %s, want %v", i+1, p, w))
		}
	}
	r.check(name, len(bad) == 0, "%d messages, payloads in order%s", len(got), listIf("; ", bad))
}
