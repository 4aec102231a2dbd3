package deploy

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iot"
	iottypes "github.com/aws/aws-sdk-go-v2/service/iot/types"
)

// FlowConfigurationsAttribute is the thing attribute in which deploys
// record which flow configurations bind the thing: their names, sorted and
// comma-separated. [INF] Things Graph's permission list for deploying
// names iot:UpdateThing without saying what it updates (spec §6.3); this
// makes the registry answer "which flows use this device?", and undeploy
// takes the name out again.
const FlowConfigurationsAttribute = "thingsGraphFlowConfigurations"

// maxAttributeValue is AWS IoT's limit on an attribute value.
const maxAttributeValue = 800

// markThings adds (bound) or removes the flow configuration's name in each
// thing's FlowConfigurationsAttribute, with UpdateThing at the version
// read, retrying on a concurrent change. read holds DescribeThing answers
// the caller already has (the deploy read every thing before writing);
// other things, and every retry, are read again. A thing that no longer
// exists is skipped when unbinding.
func (d *Deployer) markThings(ctx context.Context, things []string, deploymentID string, bound bool, read map[string]*iot.DescribeThingOutput) error {
	name := deploymentName(deploymentID)
	for _, thing := range things {
		for attempt := 0; ; attempt++ {
			out := read[thing]
			var err error
			if out == nil || attempt > 0 {
				out, err = d.iot.DescribeThing(ctx, &iot.DescribeThingInput{ThingName: aws.String(thing)})
			}
			if err != nil {
				if !bound && isNotFound(err) {
					break
				}
				return call("iot:DescribeThing", err)
			}
			list := splitList(out.Attributes[FlowConfigurationsAttribute])
			has := slices.Contains(list, name)
			if has == bound {
				break
			}
			if bound {
				list = append(list, name)
				slices.Sort(list)
			} else {
				list = slices.DeleteFunc(list, func(s string) bool { return s == name })
			}
			value := strings.Join(list, ",")
			if len(value) > maxAttributeValue {
				return fmt.Errorf("thing %s is bound by too many flow configurations to list them in its %s attribute (%d characters, AWS IoT allows %d)",
					thing, FlowConfigurationsAttribute, len(value), maxAttributeValue)
			}
			_, err = d.iot.UpdateThing(ctx, &iot.UpdateThingInput{
				ThingName: aws.String(thing), ExpectedVersion: aws.Int64(out.Version),
				// An empty value removes the attribute (AWS: UpdateThing).
				AttributePayload: &iottypes.AttributePayload{Attributes: map[string]string{FlowConfigurationsAttribute: value}, Merge: true},
			})
			var conflict *iottypes.VersionConflictException
			if errors.As(err, &conflict) && attempt < 5 {
				continue
			}
			if err != nil {
				return call("iot:UpdateThing", err)
			}
			break
		}
	}
	return nil
}

// thingNameOf returns NAME of arn:aws:iot:REGION:ACCOUNT:thing/NAME.
func thingNameOf(arn string) (string, bool) {
	_, name, ok := strings.Cut(arn, ":thing/")
	return name, ok && strings.HasPrefix(arn, "arn:") && name != ""
}
