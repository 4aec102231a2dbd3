package deploy

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/greengrass"
	ggtypes "github.com/aws/aws-sdk-go-v2/service/greengrass/types"
)

// UndeployRequest removes one flow configuration from a Greengrass group.
type UndeployRequest struct {
	// DeploymentID is the flow configuration URN Deploy derived its entry
	// ids from.
	DeploymentID string
	GroupName    string
	// Artifact is the s3://bucket/key Deploy listed in the runtime
	// function's TG_ARTIFACTS; "" when the configuration never got that far.
	Artifact string
	// Things are the things the configuration binds, whose
	// FlowConfigurationsAttribute loses its name. Things met in the
	// configuration's subscriptions are added to them.
	Things []string
}

// UndeployResult is what an undeploy changed. DeploymentID is empty when the
// group held nothing of the flow configuration, so no group version or
// deployment was created.
type UndeployResult struct {
	GroupID        string
	GroupVersionID string
	DeploymentID   string
	// Removed counts the subscriptions and devices removed.
	RemovedSubscriptions, RemovedDevices int
	// RuntimeRemoved is true when the runtime function was dropped because
	// no flow configuration artifact was left in it.
	RuntimeRemoved bool
}

// Undeploy removes a flow configuration's entries from its group — its
// subscriptions and devices (ids tg-<hash>-*) and its artifact from the
// runtime function's TG_ARTIFACTS, dropping the runtime function when no
// artifact is left — then creates a group version and deploys it. Every
// other entry is kept. Like Deploy it writes nothing before every read has
// succeeded, and every call is made with the Deployer's credentials.
// A missing group is reported as an error matching ErrGroupNotFound.
func (d *Deployer) Undeploy(ctx context.Context, req UndeployRequest) (*UndeployResult, error) {
	group, err := d.findGroup(ctx, req.GroupName)
	if err != nil {
		return nil, err
	}
	res := &UndeployResult{GroupID: aws.ToString(group.Id)}
	v := aws.ToString(group.LatestVersion)
	if v == "" {
		return res, nil
	}
	gvOut, err := d.gg.GetGroupVersion(ctx, &greengrass.GetGroupVersionInput{GroupId: group.Id, GroupVersionId: &v})
	if err != nil {
		return nil, call("greengrass:GetGroupVersion", err)
	}
	current := gvOut.Definition
	if current == nil {
		return res, nil
	}
	ex, err := d.readExisting(ctx, current)
	if err != nil {
		return nil, err
	}
	prefix := "tg-" + shortHash(req.DeploymentID) + "-"
	unbound := append([]string(nil), req.Things...)
	for _, s := range ex.subscriptions {
		if strings.HasPrefix(aws.ToString(s.Id), prefix) {
			for _, a := range []string{aws.ToString(s.Source), aws.ToString(s.Target)} {
				if name, ok := thingNameOf(a); ok && !containsStr(unbound, name) {
					unbound = append(unbound, name)
				}
			}
		}
	}
	sort.Strings(unbound)
	subs, nSubs := removeByPrefix(ex.subscriptions, prefix, func(s ggtypes.Subscription) string { return aws.ToString(s.Id) })
	// A thing bound in several configurations has one device entry, made by
	// the first (mergeDevices adds a thing once): keep it while another
	// configuration's subscriptions still use the thing.
	stillUsed := map[string]bool{}
	for _, s := range subs {
		if strings.HasPrefix(aws.ToString(s.Id), "tg-") {
			stillUsed[aws.ToString(s.Source)], stillUsed[aws.ToString(s.Target)] = true, true
		}
	}
	devs, nDevs := removeByPrefix(ex.devices, prefix, func(d ggtypes.Device) string {
		if stillUsed[aws.ToString(d.ThingArn)] {
			return ""
		}
		return aws.ToString(d.Id)
	})
	fns, fnChanged, runtimeRemoved := removeArtifact(ex.functions, req.Artifact)
	// What Things Graph added for its runtime and for Modbus goes with the
	// runtime, or with the last configuration that talks to the adapter.
	var resources []ggtypes.Resource
	var connectors []ggtypes.Connector
	nRes, nConn := 0, 0
	if runtimeRemoved {
		resources, nRes = removeByPrefix(ex.resources, StorageResourceID, func(r ggtypes.Resource) string { return aws.ToString(r.Id) })
	}
	if runtimeRemoved || !usesModbusAdapter(subs) {
		connectors, nConn = removeByPrefix(ex.connectors, ModbusAdapterConnectorID, func(c ggtypes.Connector) string { return aws.ToString(c.Id) })
	}
	if nSubs == 0 && nDevs == 0 && !fnChanged && nRes == 0 && nConn == 0 {
		return res, nil
	}
	res.RemovedSubscriptions, res.RemovedDevices, res.RuntimeRemoved = nSubs, nDevs, runtimeRemoved
	if err := d.markThings(ctx, unbound, req.DeploymentID, false, nil); err != nil {
		return nil, err
	}

	next := *current
	if nDevs > 0 {
		if next.DeviceDefinitionVersionArn, err = d.writeDevices(ctx, current.DeviceDefinitionVersionArn, devs); err != nil {
			return nil, err
		}
	}
	if fnChanged {
		if next.FunctionDefinitionVersionArn, err = d.writeFunctions(ctx, current.FunctionDefinitionVersionArn, fns); err != nil {
			return nil, err
		}
	}
	if nSubs > 0 {
		if next.SubscriptionDefinitionVersionArn, err = d.writeSubscriptions(ctx, current.SubscriptionDefinitionVersionArn, subs); err != nil {
			return nil, err
		}
	}
	if nRes > 0 {
		if next.ResourceDefinitionVersionArn, err = d.writeResources(ctx, current.ResourceDefinitionVersionArn, resources); err != nil {
			return nil, err
		}
	}
	if nConn > 0 {
		if next.ConnectorDefinitionVersionArn, err = d.writeConnectors(ctx, current.ConnectorDefinitionVersionArn, connectors); err != nil {
			return nil, err
		}
	}
	if res.GroupVersionID, res.DeploymentID, err = d.deployVersion(ctx, group.Id, &next); err != nil {
		return nil, err
	}
	d.log.Info("undeployed from greengrass", "deployment", req.DeploymentID, "group", req.GroupName,
		"greengrass_deployment", res.DeploymentID, "subscriptions_removed", nSubs, "devices_removed", nDevs, "runtime_removed", runtimeRemoved)
	return res, nil
}

// removeByPrefix drops the entries whose id starts with prefix.
func removeByPrefix[T any](in []T, prefix string, id func(T) string) ([]T, int) {
	out := make([]T, 0, len(in))
	for _, x := range in {
		if !strings.HasPrefix(id(x), prefix) {
			out = append(out, x)
		}
	}
	return out, len(in) - len(out)
}

// removeArtifact takes artifact out of the runtime function's TG_ARTIFACTS
// and drops the function when the list becomes empty.
func removeArtifact(fns []ggtypes.Function, artifact string) (out []ggtypes.Function, changed, runtimeRemoved bool) {
	if artifact == "" {
		return fns, false, false
	}
	out = make([]ggtypes.Function, 0, len(fns))
	for _, f := range fns {
		if aws.ToString(f.Id) != "tg-runtime" {
			out = append(out, f)
			continue
		}
		vars := map[string]string{}
		if f.FunctionConfiguration != nil && f.FunctionConfiguration.Environment != nil {
			for k, v := range f.FunctionConfiguration.Environment.Variables {
				vars[k] = v
			}
		}
		list := splitList(vars[ArtifactsVariable])
		kept := list[:0:0]
		for _, a := range list {
			if a != artifact {
				kept = append(kept, a)
			}
		}
		if len(kept) == len(list) {
			out = append(out, f)
			continue
		}
		changed = true
		if len(kept) == 0 {
			runtimeRemoved = true
			continue
		}
		sort.Strings(kept)
		vars[ArtifactsVariable] = strings.Join(kept, ",")
		out = append(out, runtimeFunction(aws.ToString(f.FunctionArn), vars))
	}
	return out, changed, runtimeRemoved
}

// ArtifactURL is the TG_ARTIFACTS entry of a deployment's result.
func (r *Result) ArtifactURL() string {
	if r == nil || r.Bucket == "" {
		return ""
	}
	return fmt.Sprintf("s3://%s/%s", r.Bucket, r.ObjectKey)
}
