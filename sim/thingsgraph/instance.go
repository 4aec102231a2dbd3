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
	statusNotDeployed        = "NOT_DEPLOYED"
	statusBootstrap          = "BOOTSTRAP"
	statusDeployInProgress   = "DEPLOY_IN_PROGRESS"
	statusDeployed           = "DEPLOYED_IN_TARGET"
	statusUndeployInProgress = "UNDEPLOY_IN_PROGRESS"
	statusFailed             = "FAILED"
	statusPendingDelete      = "PENDING_DELETE"
	statusDeletedInTarget    = "DELETED_IN_TARGET"
)

var instanceStatuses = map[string]bool{statusNotDeployed: true, statusBootstrap: true, statusDeployInProgress: true, statusDeployed: true,
	statusUndeployInProgress: true, statusFailed: true, statusPendingDelete: true, statusDeletedInTarget: true}

type instance struct {
	id, name, text     string
	deployment         *tdm.Deployment
	target             string
	groupName          string
	bucket             string
	flowRoleArn        string
	metrics            *metricsConfiguration
	tags               map[string]string
	status             string
	created, updated   time.Time
	nsVersion          int64
	deps               []dependencyRevision
	ggGroupID          string
	ggGroupVersionID   string
	ggDeploymentID     string // the latest Greengrass deployment (deploy or undeploy)
	artifactURL        string // s3://bucket/key listed in the runtime's TG_ARTIFACTS
	lastError          string
	things             map[string]string // bound thing → device URN
	systemID           string
	systemFlowsByRoles map[string]string
	nsName             string // the account namespace the definition was parsed for
	// cloudArtifact is the encoded flow configuration of a CLOUD
	// deployment the cloud runtime runs; nil when none is deployed.
	cloudArtifact []byte
	cloudGroup    string // the CLOUD deployment's thing group
	// busy is set while a DeploySystemInstance or UndeploySystemInstance
	// call is between its two commits (calling Greengrass). It is not
	// stored: an in-progress instance that is not busy after a restart
	// was interrupted.
	busy bool
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
	if in.Definition == nil {
		return nil, invalidRequest("definition is required")
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
	if err := validateRoleArn("flowActionsRoleArn", in.FlowActionsRoleArn); err != nil {
		return nil, err
	}
	if err := validateRoleArn("metricsConfiguration.metricRuleRoleArn", metricRole(in.MetricsConfiguration)); err != nil {
		return nil, err
	}
	if err := validateTags("tags", in.Tags); err != nil {
		return nil, err
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
	set, ent, err := parseOne(in.Definition, tdm.KindDeployment, accountNamespaceName(s.region(ctx), s.account(ctx)))
	if err != nil {
		return nil, err
	}
	dep := set.Deployments[tdm.Key(ent.ID)]

	s.mu.Lock()
	defer s.mu.Unlock()
	key := tdm.Key(ent.ID)
	s.finalizeDeleteLocked(key)
	if s.instances[key] != nil {
		return nil, alreadyExists("%s already exists", ent.ID)
	}
	if s.opts.MaxSystemInstances > 0 && len(s.instances) >= s.opts.MaxSystemInstances {
		return nil, limitExceeded("the account has %d system instances; the configured limit is %d", len(s.instances), s.opts.MaxSystemInstances)
	}
	acct := s.accountLocked(ctx).latest()
	sysT := s.systems[tdm.Key(dep.SystemID)]
	if sysT == nil {
		return nil, invalidRequest("%s: %s: system %s does not exist; create it with CreateSystemTemplate", dep.Pos, ent.ID, dep.SystemID)
	}
	sys := sysT.latest().set.Systems[tdm.Key(dep.SystemID)]
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
	flowsByRole, deps, flowProblems := s.systemFlowsLocked(sysT)
	for _, p := range flowProblems {
		problems = append(problems, fmt.Sprintf("%s: %s", dep.Pos, p))
	}
	if len(problems) > 0 {
		return nil, invalidRequest("%s", strings.Join(problems, "; "))
	}
	now := s.opts.Now()
	inst := &instance{
		id: ent.ID, name: ent.Name, text: in.Definition.Text, deployment: dep, target: in.Target,
		groupName: in.GreengrassGroupName, bucket: in.S3BucketName, flowRoleArn: in.FlowActionsRoleArn,
		metrics: in.MetricsConfiguration, tags: map[string]string{}, status: statusNotDeployed, created: now, updated: now,
		nsVersion: nsVersion(acct), deps: deps, things: things, systemID: sys.ID, systemFlowsByRoles: flowsByRole,
		nsName: accountNamespaceName(s.region(ctx), s.account(ctx)),
	}
	for _, t := range in.Tags {
		inst.tags[t.Key] = t.Value
	}
	s.instances[key] = inst
	if err := s.commitLocked(&change{instances: []string{key}}); err != nil {
		return nil, err
	}
	s.log.InfoContext(ctx, "system instance created", "id", inst.id, "target", inst.target)
	return map[string]any{"summary": s.instanceSummary(ctx, inst)}, nil
}

// systemFlowsLocked resolves the flows of a system's latest revision.
// s.mu held.
func (s *Service) systemFlowsLocked(sysT *template) (byRole map[string]string, deps []dependencyRevision, problems []string) {
	sys := sysT.latest().set.Systems[tdm.Key(sysT.id)]
	byRole = map[string]string{}
	deps = []dependencyRevision{{ID: sysT.id, RevisionNumber: sysT.latest().number}}
	for _, w := range sys.Workflows {
		ft := s.flows[tdm.Key(w.ID)]
		if ft == nil {
			problems = append(problems, fmt.Sprintf("flow %s of system %s does not exist", w.ID, sys.ID))
			continue
		}
		byRole[w.Name] = ft.id
		deps = append(deps, dependencyRevision{ID: ft.id, RevisionNumber: ft.latest().number})
	}
	return byRole, deps, problems
}

func nsVersion(n *snapshot) int64 {
	if n == nil {
		return 0
	}
	return n.version
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

// setStatusLocked moves an instance; updatedAt changes on every
// transition [INF spec §4.5]. s.mu held.
func (s *Service) setStatusLocked(inst *instance, status string) {
	inst.status, inst.updated = status, s.opts.Now()
}

// finalizeDeleteLocked removes an instance that is PENDING_DELETE, with its
// executions. s.mu held (write).
func (s *Service) finalizeDeleteLocked(key string) {
	inst := s.instances[key]
	if inst == nil || inst.status != statusPendingDelete {
		return
	}
	delete(s.instances, key)
	s.dropExecutionsLocked(key)
	s.commitLogged(&change{instances: []string{key}, dropExecs: []string{key}})
}

// lookupInstance returns the instance with id, finishing a pending
// deletion first (a deleted instance is gone).
func (s *Service) lookupInstance(id string) *instance {
	key := tdm.Key(id)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.finalizeDeleteLocked(key)
	return s.instances[key]
}

// DeploySystemInstance deploys a flow configuration to its target.
// AWS: DeploySystemInstance.
func (s *Service) DeploySystemInstance(ctx context.Context, body []byte) (any, error) {
	id, err := requiredID(body)
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
	case statusNotDeployed, statusFailed, statusDeployed, statusDeletedInTarget:
	default:
		st := inst.status
		s.mu.Unlock()
		return nil, inUse("system instance %s is %s; wait until it settles", id, st)
	}
	// A deprecated or deleted system or flow cannot be deployed
	// [DOC ug:iot-tg-lifecycle]; the instance's status does not change.
	art, err := s.artifactLocked(ctx, inst)
	if err != nil {
		s.mu.Unlock()
		return nil, err
	}
	prev := inst.status
	s.setStatusLocked(inst, statusDeployInProgress)
	if err := s.commitLocked(&change{instances: []string{tdm.Key(inst.id)}}); err != nil {
		s.mu.Unlock()
		return nil, err
	}
	inst.busy = true
	s.mu.Unlock()
	if inst.target == "CLOUD" {
		return s.deployCloud(ctx, inst, art)
	}
	// The deploy runs with the caller's identity, so a missing S3, IoT or
	// Greengrass permission fails it with that action named [DOC
	// ug:iot-tg-security-gg].
	res, err := s.deployerFor(ctx).Deploy(ctx, deploy.Request{Artifact: art, GroupName: inst.groupName, Bucket: inst.bucket})
	if err != nil {
		s.setFailed(inst, err)
		s.log.WarnContext(ctx, "deploy failed", "id", inst.id, "previous_status", prev, "error", err)
		return nil, deployError("deploying", inst.id, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.acceptLocked(inst, res.FirstDeployment)
	inst.ggGroupID, inst.ggGroupVersionID, inst.ggDeploymentID = res.GroupID, res.GroupVersionID, res.DeploymentID
	inst.artifactURL, inst.lastError = res.ArtifactURL(), ""
	if err := s.commitLocked(&change{instances: []string{tdm.Key(inst.id)}}); err != nil {
		return nil, err
	}
	return map[string]any{"summary": s.instanceSummary(ctx, inst), "greengrassDeploymentId": res.DeploymentID}, nil
}

// acceptLocked ends a deploy call that reached its target: the instance is
// BOOTSTRAP on the target's first Things Graph deployment, else
// DEPLOY_IN_PROGRESS, and no longer busy. s.mu held.
func (s *Service) acceptLocked(inst *instance, first bool) {
	inst.busy = false
	st := statusDeployInProgress
	if first {
		st = statusBootstrap
	}
	s.setStatusLocked(inst, st)
}

// deployError turns a failed deploy or undeploy into the API's error.
func deployError(verb, id string, err error) error {
	var ce *deploy.CallError
	if errors.As(err, &ce) && isAccessDenied(ce) {
		return accessDenied("%s %s failed: %v", verb, id, ce)
	}
	return invalidRequest("%s %s failed: %v", verb, id, err)
}

func (s *Service) setFailed(inst *instance, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	inst.busy = false
	s.setStatusLocked(inst, statusFailed)
	inst.lastError = err.Error()
	s.commitLogged(&change{instances: []string{tdm.Key(inst.id)}})
}

// UndeploySystemInstance removes a flow configuration from its Greengrass
// group (its subscriptions, devices and artifact; the runtime function
// when no other configuration is left) with a new group version deployed
// as the caller. The instance is UNDEPLOY_IN_PROGRESS until Greengrass
// reports the deployment's outcome. AWS: UndeploySystemInstance.
func (s *Service) UndeploySystemInstance(ctx context.Context, body []byte) (any, error) {
	id, err := requiredID(body)
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
	case statusDeployed, statusFailed:
	case statusNotDeployed, statusDeletedInTarget:
		st := inst.status
		s.mu.Unlock()
		return nil, inUse("system instance %s is %s; there is nothing to undeploy", id, st)
	default:
		st := inst.status
		s.mu.Unlock()
		return nil, inUse("system instance %s is %s; wait until it settles", id, st)
	}
	s.setStatusLocked(inst, statusUndeployInProgress)
	if inst.target == "CLOUD" {
		if err := s.commitLocked(&change{instances: []string{tdm.Key(inst.id)}}); err != nil {
			s.mu.Unlock()
			return nil, err
		}
		inst.busy = true
		s.mu.Unlock()
		return s.undeployCloud(ctx, inst)
	}
	req := deploy.UndeployRequest{DeploymentID: inst.id, GroupName: inst.groupName, Artifact: inst.artifactURL, Things: sortedKeys(inst.things)}
	if err := s.commitLocked(&change{instances: []string{tdm.Key(inst.id)}}); err != nil {
		s.mu.Unlock()
		return nil, err
	}
	inst.busy = true
	s.mu.Unlock()

	res, err := s.deployerFor(ctx).Undeploy(ctx, req)
	if errors.Is(err, deploy.ErrGroupNotFound) {
		// Nothing left to clean: the group is gone (or never existed).
		res, err = &deploy.UndeployResult{}, nil
	}
	if err != nil {
		s.setFailed(inst, err)
		s.log.WarnContext(ctx, "undeploy failed", "id", inst.id, "error", err)
		return nil, deployError("undeploying", inst.id, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	inst.busy = false
	// An empty DeploymentID means the group held nothing of this
	// configuration: the next refresh completes the undeploy.
	inst.ggDeploymentID = res.DeploymentID
	if res.GroupVersionID != "" {
		inst.ggGroupVersionID = res.GroupVersionID
	}
	inst.lastError = ""
	if err := s.commitLocked(&change{instances: []string{tdm.Key(inst.id)}}); err != nil {
		return nil, err
	}
	out := map[string]any{"summary": s.instanceSummary(ctx, inst)}
	s.log.InfoContext(ctx, "system instance undeploying", "id", inst.id, "greengrass_deployment", res.DeploymentID)
	return out, nil
}

// DeleteSystemInstance deletes an instance that was never deployed or has
// been undeployed (NOT_DEPLOYED, DELETED_IN_TARGET); any other status is
// ResourceInUseException [API; INF spec §4.5]. The instance becomes
// PENDING_DELETE and is gone at the next GetSystemInstance,
// SearchSystemInstances or CreateSystemInstance of its id (which may be
// reused). The model lists no ResourceNotFoundException here, so an unknown
// id is InvalidRequestException. AWS: DeleteSystemInstance.
func (s *Service) DeleteSystemInstance(ctx context.Context, body []byte) (any, error) {
	id, err := requiredID(body)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	inst := s.instances[tdm.Key(id)]
	if inst == nil {
		return nil, invalidRequest("system instance %s does not exist", id)
	}
	switch inst.status {
	case statusNotDeployed, statusDeletedInTarget:
	case statusDeployed, statusFailed:
		return nil, inUse("system instance %s is %s; undeploy it first", id, inst.status)
	default:
		return nil, inUse("system instance %s is %s; wait until it settles", id, inst.status)
	}
	s.setStatusLocked(inst, statusPendingDelete)
	if err := s.commitLocked(&change{instances: []string{tdm.Key(inst.id)}}); err != nil {
		return nil, err
	}
	s.log.InfoContext(ctx, "system instance deleted", "id", inst.id)
	return struct{}{}, nil
}

// artifactLocked builds the flow configuration's dependency closure from
// the latest revisions of its system and flows [DOC ug:iot-tg-lifecycle:
// deployments are snapshots], refusing deprecated or deleted ones, and
// records the revisions used. s.mu held.
func (s *Service) artifactLocked(ctx context.Context, inst *instance) (*flow.Artifact, error) {
	sysT := s.systems[tdm.Key(inst.systemID)]
	if sysT == nil {
		return nil, invalidRequest("system %s of %s no longer exists", inst.systemID, inst.id)
	}
	if sysT.deprecated {
		return nil, invalidRequest("system %s of %s is deprecated and cannot be deployed", sysT.id, inst.id)
	}
	byRole, deps, problems := s.systemFlowsLocked(sysT)
	if len(problems) > 0 {
		return nil, invalidRequest("%s cannot be deployed: %s", inst.id, strings.Join(problems, "; "))
	}
	for _, role := range sortedKeys(byRole) {
		if ft := s.flows[tdm.Key(byRole[role])]; ft.deprecated {
			return nil, invalidRequest("flow %s of %s is deprecated and cannot be deployed", ft.id, inst.id)
		}
	}
	acct := s.accountLocked(ctx).latest()
	resolve := s.resolverLocked(acct)
	inst.systemFlowsByRoles, inst.deps, inst.nsVersion = byRole, deps, nsVersion(acct)
	art := &flow.Artifact{Manifest: flow.Manifest{
		DeploymentID: inst.id, SystemID: inst.systemID, Target: inst.target, Region: s.region(ctx), AccountID: s.account(ctx),
		NamespaceVersion: inst.nsVersion, Things: inst.things, CreatedAt: s.opts.Now(),
	}}
	art.Documents = append(art.Documents, flow.Document{Name: "deployment.graphql", Text: inst.text})
	art.Documents = append(art.Documents, flow.Document{Name: "system.graphql", Text: sysT.latest().text})
	for _, role := range sortedKeys(byRole) {
		ft := s.flows[tdm.Key(byRole[role])]
		art.Documents = append(art.Documents, flow.Document{Name: "flow-" + ft.name + ".graphql", Text: ft.latest().text})
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
		if e == nil || e.Kind == tdm.KindFlow || e.Kind == tdm.KindSystem {
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
	// And what the flows use besides devices: the services of their
	// WebserviceActivity steps (and the models those refer to).
	for _, role := range sortedKeys(byRole) {
		if rev := s.flows[tdm.Key(byRole[role])].latest(); rev.entity != nil {
			for _, ref := range referencedURNs(rev.entity.Def) {
				walk(ref)
			}
		}
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
	if d == nil {
		return nil
	}
	dirs(d.Directives)
	fields(d.Fields)
	return out
}

// refresh brings an in-progress instance's status up to date from
// Greengrass (GetDeploymentStatus of its latest deployment):
// BOOTSTRAP → DEPLOY_IN_PROGRESS once Greengrass has the deployment,
// BOOTSTRAP/DEPLOY_IN_PROGRESS → DEPLOYED_IN_TARGET on Success,
// UNDEPLOY_IN_PROGRESS → DELETED_IN_TARGET on Success, FAILED on Failure.
func (s *Service) refresh(ctx context.Context, inst *instance) error {
	s.mu.RLock()
	groupID, depID, status, busy := inst.ggGroupID, inst.ggDeploymentID, inst.status, inst.busy
	cloud := inst.target == "CLOUD"
	s.mu.RUnlock()
	if cloud {
		return s.refreshCloud(inst)
	}
	switch status {
	case statusBootstrap, statusDeployInProgress, statusUndeployInProgress:
	default:
		return nil
	}
	if busy {
		// The deploy or undeploy call is still talking to Greengrass: the
		// deployment id on record is the previous one, whose outcome says
		// nothing about this call.
		return nil
	}
	if status == statusDeployInProgress && depID == "" {
		// Not busy, no deployment: tgsim stopped between the two commits
		// of DeploySystemInstance. FAILED lets the caller deploy again.
		s.mu.Lock()
		defer s.mu.Unlock()
		if inst.busy || inst.status != status || inst.ggDeploymentID != "" {
			return nil
		}
		s.setStatusLocked(inst, statusFailed)
		inst.lastError = "the deploy was interrupted (tgsim stopped) before Greengrass had a deployment; deploy again"
		return s.commitLocked(&change{instances: []string{tdm.Key(inst.id)}})
	}
	var gs, msg string
	if depID != "" {
		var err error
		if gs, msg, err = s.deployer.DeploymentStatus(ctx, groupID, depID); err != nil {
			return err
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if inst.ggDeploymentID != depID || inst.status != status {
		return nil // another request moved it meanwhile
	}
	switch {
	case status == statusUndeployInProgress && (depID == "" || gs == "Success"):
		s.setStatusLocked(inst, statusDeletedInTarget)
	case gs == "Success":
		s.setStatusLocked(inst, statusDeployed)
	case gs == "Failure":
		s.setStatusLocked(inst, statusFailed)
		inst.lastError = msg
	case status == statusBootstrap && depID != "":
		s.setStatusLocked(inst, statusDeployInProgress)
	default:
		return nil
	}
	return s.commitLocked(&change{instances: []string{tdm.Key(inst.id)}})
}

// GetSystemInstance describes a flow configuration, first bringing an
// in-progress status up to date from Greengrass. AWS: GetSystemInstance.
func (s *Service) GetSystemInstance(ctx context.Context, body []byte) (any, error) {
	id, err := requiredID(body)
	if err != nil {
		return nil, err
	}
	inst := s.lookupInstance(id)
	if inst == nil {
		return nil, notFound("system instance %s not found", id)
	}
	if err := s.refresh(ctx, inst); err != nil {
		return nil, err
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

type instanceFilter struct {
	Name  string   `json:"name"`
	Value []string `json:"value"`
}

// SearchSystemInstances lists the account's instances, ordered by id.
// Filters SYSTEM_TEMPLATE_ID, STATUS, GREENGRASS_GROUP_NAME combine with
// AND, values with OR [INF spec §8]. Statuses are as last observed: the
// search does not ask Greengrass (GetSystemInstance does).
// AWS: SearchSystemInstances.
func (s *Service) SearchSystemInstances(ctx context.Context, body []byte) (any, error) {
	var in struct {
		Filters    []instanceFilter `json:"filters"`
		NextToken  *string          `json:"nextToken"`
		MaxResults *int64           `json:"maxResults"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	for i, f := range in.Filters {
		switch f.Name {
		case "SYSTEM_TEMPLATE_ID":
			for j, v := range f.Value {
				if err := checkURN("filters["+itoa(i)+"].value["+itoa(j)+"]", v); err != nil {
					return nil, err
				}
			}
		case "STATUS":
			for j, v := range f.Value {
				if !instanceStatuses[v] {
					return nil, invalidRequest("filters[%d].value[%d] %q is not a SystemInstanceDeploymentStatus", i, j, v)
				}
			}
		case "GREENGRASS_GROUP_NAME":
		default:
			return nil, invalidRequest("filters[%d].name %q is not one of SYSTEM_TEMPLATE_ID, STATUS, GREENGRASS_GROUP_NAME", i, f.Name)
		}
	}
	q := newPageQuery("SearchSystemInstances", in.Filters)
	s.mu.Lock()
	defer s.mu.Unlock()
	var found []*instance
	for _, k := range sortedKeys(s.instances) {
		s.finalizeDeleteLocked(k)
		inst := s.instances[k]
		if inst == nil {
			continue
		}
		ok := true
		for _, f := range in.Filters {
			match := false
			for _, v := range f.Value {
				switch f.Name {
				case "SYSTEM_TEMPLATE_ID":
					match = match || tdm.SameURN(inst.systemID, v)
				case "STATUS":
					match = match || inst.status == v
				case "GREENGRASS_GROUP_NAME":
					match = match || inst.groupName == v
				}
			}
			ok = ok && match
		}
		if ok {
			found = append(found, inst)
		}
	}
	from, to, next, err := q.page(len(found), in.NextToken, in.MaxResults)
	if err != nil {
		return nil, err
	}
	out := make([]map[string]any, 0, to-from)
	for _, inst := range found[from:to] {
		out = append(out, s.instanceSummary(ctx, inst))
	}
	return pageOut(map[string]any{"summaries": out}, next), nil
}

// isAccessDenied reports whether a deploy call failed for lack of permission.
func isAccessDenied(ce *deploy.CallError) bool {
	var ae smithy.APIError
	return errors.As(ce.Err, &ae) && strings.HasPrefix(ae.ErrorCode(), "AccessDenied")
}
