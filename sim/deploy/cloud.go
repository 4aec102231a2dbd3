package deploy

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iot"
	iottypes "github.com/aws/aws-sdk-go-v2/service/iot/types"

	"github.com/tgsim/tgsim/sim/flow"
)

// The CLOUD target [INF spec §4.4]. AWS never documented how Things Graph
// ran a flow in the cloud; the permissions it asked for name the pieces:
// one thing group per flow configuration holding the bound things, and one
// topic rule per device topic the runtime must hear (event topics and
// action response topics). Each rule hands the message to the Things
// Graph cloud runtime through a Lambda action on CloudRuntimeFunctionName,
// which tgsim hosts; the rule's SQL carries the topic and the flow
// configuration with the payload:
//
//	SELECT encode(*, 'base64') AS payload, topic() AS topic,
//	       '<flow configuration URN>' AS flowConfiguration FROM '<topic>'
//
// encode(*, 'base64') keeps binary payloads intact. Undeploy removes the
// rules with iot:DeleteTopicRule, which AWS's permission list for Things
// Graph does not name (spec §4.4 note): a policy for tgsim's CLOUD
// undeploy needs it.

// CloudRuntimeFunctionName is the Lambda that stands for the Things Graph
// cloud runtime in the topic rules' actions.
const CloudRuntimeFunctionName = "ThingsGraphCloudRuntime"

// CloudRuntimeFunctionARN is that Lambda's ARN in a region and account.
func CloudRuntimeFunctionARN(region, account string) string {
	return fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", region, account, CloudRuntimeFunctionName)
}

// CloudEnvelope is the JSON a cloud rule sends the runtime.
type CloudEnvelope struct {
	// Payload is the message, base64.
	Payload string `json:"payload"`
	Topic   string `json:"topic"`
	// FlowConfiguration is the system instance (flow configuration) URN.
	FlowConfiguration string `json:"flowConfiguration"`
}

// CloudThingGroupName is the thing group of a CLOUD flow configuration:
// "ThingsGraph_<name>_<hash of the URN>", within the 128 characters and the
// [a-zA-Z0-9:_-] alphabet AWS allows.
func CloudThingGroupName(deploymentID string) string {
	name := nonGroupChars.ReplaceAllString(deploymentName(deploymentID), "_")
	if len(name) > 80 {
		name = name[:80]
	}
	return "ThingsGraph_" + name + "_" + shortHash(deploymentID)
}

var nonGroupChars = regexp.MustCompile(`[^a-zA-Z0-9_-]`)

// cloudRulePrefix starts the name of every rule of one flow configuration;
// rule names allow [a-zA-Z0-9_] only.
func cloudRulePrefix(deploymentID string) string {
	return "ThingsGraph_" + shortHash(deploymentID) + "_"
}

// cloudRuleName names the rule for one topic, stable across redeploys.
func cloudRuleName(deploymentID, topic string) string {
	return cloudRulePrefix(deploymentID) + shortHash(topic)
}

// CloudRuleSQL is the rule statement for one topic of a flow configuration.
func CloudRuleSQL(deploymentID, topic string) string {
	return "SELECT encode(*, 'base64') AS payload, topic() AS topic, '" + strings.ReplaceAll(deploymentID, "'", "''") +
		"' AS flowConfiguration FROM '" + strings.ReplaceAll(topic, "'", "''") + "'"
}

// CloudResult is what a CLOUD deployment created or kept.
type CloudResult struct {
	ThingGroupName string
	ThingGroupARN  string
	// Rules maps each rule name to the topic it forwards.
	Rules map[string]string
	// Removed lists rules of an earlier deployment that are no longer needed.
	Removed []string
	Topics  []flow.TopicUse
	// FirstDeployment is true when the flow configuration had no thing group.
	FirstDeployment bool
}

// DeployCloud prepares AWS IoT for a CLOUD flow configuration: it checks
// every bound thing, creates (or keeps) the configuration's thing group
// with the things in it, and makes the set of topic rules exactly one per
// topic the runtime hears. Reads and checks come first; a failed call
// names its action. A redeploy replaces rules whose statement changed and
// deletes the ones no longer needed.
func (d *Deployer) DeployCloud(ctx context.Context, art *flow.Artifact) (*CloudResult, error) {
	plan, err := flow.Compile(art)
	if err != nil {
		return nil, fmt.Errorf("flow configuration: %w", err)
	}
	topics, err := plan.Topics()
	if err != nil {
		return nil, fmt.Errorf("flow configuration topics: %w", err)
	}
	id := art.Manifest.DeploymentID
	res := &CloudResult{ThingGroupName: CloudThingGroupName(id), Rules: map[string]string{}, Topics: topics}
	for _, t := range topics {
		if t.Direction == flow.ToRuntime {
			res.Rules[cloudRuleName(id, t.Topic)] = t.Topic
		}
	}
	things := sortedKeys(plan.Devices)
	read := map[string]*iot.DescribeThingOutput{}
	for _, thing := range things {
		out, err := d.iot.DescribeThing(ctx, &iot.DescribeThingInput{ThingName: aws.String(thing)})
		if err != nil {
			return nil, call("iot:DescribeThing", err)
		}
		read[thing] = out
	}
	existing, err := d.cloudRules(ctx, id)
	if err != nil {
		return nil, err
	}

	g, err := d.iot.DescribeThingGroup(ctx, &iot.DescribeThingGroupInput{ThingGroupName: aws.String(res.ThingGroupName)})
	switch {
	case err == nil:
		res.ThingGroupARN = aws.ToString(g.ThingGroupArn)
	case isNotFound(err):
		res.FirstDeployment = true
		out, err := d.iot.CreateThingGroup(ctx, &iot.CreateThingGroupInput{
			ThingGroupName: aws.String(res.ThingGroupName),
			ThingGroupProperties: &iottypes.ThingGroupProperties{
				ThingGroupDescription: aws.String("Things bound by the Things Graph flow configuration " + id),
			},
		})
		if err != nil {
			return nil, call("iot:CreateThingGroup", err)
		}
		res.ThingGroupARN = aws.ToString(out.ThingGroupArn)
	default:
		return nil, call("iot:DescribeThingGroup", err)
	}
	if err := d.markThings(ctx, things, id, true, read); err != nil {
		return nil, err
	}
	for _, thing := range things {
		if _, err := d.iot.AddThingToThingGroup(ctx, &iot.AddThingToThingGroupInput{
			ThingGroupName: aws.String(res.ThingGroupName), ThingName: aws.String(thing),
		}); err != nil {
			return nil, call("iot:AddThingToThingGroup", err)
		}
	}

	fnARN := CloudRuntimeFunctionARN(d.opts.AWS.Region, d.opts.AccountID)
	for _, name := range sortedKeys(res.Rules) {
		topic := res.Rules[name]
		payload := &iottypes.TopicRulePayload{
			Sql:              aws.String(CloudRuleSQL(id, topic)),
			AwsIotSqlVersion: aws.String("2016-03-23"),
			Description:      aws.String("Things Graph: " + id + " hears " + topic),
			RuleDisabled:     aws.Bool(false),
			Actions:          []iottypes.Action{{Lambda: &iottypes.LambdaAction{FunctionArn: aws.String(fnARN)}}},
		}
		cur, ok := existing[name]
		switch {
		case !ok:
			if _, err := d.iot.CreateTopicRule(ctx, &iot.CreateTopicRuleInput{RuleName: aws.String(name), TopicRulePayload: payload}); err != nil {
				return nil, call("iot:CreateTopicRule", err)
			}
		case cur != aws.ToString(payload.Sql):
			if _, err := d.iot.ReplaceTopicRule(ctx, &iot.ReplaceTopicRuleInput{RuleName: aws.String(name), TopicRulePayload: payload}); err != nil {
				return nil, call("iot:ReplaceTopicRule", err)
			}
		}
	}
	for _, name := range sortedKeys(existing) {
		if _, ok := res.Rules[name]; ok {
			continue
		}
		if _, err := d.iot.DeleteTopicRule(ctx, &iot.DeleteTopicRuleInput{RuleName: aws.String(name)}); err != nil {
			return nil, call("iot:DeleteTopicRule", err)
		}
		res.Removed = append(res.Removed, name)
	}
	d.log.Info("deployed to the cloud", "deployment", id, "thing_group", res.ThingGroupName, "rules", len(res.Rules), "removed_rules", len(res.Removed))
	return res, nil
}

// cloudRules returns the configuration's existing rules with their SQL.
func (d *Deployer) cloudRules(ctx context.Context, deploymentID string) (map[string]string, error) {
	prefix := cloudRulePrefix(deploymentID)
	out := map[string]string{}
	var token *string
	for {
		page, err := d.iot.ListTopicRules(ctx, &iot.ListTopicRulesInput{NextToken: token})
		if err != nil {
			return nil, call("iot:ListTopicRules", err)
		}
		for _, r := range page.Rules {
			name := aws.ToString(r.RuleName)
			if !strings.HasPrefix(name, prefix) {
				continue
			}
			got, err := d.iot.GetTopicRule(ctx, &iot.GetTopicRuleInput{RuleName: aws.String(name)})
			if err != nil {
				return nil, call("iot:GetTopicRule", err)
			}
			sql := ""
			if got.Rule != nil {
				sql = aws.ToString(got.Rule.Sql)
			}
			out[name] = sql
		}
		if token = page.NextToken; aws.ToString(token) == "" {
			return out, nil
		}
	}
}

// CloudUndeployResult is what UndeployCloud removed.
type CloudUndeployResult struct {
	ThingsRemoved []string
	GroupDeleted  bool
	RulesDeleted  []string
}

// UndeployCloud removes what DeployCloud created: the things from the
// thing group, the group, and the rules. Whatever is already gone is
// skipped, so an interrupted undeploy can be run again.
func (d *Deployer) UndeployCloud(ctx context.Context, deploymentID string) (*CloudUndeployResult, error) {
	res := &CloudUndeployResult{}
	group := CloudThingGroupName(deploymentID)
	var token *string
	var things []string
	exists := true
	for {
		page, err := d.iot.ListThingsInThingGroup(ctx, &iot.ListThingsInThingGroupInput{ThingGroupName: aws.String(group), NextToken: token})
		if isNotFound(err) {
			exists = false
			break
		}
		if err != nil {
			return nil, call("iot:ListThingsInThingGroup", err)
		}
		things = append(things, page.Things...)
		if token = page.NextToken; aws.ToString(token) == "" {
			break
		}
	}
	sort.Strings(things)
	for _, th := range things {
		if _, err := d.iot.RemoveThingFromThingGroup(ctx, &iot.RemoveThingFromThingGroupInput{ThingGroupName: aws.String(group), ThingName: aws.String(th)}); err != nil && !isNotFound(err) {
			return nil, call("iot:RemoveThingFromThingGroup", err)
		}
		res.ThingsRemoved = append(res.ThingsRemoved, th)
	}
	if err := d.markThings(ctx, things, deploymentID, false, nil); err != nil {
		return nil, err
	}
	if exists {
		// AWS: DeleteThingGroup succeeds for a group that does not exist.
		if _, err := d.iot.DeleteThingGroup(ctx, &iot.DeleteThingGroupInput{ThingGroupName: aws.String(group)}); err != nil {
			return nil, call("iot:DeleteThingGroup", err)
		}
		res.GroupDeleted = true
	}
	rules, err := d.cloudRules(ctx, deploymentID)
	if err != nil {
		return nil, err
	}
	for _, name := range sortedKeys(rules) {
		if _, err := d.iot.DeleteTopicRule(ctx, &iot.DeleteTopicRuleInput{RuleName: aws.String(name)}); err != nil && !isNotFound(err) {
			return nil, call("iot:DeleteTopicRule", err)
		}
		res.RulesDeleted = append(res.RulesDeleted, name)
	}
	d.log.Info("undeployed from the cloud", "deployment", deploymentID, "things", len(res.ThingsRemoved), "rules", len(res.RulesDeleted))
	return res, nil
}

func isNotFound(err error) bool {
	var nf *iottypes.ResourceNotFoundException
	return err != nil && errors.As(err, &nf)
}
