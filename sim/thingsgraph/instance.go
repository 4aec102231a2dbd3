package thingsgraph

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/aws/smithy-go"

	"github.com/tgsim/tgsim/fakes/awsproto"
	"github.com/tgsim/tgsim/sim/deploy"
	"github.com/tgsim/tgsim/sim/flow"
	"github.com/tgsim/tgsim/sim/tdm"
)

// Deployment statuses [API SystemInstanceDeploymentStatus].
const (
	statusNotDeployed      = "NOT_DEPLOYED"
	statusBootstrap        = "BOOTSTRAP"
	statusDeployInProgress = "DEPLOY_IN_PROGRESS"
	statusDeployed         = "DEPLOYED_IN_TARGET"
	statusFailed           = "FAILED"
)

type instance struct {
	id, name, text     string
	deployment         *tdm.Deployment
	target             string
	groupName          string
	bucket             string
	flowRoleArn        string
	metrics            *metricsConfiguration
	tags               []tag
	status             string
	created, updated   time.Time
	nsVersion          int64
	deps               []dependencyRevision
	ggGroupID          string
	ggGroupVersionID   string
	ggDeploymentID     string
	lastError          string
	things             map[string]string // bound thing → device URN
	systemID           string
	systemFlowsByRoles map[string]string
}

type metricsConfiguration struct {
	CloudMetricEnabled bool   `json:"cloudMetricEnabled,omitempty"`
	MetricRuleRoleArn  string `json:"metricRuleRoleArn,omitempty"`
}

type tag struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

type dependencyRevision struct {
	ID             string `json:"id"`
	RevisionNumber int64  `json:"revisionNumber"`
}

type createSystemInstanceInput struct {
	Tags                 []tag                 `json:"tags"`
	Definition           *definitionDocument   `json:"definition"`
	Target               string                `json:"target"`
	GreengrassGroupName  string                `json:"greengrassGroupName"`
	S3BucketName         string                `json:"s3BucketName"`
	MetricsConfiguration *metricsConfiguration `json:"metricsConfiguration"`
	FlowActionsRoleArn   string                `json:"flowActionsRoleArn"`
}

// CreateSystemInstance validates a flow configuration against its system
// and the thing associations and stores it NOT_DEPLOYED.
// AWS: CreateSystemInstance.
func (s *Service) CreateSystemInstance(ctx context.Context, body []byte) (any, error) {
	var in createSystemInstanceInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	switch in.Target {
	case "GREENGRASS":
		if in.GreengrassGroupName == "" {
			return nil, invalidRequest("greengrassGroupName is required when target is GREENGRASS")
		}
		if in.S3BucketName == "" {
			return nil, invalidRequest("s3BucketName is required when target is GREENGRASS")
		}
	case "CLOUD":
		if in.FlowActionsRoleArn == "" {
			return nil, invalidRequest("flowActionsRoleArn is required when target is CLOUD")
		}
	case "":
		return nil, invalidRequest("target is required (GREENGRASS or CLOUD)")
	default:
		return nil, invalidRequest("target %q is not one of GREENGRASS, CLOUD", in.Target)
	}
	if r := in.FlowActionsRoleArn; r != "" && (len(r) < 20 || len(r) > 2048) {
		return nil, invalidRequest("flowActionsRoleArn must be 20-2048 characters, found %d", len(r))
	}
	// Handing a role to Things Graph needs iam:PassRole on it.
	// [SAR] iam:PassedToService is the service the role is passed to.
	for _, role := range []string{in.FlowActionsRoleArn, metricRole(in.MetricsConfiguration)} {
		if role == "" {
			continue
		}
		if err := awsproto.AuthorizerFrom(ctx).Authorize(ctx, "iam:PassRole", role, map[string][]string{"iam:PassedToService": {"iotthingsgraph.amazonaws.com"}}); err != nil {
			return nil, err
		}
	}
	if len(in.Tags) > 50 {
		return nil, invalidRequest("tags: %d tags; the maximum is 50", len(in.Tags))
	}
	for i, t := range in.Tags {
		if len(t.Key) < 1 || len(t.Key) > 128 || len(t.Value) > 256 {
			return nil, invalidRequest("tags[%d]: key must be 1-128 and value 0-256 characters", i)
		}
	}
	set, ent, err := parseOne(in.Definition, tdm.Kind("DEPLOYMENT"))
	if err != nil {
		return nil, err
	}
	if err := s.checkOwnNamespace(ctx, ent); err != nil {
		return nil, err
	}
	dep := set.Deployments[tdm.Key(ent.ID)]

	s.mu.Lock()
	defer s.mu.Unlock()
	key := tdm.Key(ent.ID)
	if s.instances[key] != nil {
		return nil, alreadyExists("%s already exists", ent.ID)
	}
	acct := s.accounts[accountNamespaceName(s.region(ctx), s.account(ctx))]
	sysT := s.systems[tdm.Key(dep.SystemID)]
	if sysT == nil {
		return nil, invalidRequest("%s: %s: system %s does not exist; create it with CreateSystemTemplate", dep.Pos, ent.ID, dep.SystemID)
	}
	sysSet, _, err := parseOne(&definitionDocument{Language: "GRAPHQL", Text: sysT.text}, tdm.Kind("SYSTEM"))
	if err != nil {
		return nil, fmt.Errorf("stored system %s: %w", dep.SystemID, err)
	}
	sys := sysSet.Systems[tdm.Key(dep.SystemID)]
	resolve := s.resolverLocked(acct)
	bound := map[string]string{}
	for _, b := range dep.Bindings {
		bound[b.Role] = b.ThingName
	}
	var problems []string
	things := map[string]string{}
	roleKnown := map[string]bool{}
	for _, role := range sys.Things {
		roleKnown[role.Name] = true
		thing, ok := bound[role.Name]
		if !ok {
			problems = append(problems, fmt.Sprintf("%s: role %s of system %s is not bound to a thing; add %s(deviceId: \"<thing name>\")", dep.Pos, role.Name, sys.ID, role.Name))
			continue
		}
		devID := s.things[thing]["DEVICE"]
		if devID == "" {
			problems = append(problems, fmt.Sprintf("%s: thing %s (role %s) is not associated with a device; call AssociateEntityToThing", dep.Pos, thing, role.Name))
			continue
		}
		devEnt := resolve(tdm.Key(devID))
		if devEnt == nil {
			problems = append(problems, fmt.Sprintf("%s: device %s associated with thing %s no longer exists", dep.Pos, devID, thing))
			continue
		}
		if !implementsRole(devEnt, role.ID) {
			problems = append(problems, fmt.Sprintf("%s: thing %s is associated with device %s, which does not implement %s required by role %s", dep.Pos, thing, devID, role.ID, role.Name))
			continue
		}
		things[thing] = devID
	}
	for _, b := range dep.Bindings {
		if !roleKnown[b.Role] {
			problems = append(problems, fmt.Sprintf("%s: binding %s: system %s has no device role %q", dep.Pos, b.Role, sys.ID, b.Role))
		}
	}
	flowsByRole := map[string]string{}
	deps := []dependencyRevision{{ID: sysT.id, RevisionNumber: sysT.revision}}
	for _, w := range sys.Workflows {
		ft := s.flows[tdm.Key(w.ID)]
		if ft == nil {
			problems = append(problems, fmt.Sprintf("%s: flow %s of system %s does not exist", dep.Pos, w.ID, sys.ID))
			continue
		}
		flowsByRole[w.Name] = ft.id
		deps = append(deps, dependencyRevision{ID: ft.id, RevisionNumber: ft.revision})
	}
	if len(problems) > 0 {
		return nil, invalidRequest("%s", strings.Join(problems, "; "))
	}
	now := s.opts.Now()
	inst := &instance{
		id: ent.ID, name: ent.Name, text: in.Definition.Text, deployment: dep, target: in.Target,
		groupName: in.GreengrassGroupName, bucket: in.S3BucketName, flowRoleArn: in.FlowActionsRoleArn,
		metrics: in.MetricsConfiguration, tags: in.Tags, status: statusNotDeployed, created: now, updated: now,
		nsVersion: nsVersion(acct), deps: deps, things: things, systemID: sys.ID, systemFlowsByRoles: flowsByRole,
	}
	s.instances[key] = inst
	s.log.InfoContext(ctx, "system instance created", "id", inst.id, "target", inst.target)
	return map[string]any{"summary": s.instanceSummary(ctx, inst)}, nil
}

func metricRole(m *metricsConfiguration) string {
	if m == nil {
		return ""
	}
	return m.MetricRuleRoleArn
}

// implementsRole reports whether a device entity fills a system role whose
// id is a device model or a device.
func implementsRole(dev *tdm.Entity, roleID string) bool {
	if tdm.SameURN(dev.ID, roleID) {
		return true
	}
	model := dev.Def.Directive("device")
	if model == nil {
		return false
	}
	return tdm.SameURN(model.ArgString("deviceModel"), roleID)
}

func (s *Service) instanceSummary(ctx context.Context, in *instance) map[string]any {
	m := map[string]any{"id": in.id, "arn": s.arn(ctx, in.id), "status": in.status, "target": in.target,
		"createdAt": epoch(in.created), "updatedAt": epoch(in.updated)}
	if in.groupName != "" {
		m["greengrassGroupName"] = in.groupName
	}
	if in.ggGroupID != "" {
		m["greengrassGroupId"] = in.ggGroupID
	}
	if in.ggGroupVersionID != "" {
		m["greengrassGroupVersionId"] = in.ggGroupVersionID
	}
	return m
}

func idInput(body []byte) (string, error) {
	var in struct {
		ID string `json:"id"`
	}
	if err := decode(body, &in); err != nil {
		return "", err
	}
	// The model marks no member required, the API Reference marks id
	// required: reject a missing id [spec §3.3 note].
	return in.ID, validateURN("id", in.ID)
}

// DeploySystemInstance deploys a flow configuration to its target.
// AWS: DeploySystemInstance.
func (s *Service) DeploySystemInstance(ctx context.Context, body []byte) (any, error) {
	id, err := idInput(body)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	inst := s.instances[tdm.Key(id)]
	if inst == nil {
		s.mu.Unlock()
		return nil, notFound("system instance %s not found", id)
	}
	switch inst.status {
	case statusNotDeployed, statusFailed, statusDeployed, "DELETED_IN_TARGET":
	default:
		st := inst.status
		s.mu.Unlock()
		return nil, inUse("system instance %s is %s; wait until it settles", id, st)
	}
	if inst.target != "GREENGRASS" {
		s.mu.Unlock()
		return nil, invalidRequest("target %s is not implemented by this tgsim version yet; deploy to GREENGRASS", inst.target)
	}
	art, err := s.artifactLocked(ctx, inst)
	prev := inst.status
	inst.status, inst.updated = statusDeployInProgress, s.opts.Now()
	s.mu.Unlock()
	if err != nil {
		s.setFailed(inst, err)
		return nil, err
	}
	// The deploy runs with the caller's identity, so a missing S3, IoT or
	// Greengrass permission fails it with that action named [DOC
	// ug:iot-tg-security-gg].
	res, err := s.deployerFor(ctx).Deploy(ctx, deploy.Request{Artifact: art, GroupName: inst.groupName, Bucket: inst.bucket})
	if err != nil {
		s.setFailed(inst, err)
		s.log.WarnContext(ctx, "deploy failed", "id", inst.id, "previous_status", prev, "error", err)
		var ce *deploy.CallError
		if errors.As(err, &ce) && isAccessDenied(ce) {
			return nil, accessDenied("deploying %s failed: %v", inst.id, ce)
		}
		return nil, invalidRequest("deploying %s failed: %v", inst.id, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	inst.status = statusDeployInProgress
	if res.FirstDeployment {
		inst.status = statusBootstrap
	}
	inst.ggGroupID, inst.ggGroupVersionID, inst.ggDeploymentID = res.GroupID, res.GroupVersionID, res.DeploymentID
	inst.updated, inst.lastError = s.opts.Now(), ""
	return map[string]any{"summary": s.instanceSummary(ctx, inst), "greengrassDeploymentId": res.DeploymentID}, nil
}

func (s *Service) setFailed(inst *instance, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	inst.status, inst.updated, inst.lastError = statusFailed, s.opts.Now(), err.Error()
}

// artifactLocked builds the flow configuration's dependency closure as of
// now [DOC ug:iot-tg-lifecycle: deployments are snapshots]. s.mu held.
func (s *Service) artifactLocked(ctx context.Context, inst *instance) (*flow.Artifact, error) {
	acct := s.accounts[accountNamespaceName(s.region(ctx), s.account(ctx))]
	resolve := s.resolverLocked(acct)
	art := &flow.Artifact{Manifest: flow.Manifest{
		DeploymentID: inst.id, SystemID: inst.systemID, Target: inst.target, Region: s.region(ctx), AccountID: s.account(ctx),
		NamespaceVersion: inst.nsVersion, Things: inst.things, CreatedAt: s.opts.Now(),
	}}
	art.Documents = append(art.Documents, flow.Document{Name: "deployment.graphql", Text: inst.text})
	sysT := s.systems[tdm.Key(inst.systemID)]
	if sysT == nil {
		return nil, invalidRequest("system %s of %s no longer exists", inst.systemID, inst.id)
	}
	art.Documents = append(art.Documents, flow.Document{Name: "system.graphql", Text: sysT.text})
	for _, role := range sortedKeys(inst.systemFlowsByRoles) {
		ft := s.flows[tdm.Key(inst.systemFlowsByRoles[role])]
		if ft == nil {
			return nil, invalidRequest("flow %s of %s no longer exists", inst.systemFlowsByRoles[role], inst.id)
		}
		art.Documents = append(art.Documents, flow.Document{Name: "flow-" + ft.name + ".graphql", Text: ft.text})
	}
	// Entities: every bound device and everything it refers to, transitively.
	seen := map[string]bool{}
	var texts []string
	var walk func(id string)
	walk = func(id string) {
		key := tdm.Key(id)
		if seen[key] {
			return
		}
		seen[key] = true
		e := resolve(key)
		if e == nil || e.Kind == tdm.Kind("FLOW") || e.Kind == tdm.Kind("SYSTEM") {
			return
		}
		texts = append(texts, e.Text)
		for _, ref := range referencedURNs(e.Def) {
			walk(ref)
		}
	}
	for _, thing := range sortedKeys(inst.things) {
		walk(inst.things[thing])
	}
	sort.Strings(texts)
	art.Documents = append(art.Documents, flow.Document{Name: "entities.graphql", Text: "{\n" + strings.Join(texts, "\n") + "\n}\n"})
	return art, nil
}

// referencedURNs lists every string argument anywhere in a definition that
// is a TDM URN.
func referencedURNs(d *tdm.Definition) []string {
	var out []string
	var vals func(v *tdm.Value)
	vals = func(v *tdm.Value) {
		if v == nil {
			return
		}
		if s, ok := v.StringValue(); ok && strings.HasPrefix(s, "urn:tdm:") {
			out = append(out, s)
		}
		for _, x := range v.List {
			vals(x)
		}
		for _, a := range v.Fields {
			vals(a.Value)
		}
	}
	dirs := func(ds []*tdm.Directive) {
		for _, d := range ds {
			for _, a := range d.Args {
				vals(a.Value)
			}
		}
	}
	var fields func(fs []*tdm.Field)
	fields = func(fs []*tdm.Field) {
		for _, f := range fs {
			for _, a := range f.Args {
				vals(a.Value)
			}
			dirs(f.Directives)
			fields(f.Fields)
		}
	}
	dirs(d.Directives)
	fields(d.Fields)
	return out
}

// GetSystemInstance describes a flow configuration, first bringing an
// in-progress deployment's status up to date from Greengrass.
// AWS: GetSystemInstance.
func (s *Service) GetSystemInstance(ctx context.Context, body []byte) (any, error) {
	id, err := idInput(body)
	if err != nil {
		return nil, err
	}
	s.mu.RLock()
	inst := s.instances[tdm.Key(id)]
	var groupID, depID, status string
	if inst != nil {
		groupID, depID, status = inst.ggGroupID, inst.ggDeploymentID, inst.status
	}
	s.mu.RUnlock()
	if inst == nil {
		return nil, notFound("system instance %s not found", id)
	}
	if (status == statusBootstrap || status == statusDeployInProgress) && depID != "" {
		gs, msg, err := s.deployer.DeploymentStatus(ctx, groupID, depID)
		if err != nil {
			return nil, err
		}
		s.mu.Lock()
		if inst.ggDeploymentID == depID && (inst.status == statusBootstrap || inst.status == statusDeployInProgress) {
			switch gs {
			case "Success":
				inst.status, inst.updated = statusDeployed, s.opts.Now()
			case "Failure":
				inst.status, inst.updated, inst.lastError = statusFailed, s.opts.Now(), msg
			}
		}
		s.mu.Unlock()
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	desc := map[string]any{
		"summary":                      s.instanceSummary(ctx, inst),
		"definition":                   definitionDocument{Language: "GRAPHQL", Text: inst.text},
		"validatedNamespaceVersion":    inst.nsVersion,
		"validatedDependencyRevisions": inst.deps,
	}
	if inst.bucket != "" {
		desc["s3BucketName"] = inst.bucket
	}
	if inst.metrics != nil {
		desc["metricsConfiguration"] = inst.metrics
	}
	if inst.flowRoleArn != "" {
		desc["flowActionsRoleArn"] = inst.flowRoleArn
	}
	return map[string]any{"description": desc}, nil
}

// isAccessDenied reports whether a deploy call failed for lack of permission.
func isAccessDenied(ce *deploy.CallError) bool {
	var ae smithy.APIError
	return errors.As(ce.Err, &ae) && strings.HasPrefix(ae.ErrorCode(), "AccessDenied")
}
