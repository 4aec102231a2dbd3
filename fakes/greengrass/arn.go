package greengrass

import (
	"strings"

	"github.com/tgsim/tgsim/fakes/awsproto"
)

// Greengrass ARNs keep the leading slash of the resource path:
// arn:aws:greengrass:us-west-2:123456789012:/greengrass/groups/<id>.
// AWS: CLI reference examples for create-group, create-*-definition.

func groupArn(region, account, id string) string {
	return "arn:aws:greengrass:" + region + ":" + account + ":/greengrass/groups/" + id
}

func groupVersionArn(region, account, id, version string) string {
	return groupArn(region, account, id) + "/versions/" + version
}

func deploymentArn(region, account, groupID, id string) string {
	return groupArn(region, account, groupID) + "/deployments/" + id
}

func definitionArn(region, account string, kind Kind, id string) string {
	return "arn:aws:greengrass:" + region + ":" + account + ":/greengrass/definition/" + string(kind) + "/" + id
}

func definitionVersionArn(region, account string, kind Kind, id, version string) string {
	return definitionArn(region, account, kind, id) + "/versions/" + version
}

// splitDefinitionVersionArn takes a definition version ARN apart:
// arn:PARTITION:greengrass:REGION:ACCOUNT:/greengrass/definition/KIND/ID/versions/VERSION.
func splitDefinitionVersionArn(s string) (kind Kind, id, version string, ok bool) {
	a, err := awsproto.ParseARN(s)
	if err != nil || a.Service != "greengrass" {
		return "", "", "", false
	}
	parts := strings.Split(a.Resource, "/")
	// "", "greengrass", "definition", KIND, ID, "versions", VERSION
	if len(parts) != 7 || parts[0] != "" || parts[1] != "greengrass" || parts[2] != "definition" || parts[5] != "versions" {
		return "", "", "", false
	}
	kind = Kind(parts[3])
	if !kind.valid() || parts[4] == "" || parts[6] == "" {
		return "", "", "", false
	}
	return kind, parts[4], parts[6], true
}
