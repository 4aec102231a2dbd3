package iot

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/tgsim/tgsim/fakes/awsproto"
)

// resourceOf maps an operation to the path value naming its resource and
// the ARN resource type, as the Service Authorization Reference lists them
// for AWS IoT (arn:aws:iot:REGION:ACCOUNT:TYPE/NAME). Operations not here
// act on "*".
var resourceOf = map[string]struct{ value, kind string }{
	"CreateThing": {"thingName", "thing"}, "DescribeThing": {"thingName", "thing"}, "UpdateThing": {"thingName", "thing"},
	"DeleteThing": {"thingName", "thing"}, "AttachThingPrincipal": {"thingName", "thing"},
	"DetachThingPrincipal": {"thingName", "thing"}, "ListThingPrincipals": {"thingName", "thing"},
	"ListThingGroupsForThing": {"thingName", "thing"},

	"DescribeCertificate": {"certificateId", "cert"}, "UpdateCertificate": {"certificateId", "cert"},
	"DeleteCertificate": {"certificateId", "cert"},

	"CreateThingType": {"thingTypeName", "thingtype"}, "DescribeThingType": {"thingTypeName", "thingtype"},
	"DeprecateThingType": {"thingTypeName", "thingtype"}, "DeleteThingType": {"thingTypeName", "thingtype"},

	"CreateThingGroup": {"thingGroupName", "thinggroup"}, "DescribeThingGroup": {"thingGroupName", "thinggroup"},
	"UpdateThingGroup": {"thingGroupName", "thinggroup"}, "DeleteThingGroup": {"thingGroupName", "thinggroup"},
	"ListThingsInThingGroup": {"thingGroupName", "thinggroup"},

	"CreatePolicy": {"policyName", "policy"}, "GetPolicy": {"policyName", "policy"}, "DeletePolicy": {"policyName", "policy"},
	"CreatePolicyVersion": {"policyName", "policy"}, "GetPolicyVersion": {"policyName", "policy"},
	"ListPolicyVersions": {"policyName", "policy"}, "SetDefaultPolicyVersion": {"policyName", "policy"},
	"DeletePolicyVersion": {"policyName", "policy"}, "AttachPolicy": {"policyName", "policy"},
	"DetachPolicy": {"policyName", "policy"}, "ListTargetsForPolicy": {"policyName", "policy"},

	"CreateTopicRule": {"ruleName", "rule"}, "GetTopicRule": {"ruleName", "rule"}, "ReplaceTopicRule": {"ruleName", "rule"},
	"DeleteTopicRule": {"ruleName", "rule"}, "EnableTopicRule": {"ruleName", "rule"}, "DisableTopicRule": {"ruleName", "rule"},
}

// Describe maps a request to its IAM action and resources, as the Service
// Authorization Reference lists them for AWS IoT: thing/NAME, cert/ID,
// thingtype/NAME, thinggroup/NAME, policy/NAME, rule/NAME; operations
// without a resource type act on "*". AddThingToThingGroup and
// RemoveThingFromThingGroup name the group and the thing in the body.
func (s *Service) Describe(r *http.Request) (awsproto.Call, error) {
	_, pattern := s.mux.Handler(r)
	op, ok := s.ops[pattern]
	if !ok {
		return awsproto.Call{Operation: "Unknown", NoAuthorization: true}, nil
	}
	account, region := s.scope(r.Context())
	arn := func(kind, name string) string {
		return "arn:aws:iot:" + region + ":" + account + ":" + kind + "/" + name
	}
	call := awsproto.Call{Operation: op, Action: "iot:" + op, Resources: []string{"*"}}
	if res, ok := resourceOf[op]; ok {
		if name := pathValue(pattern, r.URL.EscapedPath(), res.value); name != "" {
			call.Resources = []string{arn(res.kind, name)}
		}
		return call, nil
	}
	if op == "AddThingToThingGroup" || op == "RemoveThingFromThingGroup" {
		body, err := awsproto.ReadBody(r)
		if err != nil {
			return call, err
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		var in groupMembership
		if json.Unmarshal(body, &in) != nil {
			return call, nil // the handler reports the bad body
		}
		group, thing, err := in.resolve()
		if err != nil {
			return call, nil
		}
		call.Resources = []string{arn("thinggroup", group), arn("thing", thing)}
	}
	return call, nil
}

// pathValue reads the wildcard {name} of a mux pattern ("GET /a/{name}")
// from an escaped request path: the mux sets path values only on the
// request it serves.
func pathValue(pattern, escapedPath, name string) string {
	_, p, _ := strings.Cut(pattern, " ")
	ps := strings.Split(strings.Trim(p, "/"), "/")
	rs := strings.Split(strings.Trim(escapedPath, "/"), "/")
	for i, seg := range ps {
		if seg == "{"+name+"}" && i < len(rs) {
			v, err := url.PathUnescape(rs[i])
			if err != nil {
				return ""
			}
			return v
		}
	}
	return ""
}
