package scenario

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/greengrass"
	ggtypes "github.com/aws/aws-sdk-go-v2/service/greengrass/types"
)

// latestGroupVersion reads a group's id and its latest version's content
// through the Greengrass API (ListGroups, GetGroup, GetGroupVersion), as
// a console user editing the group does. The content is nil for a group
// with no version yet.
func (r *runner) latestGroupVersion(ctx context.Context, group string) (string, *ggtypes.GroupVersion, error) {
	gg := r.root.gg
	id, err := r.groupID(ctx, group)
	if err != nil {
		return "", nil, fmt.Errorf("greengrass ListGroups: %w", err)
	}
	g, err := gg.GetGroup(ctx, &greengrass.GetGroupInput{GroupId: &id})
	if err != nil {
		return "", nil, fmt.Errorf("greengrass GetGroup: %w", err)
	}
	v := aws.ToString(g.LatestVersion)
	if v == "" {
		return id, nil, nil
	}
	gv, err := gg.GetGroupVersion(ctx, &greengrass.GetGroupVersionInput{GroupId: &id, GroupVersionId: &v})
	if err != nil {
		return "", nil, fmt.Errorf("greengrass GetGroupVersion: %w", err)
	}
	if gv.Definition == nil {
		return id, &ggtypes.GroupVersion{}, nil
	}
	return id, gv.Definition, nil
}

// deployGroupVersion creates a group version with def's content, deploys
// it (CreateGroupVersion, CreateDeployment) and waits until the group's
// core has applied it.
func (r *runner) deployGroupVersion(ctx context.Context, group, id string, def *ggtypes.GroupVersion) error {
	gg := r.root.gg
	nv, err := gg.CreateGroupVersion(ctx, &greengrass.CreateGroupVersionInput{
		GroupId:                          &id,
		CoreDefinitionVersionArn:         def.CoreDefinitionVersionArn,
		ConnectorDefinitionVersionArn:    def.ConnectorDefinitionVersionArn,
		LoggerDefinitionVersionArn:       def.LoggerDefinitionVersionArn,
		ResourceDefinitionVersionArn:     def.ResourceDefinitionVersionArn,
		DeviceDefinitionVersionArn:       def.DeviceDefinitionVersionArn,
		FunctionDefinitionVersionArn:     def.FunctionDefinitionVersionArn,
		SubscriptionDefinitionVersionArn: def.SubscriptionDefinitionVersionArn,
	})
	if err != nil {
		return fmt.Errorf("greengrass CreateGroupVersion: %w", err)
	}
	dep, err := gg.CreateDeployment(ctx, &greengrass.CreateDeploymentInput{GroupId: &id, GroupVersionId: nv.Version, DeploymentType: ggtypes.DeploymentTypeNewDeployment})
	if err != nil {
		return fmt.Errorf("greengrass CreateDeployment: %w", err)
	}
	c := r.h.Core(group)
	if c == nil {
		return fmt.Errorf("no core runs")
	}
	res, err := c.WaitDeployment(ctx, aws.ToString(dep.DeploymentId))
	if err != nil {
		return err
	}
	if res.Status != "Success" {
		return fmt.Errorf("greengrass deployment %s: %s: %s", aws.ToString(dep.DeploymentId), res.Status, res.Error)
	}
	return nil
}
