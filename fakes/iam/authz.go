package iam

import (
	"bytes"
	"io"
	"net/http"
	"net/url"

	"github.com/tgsim/tgsim/fakes/awsproto"
)

// Describe maps a Query request to its IAM action and resource, as the
// Service Authorization Reference lists them for IAM (user, group, role,
// policy ARNs) and STS. sts:GetCallerIdentity and sts:GetSessionToken need
// no permission; sts:AssumeRole is authorized by its handler, which
// combines the role's trust policy with the caller's identity policies.
func (a *queryAPI) Describe(r *http.Request) (awsproto.Call, error) {
	form := url.Values{}
	for k, v := range r.URL.Query() {
		form[k] = v
	}
	if r.Body != nil && r.Method == http.MethodPost {
		body, err := io.ReadAll(io.LimitReader(r.Body, maxFormBytes+1))
		if err != nil {
			return awsproto.Call{}, err
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		if q, err := url.ParseQuery(string(body)); err == nil {
			for k, v := range q {
				form[k] = append(form[k], v...)
			}
		}
	}
	op := form.Get("Action")
	if _, ok := a.actions[op]; !ok {
		// Unknown or missing actions are the handler's to answer.
		return awsproto.Call{Operation: op, NoAuthorization: true}, nil
	}
	call := awsproto.Call{Operation: op, Action: a.name + ":" + op, Resources: []string{"*"}}
	if a.name == "sts" {
		switch op {
		case "GetCallerIdentity", "GetSessionToken":
			call.NoAuthorization = true
		case "AssumeRole":
			call.SelfAuthorized = true
		}
		return call, nil
	}
	info, _ := awsproto.RequestInfoFrom(r.Context())
	account := a.svc.opts.AccountID
	if info.AccountID != "" {
		account = info.AccountID
	}
	prefix := "arn:aws:iam::" + account + ":"
	switch {
	case form.Get("PolicyArn") != "":
		call.Resources = []string{form.Get("PolicyArn")}
	case form.Get("PolicySourceArn") != "":
		call.Resources = []string{form.Get("PolicySourceArn")}
	case form.Get("RoleName") != "":
		call.Resources = []string{prefix + "role/" + form.Get("RoleName")}
	case form.Get("GroupName") != "":
		call.Resources = []string{prefix + "group/" + form.Get("GroupName")}
	case form.Get("UserName") != "":
		call.Resources = []string{prefix + "user/" + form.Get("UserName")}
	case op == "CreatePolicy" && form.Get("PolicyName") != "":
		call.Resources = []string{prefix + "policy" + pathOr(form.Get("Path")) + form.Get("PolicyName")}
	case op == "GetUser" || op == "ListAccessKeys" || op == "CreateAccessKey" || op == "UpdateAccessKey" || op == "DeleteAccessKey" || op == "ListGroupsForUser":
		// Without UserName these act on the caller itself.
		if info.Caller.Type == "User" {
			call.Resources = []string{info.Caller.ARN}
		}
	}
	return call, nil
}

func pathOr(p string) string {
	if p == "" {
		return "/"
	}
	return p
}
