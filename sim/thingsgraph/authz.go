package thingsgraph

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/tgsim/tgsim/fakes/awsproto"
	"github.com/tgsim/tgsim/sim/tdm"
)

// resourceTypeOf maps operations to the resource type the IAM Service
// Authorization Reference lists for them and the request member naming the
// resource; operations not listed act on "*". [SAR list_awsiotthingsgraph]
var resourceTypeOf = map[string]struct{ typ, member string }{
	"DeleteFlowTemplate":         {"Workflow", "id"},
	"DeprecateFlowTemplate":      {"Workflow", "id"},
	"GetFlowTemplate":            {"Workflow", "id"},
	"GetFlowTemplateRevisions":   {"Workflow", "id"},
	"UpdateFlowTemplate":         {"Workflow", "id"},
	"DeleteSystemTemplate":       {"System", "id"},
	"DeprecateSystemTemplate":    {"System", "id"},
	"GetSystemTemplate":          {"System", "id"},
	"GetSystemTemplateRevisions": {"System", "id"},
	"UpdateSystemTemplate":       {"System", "id"},
	"DeleteSystemInstance":       {"Deployment", "id"},
	"DeploySystemInstance":       {"Deployment", "id"},
	"GetSystemInstance":          {"Deployment", "id"},
	"UndeploySystemInstance":     {"Deployment", "id"},
	"SearchFlowExecutions":       {"Deployment", "systemInstanceId"},
	"ListTagsForResource":        {"Deployment", "resourceArn"},
	"TagResource":                {"Deployment", "resourceArn"},
	"UntagResource":              {"Deployment", "resourceArn"},
}

// PolicyARN returns the ARN IAM policies use for a flow, system or system
// instance: arn:aws:iotthingsgraph:REGION:ACCOUNT:<Workflow|System|Deployment>/<name>.
// [SAR] lists ${NamespacePath} after the type; [INF spec §6.2] tgsim uses the
// entity's name (the URN's last path), which is what the guide's examples write.
func PolicyARN(region, account, typ, urnOrArn string) string {
	name := urnOrArn
	if u, err := tdm.ParseURN(urnOrArn); err == nil {
		name = u.Path
	} else if i := strings.LastIndex(urnOrArn, "#"); i >= 0 {
		// The API's own ARN form: ...:default#Deployment#Room215.
		name = urnOrArn[i+1:]
	}
	return fmt.Sprintf("arn:aws:iotthingsgraph:%s:%s:%s/%s", region, account, typ, name)
}

// Describe maps a request to its IAM action, resource and condition keys.
func (s *Service) Describe(r *http.Request) (awsproto.Call, error) {
	if r.URL.Path == ExecutionsPath {
		// Divergence: tgsim's internal execution report route; any
		// authenticated caller (the core's runtime) may use it.
		return awsproto.Call{Operation: "ReportFlowExecutions", NoAuthorization: true}, nil
	}
	op, err := awsproto.Target(r, TargetPrefix)
	if err != nil {
		return awsproto.Call{}, err
	}
	call := awsproto.Call{Operation: op, Action: "iotthingsgraph:" + op, Resources: []string{"*"}}
	rt, hasResource := resourceTypeOf[op]
	needsBody := hasResource || op == "CreateSystemInstance" || op == "TagResource" || op == "UntagResource"
	if !needsBody {
		return call, nil
	}
	body, err := awsproto.ReadBody(r)
	if err != nil {
		return awsproto.Call{}, err
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	var in map[string]json.RawMessage
	if json.Unmarshal(body, &in) != nil {
		// Malformed bodies are the handler's to report; authorize on "*".
		return call, nil
	}
	ctx := r.Context()
	region, account := s.region(ctx), s.account(ctx)
	var id string
	if hasResource {
		_ = json.Unmarshal(in[rt.member], &id)
		if id != "" {
			call.Resources = []string{PolicyARN(region, account, rt.typ, id)}
		}
	}
	call.Context = map[string][]string{}
	var tags []tag
	_ = json.Unmarshal(in["tags"], &tags)
	for _, t := range tags {
		call.Context["aws:RequestTag/"+t.Key] = []string{t.Value}
		call.Context["aws:TagKeys"] = append(call.Context["aws:TagKeys"], t.Key)
	}
	var keys []string
	if json.Unmarshal(in["tagKeys"], &keys) == nil {
		call.Context["aws:TagKeys"] = append(call.Context["aws:TagKeys"], keys...)
	}
	if rt.typ == "Deployment" && id != "" {
		for k, v := range s.instanceTags(id) {
			call.Context["aws:ResourceTag/"+k] = []string{v}
		}
	}
	return call, nil
}
