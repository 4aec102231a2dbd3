package greengrass

import (
	"net/http"
	"strings"

	"github.com/tgsim/tgsim/fakes/awsproto"
)

// definitionLabels maps each definition kind's URI label to its ARN segment.
var definitionLabels = []struct{ id, version, seg string }{
	{"CoreDefinitionId", "CoreDefinitionVersionId", "cores"},
	{"DeviceDefinitionId", "DeviceDefinitionVersionId", "devices"},
	{"FunctionDefinitionId", "FunctionDefinitionVersionId", "functions"},
	{"SubscriptionDefinitionId", "SubscriptionDefinitionVersionId", "subscriptions"},
	{"LoggerDefinitionId", "LoggerDefinitionVersionId", "loggers"},
	{"ResourceDefinitionId", "ResourceDefinitionVersionId", "resources"},
	{"ConnectorDefinitionId", "ConnectorDefinitionVersionId", "connectors"},
}

// Describe maps a request to its IAM action and resource ARN, as the
// Service Authorization Reference lists them for AWS IoT Greengrass v1
// (resource types group, groupVersion, deployment, *Definition,
// *DefinitionVersion, bulkDeployment, connectivityInfo, certificateAuthority:
// arn:aws:greengrass:REGION:ACCOUNT:/greengrass/...).
func (s *Service) Describe(r *http.Request) (awsproto.Call, error) {
	region, account := s.where(r.Context())
	base := "arn:aws:greengrass:" + region + ":" + account + ":/greengrass/"
	if strings.HasPrefix(r.URL.Path, CoreChannelPrefix) {
		// The core's own channel: in AWS the core's certificate policy
		// grants greengrass:GetDeployment and
		// greengrass:UpdateCoreDeploymentStatus (and CreateCertificate for
		// its MQTT server certificate).
		segs := strings.Split(strings.TrimPrefix(r.URL.Path, CoreChannelPrefix), "/")
		call := awsproto.Call{Operation: "GetDeployment", Action: "greengrass:GetDeployment", Resources: []string{"*"}}
		if len(segs) >= 2 && segs[0] == "groups" {
			call.Resources = []string{base + "groups/" + segs[1]}
		}
		switch {
		case r.Method == http.MethodPost && len(segs) == 3 && segs[2] == "coreCertificate":
			// The core's server certificate: AWS's minimal core policy
			// grants greengrass:CreateCertificate for it (resource "*"
			// there; tgsim names the group).
			call.Operation, call.Action = "CreateCertificate", "greengrass:CreateCertificate"
		case r.Method == http.MethodPost:
			call.Operation, call.Action = "UpdateCoreDeploymentStatus", "greengrass:UpdateCoreDeploymentStatus"
			if len(segs) >= 4 {
				call.Resources = []string{base + "groups/" + segs[1] + "/deployments/" + segs[3]}
			}
		}
		return call, nil
	}
	rt, p, ok := s.find(r.Method, r.URL.EscapedPath())
	if !ok {
		// Unknown routes are the handler's to answer; nothing to authorize.
		return awsproto.Call{Operation: "Unknown", NoAuthorization: true}, nil
	}
	call := awsproto.Call{Operation: rt.op, Action: "greengrass:" + rt.op, Resources: []string{"*"}}
	switch {
	case p["GroupId"] != "" && p["CertificateAuthorityId"] != "":
		call.Resources = []string{base + "groups/" + p["GroupId"] + "/certificateauthorities/" + p["CertificateAuthorityId"]}
	case p["GroupId"] != "" && p["DeploymentId"] != "":
		call.Resources = []string{base + "groups/" + p["GroupId"] + "/deployments/" + p["DeploymentId"]}
	case p["GroupId"] != "" && p["GroupVersionId"] != "":
		call.Resources = []string{base + "groups/" + p["GroupId"] + "/versions/" + p["GroupVersionId"]}
	case p["GroupId"] != "":
		call.Resources = []string{base + "groups/" + p["GroupId"]}
	case p["BulkDeploymentId"] != "":
		call.Resources = []string{base + "bulk/deployments/" + p["BulkDeploymentId"]}
	case p["ThingName"] != "":
		call.Resources = []string{base + "things/" + p["ThingName"] + "/connectivityInfo"}
	default:
		for _, d := range definitionLabels {
			id := p[d.id]
			if id == "" {
				continue
			}
			arn := base + "definition/" + d.seg + "/" + id
			if v := p[d.version]; v != "" {
				arn += "/versions/" + v
			}
			call.Resources = []string{arn}
			break
		}
	}
	return call, nil
}
