package iot

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/tgsim/tgsim/fakes/awsproto"
)

// Describe maps a request to its IAM action and resource, as the Service
// Authorization Reference lists them for AWS IoT: things are
// arn:aws:iot:REGION:ACCOUNT:thing/NAME, certificates .../cert/ID;
// operations without a resource type act on "*".
func (s *Service) Describe(r *http.Request) (awsproto.Call, error) {
	_, pattern := s.mux.Handler(r)
	op, ok := s.ops[pattern]
	if !ok {
		return awsproto.Call{Operation: "Unknown", NoAuthorization: true}, nil
	}
	account, region := s.scope(r.Context())
	call := awsproto.Call{Operation: op, Action: "iot:" + op, Resources: []string{"*"}}
	segs := strings.Split(strings.TrimPrefix(r.URL.EscapedPath(), "/"), "/")
	if len(segs) >= 2 && segs[1] != "" {
		name, err := url.PathUnescape(segs[1])
		if err != nil {
			return call, nil
		}
		switch segs[0] {
		case "things":
			call.Resources = []string{"arn:aws:iot:" + region + ":" + account + ":thing/" + name}
		case "certificates":
			call.Resources = []string{"arn:aws:iot:" + region + ":" + account + ":cert/" + name}
		}
	}
	return call, nil
}
