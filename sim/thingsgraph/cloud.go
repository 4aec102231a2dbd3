package thingsgraph

import (
	"context"
	"errors"

	"github.com/tgsim/tgsim/sim/flow"
	"github.com/tgsim/tgsim/sim/tdm"
)

// CloudRuntime runs CLOUD flow configurations: the Things Graph runtime in
// the AWS cloud, bound to AWS IoT Core [INF spec §4.4]. The harness
// provides it; the service only tells it what to run.
type CloudRuntime interface {
	// Start runs a flow configuration (replacing a running one with the
	// same deployment id), acting as flowActionsRoleARN.
	Start(art *flow.Artifact, flowActionsRoleARN string) error
	// Stop ends a flow configuration's runtime; unknown ids are ignored.
	Stop(deploymentID string) error
}

// errNoCloudRuntime fails CLOUD deployments of a service without one.
var errNoCloudRuntime = errors.New("this tgsim has no Things Graph cloud runtime (thingsgraph.Options.Cloud); deploy to GREENGRASS or start tgsim with its harness")

// deployCloud is DeploySystemInstance for the CLOUD target, after the
// instance was committed DEPLOY_IN_PROGRESS and marked busy: AWS IoT is
// prepared with the caller's credentials (thing group, topic rules), then
// the cloud runtime starts with the flow's role. The instance is
// BOOTSTRAP on the configuration's first deployment, DEPLOY_IN_PROGRESS
// otherwise, and GetSystemInstance moves it on.
func (s *Service) deployCloud(ctx context.Context, inst *instance, art *flow.Artifact) (any, error) {
	res, err := s.deployerFor(ctx).DeployCloud(ctx, art)
	if err == nil && s.opts.Cloud == nil {
		err = errNoCloudRuntime
	}
	var enc []byte
	if err == nil {
		enc, err = art.Encode()
	}
	if err == nil {
		err = s.opts.Cloud.Start(art, inst.flowRoleArn)
	}
	if err != nil {
		s.setFailed(inst, err)
		s.log.WarnContext(ctx, "cloud deploy failed", "id", inst.id, "error", err)
		return nil, deployError("deploying", inst.id, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.acceptLocked(inst, res.FirstDeployment)
	inst.cloudArtifact, inst.cloudGroup, inst.lastError = enc, res.ThingGroupName, ""
	if err := s.commitLocked(&change{instances: []string{tdm.Key(inst.id)}}); err != nil {
		_ = s.opts.Cloud.Stop(inst.id)
		return nil, err
	}
	s.log.InfoContext(ctx, "system instance deploying to the cloud", "id", inst.id, "thing_group", res.ThingGroupName, "rules", len(res.Rules))
	return map[string]any{"summary": s.instanceSummary(ctx, inst)}, nil
}

// undeployCloud is UndeploySystemInstance for the CLOUD target, after the
// instance was committed UNDEPLOY_IN_PROGRESS and marked busy: the runtime
// stops first (no execution starts against half-removed rules), then AWS
// IoT is cleaned with the caller's credentials.
func (s *Service) undeployCloud(ctx context.Context, inst *instance) (any, error) {
	if s.opts.Cloud != nil {
		if err := s.opts.Cloud.Stop(inst.id); err != nil {
			s.log.WarnContext(ctx, "stopping the cloud runtime", "id", inst.id, "error", err)
		}
	}
	if _, err := s.deployerFor(ctx).UndeployCloud(ctx, inst.id); err != nil {
		s.setFailed(inst, err)
		s.log.WarnContext(ctx, "cloud undeploy failed", "id", inst.id, "error", err)
		return nil, deployError("undeploying", inst.id, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	inst.busy = false
	inst.cloudArtifact, inst.lastError = nil, ""
	if err := s.commitLocked(&change{instances: []string{tdm.Key(inst.id)}}); err != nil {
		return nil, err
	}
	s.log.InfoContext(ctx, "system instance undeploying from the cloud", "id", inst.id)
	return map[string]any{"summary": s.instanceSummary(ctx, inst)}, nil
}

// refreshCloud moves a CLOUD instance on, one transition per call so
// polling clients see each state: BOOTSTRAP → DEPLOY_IN_PROGRESS →
// DEPLOYED_IN_TARGET, UNDEPLOY_IN_PROGRESS → DELETED_IN_TARGET. An
// in-progress deploy without a runtime artifact and not busy was
// interrupted by a stop: FAILED.
func (s *Service) refreshCloud(inst *instance) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if inst.busy {
		return nil
	}
	switch {
	case inst.status == statusBootstrap && inst.cloudArtifact != nil:
		s.setStatusLocked(inst, statusDeployInProgress)
	case inst.status == statusDeployInProgress && inst.cloudArtifact != nil:
		s.setStatusLocked(inst, statusDeployed)
	case inst.status == statusBootstrap, inst.status == statusDeployInProgress:
		s.setStatusLocked(inst, statusFailed)
		inst.lastError = "the deploy was interrupted (tgsim stopped) before the cloud runtime started; deploy again"
	case inst.status == statusUndeployInProgress:
		s.setStatusLocked(inst, statusDeletedInTarget)
	default:
		return nil
	}
	return s.commitLocked(&change{instances: []string{tdm.Key(inst.id)}})
}

// StartCloudRuntimes starts the cloud runtime of every CLOUD flow
// configuration that was deployed when the service last stopped (state
// from Options.DataFile). The harness calls it once its servers serve.
func (s *Service) StartCloudRuntimes() error {
	if s.opts.Cloud == nil {
		return nil
	}
	type todo struct {
		art  []byte
		role string
	}
	var list []todo
	s.mu.RLock()
	for _, inst := range s.instances {
		switch inst.status {
		case statusBootstrap, statusDeployInProgress, statusDeployed:
			if inst.target == "CLOUD" && inst.cloudArtifact != nil {
				list = append(list, todo{inst.cloudArtifact, inst.flowRoleArn})
			}
		}
	}
	s.mu.RUnlock()
	var errs []error
	for _, t := range list {
		art, err := flow.DecodeArtifact(t.art)
		if err == nil {
			err = s.opts.Cloud.Start(art, t.role)
		}
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}
