// Package deploy is Things Graph's deploy path, written against the
// official aws-sdk-go-v2 clients. For the GREENGRASS target it stores the
// flow configuration artifact in S3 (server-side encrypted), merges the
// Things Graph runtime function (with its storage volume resource), the
// bound devices, one subscription per device topic and, for Modbus
// devices, the Modbus-RTU Protocol Adapter connector into the group's
// definitions, creates a group version and deploys it. For the CLOUD
// target (cloud.go) it makes a thing group and topic rules. Both record
// the binding in each thing's FlowConfigurationsAttribute (attribute.go). Calls and their order follow spec §4.3; every call is made with the
// credentials the Deployer was given, so a missing permission fails the
// deploy with the failing action named.
//
// Merging keeps every entry Things Graph did not create. Entries it creates
// have ids derived from the flow configuration URN, so a redeploy replaces
// them instead of piling up.
package deploy

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/greengrass"
	ggtypes "github.com/aws/aws-sdk-go-v2/service/greengrass/types"
	"github.com/aws/aws-sdk-go-v2/service/iot"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/tgsim/tgsim/sim/flow"
)

// RuntimeFunctionName is the Lambda name of the Things Graph runtime in a
// group's function definition. [INF] spec §8: modelled as a pinned Lambda.
const RuntimeFunctionName = "ThingsGraphRuntime"

// ArtifactsVariable is the runtime function's environment variable that
// lists the s3://bucket/key of every flow configuration deployed to the group.
const ArtifactsVariable = "TG_ARTIFACTS"

// Options configures a Deployer.
type Options struct {
	// AWS is the SDK configuration (the caller's credentials and region).
	AWS aws.Config
	// Endpoint overrides every client's endpoint (the tgsim edge).
	Endpoint  string
	AccountID string
	Logger    *slog.Logger
}

// Deployer deploys flow configurations to Greengrass groups.
type Deployer struct {
	opts Options
	gg   *greengrass.Client
	iot  *iot.Client
	s3   *s3.Client
	log  *slog.Logger
}

// New builds a Deployer with SDK clients pointed at opts.Endpoint.
func New(opts Options) *Deployer {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	ep := func() *string {
		if opts.Endpoint == "" {
			return nil
		}
		return aws.String(opts.Endpoint)
	}
	return &Deployer{
		opts: opts,
		gg:   greengrass.NewFromConfig(opts.AWS, func(o *greengrass.Options) { o.BaseEndpoint = ep() }),
		iot:  iot.NewFromConfig(opts.AWS, func(o *iot.Options) { o.BaseEndpoint = ep() }),
		s3: s3.NewFromConfig(opts.AWS, func(o *s3.Options) {
			o.BaseEndpoint = ep()
			o.UsePathStyle = true
		}),
		log: opts.Logger.With("component", "deploy"),
	}
}

// Request is one deployment of a flow configuration.
type Request struct {
	Artifact  *flow.Artifact
	GroupName string
	Bucket    string
}

// Result is what a deployment created.
type Result struct {
	GroupID        string
	GroupVersionID string
	DeploymentID   string
	Bucket         string
	ObjectKey      string
	Subscriptions  []ggtypes.Subscription
	// FirstDeployment is true when the group had no Things Graph runtime.
	FirstDeployment bool
}

// CallError is a failed AWS call of the deploy, naming the IAM action.
type CallError struct {
	Action string // e.g. "greengrass:CreateDeployment"
	Err    error
}

func (e *CallError) Error() string {
	var ae smithy.APIError
	if errors.As(e.Err, &ae) {
		return fmt.Sprintf("%s failed: %s: %s", e.Action, ae.ErrorCode(), ae.ErrorMessage())
	}
	return fmt.Sprintf("%s failed: %v", e.Action, e.Err)
}

func (e *CallError) Unwrap() error { return e.Err }

func call(action string, err error) error {
	if err == nil {
		return nil
	}
	return &CallError{Action: action, Err: err}
}

// Deploy runs the whole deploy path. Nothing is written before every read
// and every check has passed.
func (d *Deployer) Deploy(ctx context.Context, req Request) (*Result, error) {
	plan, err := flow.Compile(req.Artifact)
	if err != nil {
		return nil, fmt.Errorf("flow configuration: %w", err)
	}
	topics, err := plan.Topics()
	if err != nil {
		return nil, fmt.Errorf("flow configuration topics: %w", err)
	}
	if req.Bucket == "" {
		return nil, errors.New("the flow configuration has no s3BucketName; a GREENGRASS deployment stores its configuration in S3")
	}
	m := req.Artifact.Manifest
	log := d.log.With("deployment", m.DeploymentID, "group", req.GroupName)

	// 1–2. Resolve the group and read its latest version.
	group, err := d.findGroup(ctx, req.GroupName)
	if err != nil {
		return nil, err
	}
	current := &ggtypes.GroupVersion{}
	if v := aws.ToString(group.LatestVersion); v != "" {
		out, err := d.gg.GetGroupVersion(ctx, &greengrass.GetGroupVersionInput{GroupId: group.Id, GroupVersionId: &v})
		if err != nil {
			return nil, call("greengrass:GetGroupVersion", err)
		}
		if out.Definition != nil {
			current = out.Definition
		}
	}
	// 3. Existing entries to merge with.
	ex, err := d.readExisting(ctx, current)
	if err != nil {
		return nil, err
	}
	// 4. Thing facts.
	things := map[string]thingFacts{}
	for thing := range plan.Devices {
		f, err := d.describeThing(ctx, thing)
		if err != nil {
			return nil, err
		}
		things[thing] = f
	}

	region := d.opts.AWS.Region
	prefix := "tg-" + shortHash(m.DeploymentID) + "-"
	fnArn := fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s:1", region, d.opts.AccountID, RuntimeFunctionName)
	key := flow.ObjectKey(firstFlowName(plan), deploymentName(m.DeploymentID))
	artifactURL := "s3://" + req.Bucket + "/" + key

	functions, first := mergeRuntime(ex.functions, fnArn, artifactURL)
	devices := mergeDevices(ex.devices, prefix, things)
	resources, resChanged := mergeStorage(ex.resources)
	connectors, connChanged := ex.connectors, false
	if modbus := modbusThings(plan); len(modbus) > 0 {
		var adapterArn string
		if connectors, adapterArn, connChanged, err = mergeModbusAdapter(ex.connectors, resources, region, modbus); err != nil {
			return nil, fmt.Errorf("flow configuration %s: %w", m.DeploymentID, err)
		}
		topics = append(topics, modbusTopics(adapterArn)...)
	}
	subs := mergeSubscriptions(ex.subscriptions, prefix, fnArn, things, topics)

	// 7. Store the artifact (SSE-S3).
	body, err := req.Artifact.Encode()
	if err != nil {
		return nil, fmt.Errorf("encode flow configuration: %w", err)
	}
	if _, err := d.s3.PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String(req.Bucket), Key: aws.String(key),
		Body: strings.NewReader(string(body)), ContentType: aws.String("application/gzip"),
		ServerSideEncryption: s3types.ServerSideEncryptionAes256,
	}); err != nil {
		return nil, call("s3:PutObject", err)
	}

	read := map[string]*iot.DescribeThingOutput{}
	for n, f := range things {
		read[n] = f.desc
	}
	if err := d.markThings(ctx, sortedKeys(things), m.DeploymentID, true, read); err != nil {
		return nil, err
	}

	// 5. Write the merged definitions.
	devArn, err := d.writeDevices(ctx, current.DeviceDefinitionVersionArn, devices)
	if err != nil {
		return nil, err
	}
	fnDefArn, err := d.writeFunctions(ctx, current.FunctionDefinitionVersionArn, functions)
	if err != nil {
		return nil, err
	}
	subArn, err := d.writeSubscriptions(ctx, current.SubscriptionDefinitionVersionArn, subs)
	if err != nil {
		return nil, err
	}
	next := *current
	next.DeviceDefinitionVersionArn, next.FunctionDefinitionVersionArn, next.SubscriptionDefinitionVersionArn = devArn, fnDefArn, subArn
	if resChanged {
		if next.ResourceDefinitionVersionArn, err = d.writeResources(ctx, current.ResourceDefinitionVersionArn, resources); err != nil {
			return nil, err
		}
	}
	if connChanged {
		if next.ConnectorDefinitionVersionArn, err = d.writeConnectors(ctx, current.ConnectorDefinitionVersionArn, connectors); err != nil {
			return nil, err
		}
	}
	// 6 and 8. New group version (ours plus everything else copied), deployed.
	versionID, deploymentID, err := d.deployVersion(ctx, group.Id, &next)
	if err != nil {
		return nil, err
	}
	log.Info("deployed to greengrass", "group_id", aws.ToString(group.Id), "group_version", versionID, "greengrass_deployment", deploymentID, "subscriptions", len(subs))
	var ours []ggtypes.Subscription
	for _, s := range subs {
		if strings.HasPrefix(aws.ToString(s.Id), prefix) {
			ours = append(ours, s)
		}
	}
	return &Result{
		GroupID: aws.ToString(group.Id), GroupVersionID: versionID, DeploymentID: deploymentID,
		Bucket: req.Bucket, ObjectKey: key, Subscriptions: ours, FirstDeployment: first,
	}, nil
}

// deployVersion creates a group version with the given definition
// versions (Things Graph's, and everything else copied) and deploys it.
func (d *Deployer) deployVersion(ctx context.Context, groupID *string, v *ggtypes.GroupVersion) (versionID, deploymentID string, err error) {
	gv, err := d.gg.CreateGroupVersion(ctx, &greengrass.CreateGroupVersionInput{
		GroupId:                          groupID,
		CoreDefinitionVersionArn:         v.CoreDefinitionVersionArn,
		ConnectorDefinitionVersionArn:    v.ConnectorDefinitionVersionArn,
		LoggerDefinitionVersionArn:       v.LoggerDefinitionVersionArn,
		ResourceDefinitionVersionArn:     v.ResourceDefinitionVersionArn,
		DeviceDefinitionVersionArn:       v.DeviceDefinitionVersionArn,
		FunctionDefinitionVersionArn:     v.FunctionDefinitionVersionArn,
		SubscriptionDefinitionVersionArn: v.SubscriptionDefinitionVersionArn,
	})
	if err != nil {
		return "", "", call("greengrass:CreateGroupVersion", err)
	}
	dep, err := d.gg.CreateDeployment(ctx, &greengrass.CreateDeploymentInput{
		GroupId: groupID, GroupVersionId: gv.Version, DeploymentType: ggtypes.DeploymentTypeNewDeployment,
	})
	if err != nil {
		return "", "", call("greengrass:CreateDeployment", err)
	}
	return aws.ToString(gv.Version), aws.ToString(dep.DeploymentId), nil
}

// DeploymentStatus asks Greengrass how a deployment is going.
func (d *Deployer) DeploymentStatus(ctx context.Context, groupID, deploymentID string) (status, errMsg string, err error) {
	out, err := d.gg.GetDeploymentStatus(ctx, &greengrass.GetDeploymentStatusInput{GroupId: &groupID, DeploymentId: &deploymentID})
	if err != nil {
		return "", "", call("greengrass:GetDeploymentStatus", err)
	}
	return aws.ToString(out.DeploymentStatus), aws.ToString(out.ErrorMessage), nil
}

func (d *Deployer) findGroup(ctx context.Context, name string) (*ggtypes.GroupInformation, error) {
	var token *string
	for {
		out, err := d.gg.ListGroups(ctx, &greengrass.ListGroupsInput{NextToken: token})
		if err != nil {
			return nil, call("greengrass:ListGroups", err)
		}
		for i := range out.Groups {
			if aws.ToString(out.Groups[i].Name) == name {
				return &out.Groups[i], nil
			}
		}
		if token = out.NextToken; aws.ToString(token) == "" {
			return nil, &groupNotFoundError{name: name}
		}
	}
}

// ErrGroupNotFound is matched (errors.Is) by the error Deploy and Undeploy
// return when the named Greengrass group does not exist.
var ErrGroupNotFound = errors.New("greengrass group not found")

type groupNotFoundError struct{ name string }

func (e *groupNotFoundError) Error() string {
	return fmt.Sprintf("greengrass group %q does not exist in this account and region", e.name)
}

func (e *groupNotFoundError) Is(target error) bool { return target == ErrGroupNotFound }

type thingFacts struct {
	name, arn, certArn string
	desc               *iot.DescribeThingOutput // what DescribeThing answered
}

func (d *Deployer) describeThing(ctx context.Context, name string) (thingFacts, error) {
	out, err := d.iot.DescribeThing(ctx, &iot.DescribeThingInput{ThingName: &name})
	if err != nil {
		return thingFacts{}, call("iot:DescribeThing", err)
	}
	f := thingFacts{name: name, arn: aws.ToString(out.ThingArn), desc: out}
	p, err := d.iot.ListThingPrincipals(ctx, &iot.ListThingPrincipalsInput{ThingName: &name})
	if err != nil {
		return thingFacts{}, call("iot:ListThingPrincipals", err)
	}
	for _, pr := range p.Principals {
		if strings.Contains(pr, ":cert/") {
			f.certArn = pr
			break
		}
	}
	if f.certArn == "" {
		return thingFacts{}, fmt.Errorf("thing %s has no certificate attached; a Greengrass device entry needs one (attach one with iot:AttachThingPrincipal)", name)
	}
	return f, nil
}

type existing struct {
	devices       []ggtypes.Device
	functions     []ggtypes.Function
	subscriptions []ggtypes.Subscription
	resources     []ggtypes.Resource
	connectors    []ggtypes.Connector
}

func (d *Deployer) readExisting(ctx context.Context, gv *ggtypes.GroupVersion) (*existing, error) {
	ex := &existing{}
	if arn := aws.ToString(gv.DeviceDefinitionVersionArn); arn != "" {
		id, vid, err := versionIDs(arn, "devices")
		if err != nil {
			return nil, err
		}
		out, err := d.gg.GetDeviceDefinitionVersion(ctx, &greengrass.GetDeviceDefinitionVersionInput{DeviceDefinitionId: &id, DeviceDefinitionVersionId: &vid})
		if err != nil {
			return nil, call("greengrass:GetDeviceDefinitionVersion", err)
		}
		if out.Definition != nil {
			ex.devices = out.Definition.Devices
		}
	}
	if arn := aws.ToString(gv.FunctionDefinitionVersionArn); arn != "" {
		id, vid, err := versionIDs(arn, "functions")
		if err != nil {
			return nil, err
		}
		out, err := d.gg.GetFunctionDefinitionVersion(ctx, &greengrass.GetFunctionDefinitionVersionInput{FunctionDefinitionId: &id, FunctionDefinitionVersionId: &vid})
		if err != nil {
			return nil, call("greengrass:GetFunctionDefinitionVersion", err)
		}
		if out.Definition != nil {
			ex.functions = out.Definition.Functions
		}
	}
	if arn := aws.ToString(gv.SubscriptionDefinitionVersionArn); arn != "" {
		id, vid, err := versionIDs(arn, "subscriptions")
		if err != nil {
			return nil, err
		}
		out, err := d.gg.GetSubscriptionDefinitionVersion(ctx, &greengrass.GetSubscriptionDefinitionVersionInput{SubscriptionDefinitionId: &id, SubscriptionDefinitionVersionId: &vid})
		if err != nil {
			return nil, call("greengrass:GetSubscriptionDefinitionVersion", err)
		}
		if out.Definition != nil {
			ex.subscriptions = out.Definition.Subscriptions
		}
	}
	if arn := aws.ToString(gv.ResourceDefinitionVersionArn); arn != "" {
		id, vid, err := versionIDs(arn, "resources")
		if err != nil {
			return nil, err
		}
		out, err := d.gg.GetResourceDefinitionVersion(ctx, &greengrass.GetResourceDefinitionVersionInput{ResourceDefinitionId: &id, ResourceDefinitionVersionId: &vid})
		if err != nil {
			return nil, call("greengrass:GetResourceDefinitionVersion", err)
		}
		if out.Definition != nil {
			ex.resources = out.Definition.Resources
		}
	}
	if arn := aws.ToString(gv.ConnectorDefinitionVersionArn); arn != "" {
		id, vid, err := versionIDs(arn, "connectors")
		if err != nil {
			return nil, err
		}
		out, err := d.gg.GetConnectorDefinitionVersion(ctx, &greengrass.GetConnectorDefinitionVersionInput{ConnectorDefinitionId: &id, ConnectorDefinitionVersionId: &vid})
		if err != nil {
			return nil, call("greengrass:GetConnectorDefinitionVersion", err)
		}
		if out.Definition != nil {
			ex.connectors = out.Definition.Connectors
		}
	}
	return ex, nil
}

// mergeRuntime adds the runtime function (or adds this artifact to it).
func mergeRuntime(fns []ggtypes.Function, fnArn, artifact string) ([]ggtypes.Function, bool) {
	out := make([]ggtypes.Function, 0, len(fns)+1)
	found := false
	for _, f := range fns {
		if aws.ToString(f.Id) == "tg-runtime" {
			found = true
			vars := map[string]string{}
			if f.FunctionConfiguration != nil && f.FunctionConfiguration.Environment != nil {
				for k, v := range f.FunctionConfiguration.Environment.Variables {
					vars[k] = v
				}
			}
			list := splitList(vars[ArtifactsVariable])
			if !containsStr(list, artifact) {
				list = append(list, artifact)
			}
			sort.Strings(list)
			vars[ArtifactsVariable] = strings.Join(list, ",")
			f = runtimeFunction(fnArn, vars)
		}
		out = append(out, f)
	}
	if !found {
		out = append(out, runtimeFunction(fnArn, map[string]string{ArtifactsVariable: artifact}))
	}
	return out, !found
}

func runtimeFunction(fnArn string, vars map[string]string) ggtypes.Function {
	return ggtypes.Function{
		Id:          aws.String("tg-runtime"),
		FunctionArn: aws.String(fnArn),
		FunctionConfiguration: &ggtypes.FunctionConfiguration{
			Pinned:       aws.Bool(true),
			EncodingType: ggtypes.EncodingTypeJson,
			MemorySize:   aws.Int32(262144),
			Timeout:      aws.Int32(300),
			Environment: &ggtypes.FunctionConfigurationEnvironment{
				Variables: vars,
				// The runtime keeps ThingsGraph.db and its engine state in
				// /thingsgraph [DOC ug:iot-tg-greengrass].
				ResourceAccessPolicies: []ggtypes.ResourceAccessPolicy{{ResourceId: aws.String(StorageResourceID), Permission: ggtypes.PermissionRw}},
			},
		},
	}
}

// mergeDevices keeps others' entries and adds every bound thing not yet in
// the definition.
func mergeDevices(devs []ggtypes.Device, prefix string, things map[string]thingFacts) []ggtypes.Device {
	var out []ggtypes.Device
	have := map[string]bool{}
	for _, d := range devs {
		if strings.HasPrefix(aws.ToString(d.Id), prefix) {
			continue
		}
		out = append(out, d)
		have[aws.ToString(d.ThingArn)] = true
	}
	for _, name := range sortedKeys(things) {
		f := things[name]
		if have[f.arn] {
			continue
		}
		out = append(out, ggtypes.Device{Id: aws.String(prefix + name), ThingArn: aws.String(f.arn), CertificateArn: aws.String(f.certArn), SyncShadow: aws.Bool(false)})
	}
	return out
}

// mergeSubscriptions keeps others' entries and replaces this configuration's:
// one subscription per device topic, between the device and the runtime.
// [DOC ug:iot-tg-security-gg]
func mergeSubscriptions(subs []ggtypes.Subscription, prefix, fnArn string, things map[string]thingFacts, topics []flow.TopicUse) []ggtypes.Subscription {
	var out []ggtypes.Subscription
	for _, s := range subs {
		if !strings.HasPrefix(aws.ToString(s.Id), prefix) {
			out = append(out, s)
		}
	}
	for i, t := range topics {
		// The peer is a bound thing, or a connector named by its ARN
		// (modbusTopics).
		thingArn := things[t.Thing].arn
		if thingArn == "" {
			thingArn = t.Thing
		}
		src, dst := thingArn, fnArn
		if t.Direction == flow.FromRuntime {
			src, dst = fnArn, thingArn
		}
		out = append(out, ggtypes.Subscription{Id: aws.String(fmt.Sprintf("%s%d", prefix, i+1)), Source: aws.String(src), Subject: aws.String(t.Topic), Target: aws.String(dst)})
	}
	return out
}

func (d *Deployer) writeDevices(ctx context.Context, current *string, devs []ggtypes.Device) (*string, error) {
	if arn := aws.ToString(current); arn != "" {
		id, _, err := versionIDs(arn, "devices")
		if err != nil {
			return nil, err
		}
		out, err := d.gg.CreateDeviceDefinitionVersion(ctx, &greengrass.CreateDeviceDefinitionVersionInput{DeviceDefinitionId: &id, Devices: devs})
		if err != nil {
			return nil, call("greengrass:CreateDeviceDefinitionVersion", err)
		}
		return out.Arn, nil
	}
	out, err := d.gg.CreateDeviceDefinition(ctx, &greengrass.CreateDeviceDefinitionInput{Name: aws.String("ThingsGraph"), InitialVersion: &ggtypes.DeviceDefinitionVersion{Devices: devs}})
	if err != nil {
		return nil, call("greengrass:CreateDeviceDefinition", err)
	}
	return out.LatestVersionArn, nil
}

func (d *Deployer) writeFunctions(ctx context.Context, current *string, fns []ggtypes.Function) (*string, error) {
	if arn := aws.ToString(current); arn != "" {
		id, _, err := versionIDs(arn, "functions")
		if err != nil {
			return nil, err
		}
		out, err := d.gg.CreateFunctionDefinitionVersion(ctx, &greengrass.CreateFunctionDefinitionVersionInput{FunctionDefinitionId: &id, Functions: fns})
		if err != nil {
			return nil, call("greengrass:CreateFunctionDefinitionVersion", err)
		}
		return out.Arn, nil
	}
	out, err := d.gg.CreateFunctionDefinition(ctx, &greengrass.CreateFunctionDefinitionInput{Name: aws.String("ThingsGraph"), InitialVersion: &ggtypes.FunctionDefinitionVersion{Functions: fns}})
	if err != nil {
		return nil, call("greengrass:CreateFunctionDefinition", err)
	}
	return out.LatestVersionArn, nil
}

func (d *Deployer) writeSubscriptions(ctx context.Context, current *string, subs []ggtypes.Subscription) (*string, error) {
	if arn := aws.ToString(current); arn != "" {
		id, _, err := versionIDs(arn, "subscriptions")
		if err != nil {
			return nil, err
		}
		out, err := d.gg.CreateSubscriptionDefinitionVersion(ctx, &greengrass.CreateSubscriptionDefinitionVersionInput{SubscriptionDefinitionId: &id, Subscriptions: subs})
		if err != nil {
			return nil, call("greengrass:CreateSubscriptionDefinitionVersion", err)
		}
		return out.Arn, nil
	}
	out, err := d.gg.CreateSubscriptionDefinition(ctx, &greengrass.CreateSubscriptionDefinitionInput{Name: aws.String("ThingsGraph"), InitialVersion: &ggtypes.SubscriptionDefinitionVersion{Subscriptions: subs}})
	if err != nil {
		return nil, call("greengrass:CreateSubscriptionDefinition", err)
	}
	return out.LatestVersionArn, nil
}

// versionIDs parses arn:...:/greengrass/definition/KIND/ID/versions/VID.
func versionIDs(arn, kind string) (id, vid string, err error) {
	_, rest, ok := strings.Cut(arn, ":/greengrass/definition/"+kind+"/")
	if ok {
		id, vid, ok = strings.Cut(rest, "/versions/")
	}
	if !ok || id == "" || vid == "" || strings.Contains(vid, "/") {
		return "", "", fmt.Errorf("%q is not a %s definition version ARN", arn, kind)
	}
	return id, vid, nil
}

// deploymentName is the last path of a flow configuration URN.
func deploymentName(urn string) string {
	if i := strings.LastIndexAny(urn, ":/"); i >= 0 {
		return urn[i+1:]
	}
	return urn
}

func firstFlowName(p *flow.Plan) string {
	var names []string
	for _, w := range p.System.Workflows {
		if f := p.Flows[w.Name]; f != nil {
			names = append(names, f.Name)
		}
	}
	if len(names) == 0 {
		return "configuration"
	}
	return names[0]
}

func shortHash(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:4])
}

func splitList(s string) []string {
	var out []string
	for _, x := range strings.Split(s, ",") {
		if x = strings.TrimSpace(x); x != "" {
			out = append(out, x)
		}
	}
	return out
}

func containsStr(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
