package main

import (
	"fmt"
	"strings"

	"github.com/tgsim/tgsim/fakes/policy"
)

// accessLogOperations maps S3 server access log operation names, which the
// Things Graph guide prints in its list of deploy permissions
// ("s3:REST.GET.OBJECT"), to the IAM actions a policy needs instead.
// AWS: S3 "Amazon S3 server access log format" (Operation) and "Actions,
// resources, and condition keys for Amazon S3".
var accessLogOperations = map[string]string{
	"REST.GET.OBJECT":    "s3:GetObject",
	"REST.HEAD.OBJECT":   "s3:GetObject",
	"REST.PUT.OBJECT":    "s3:PutObject",
	"REST.POST.OBJECT":   "s3:PutObject",
	"REST.COPY.OBJECT":   "s3:PutObject and s3:GetObject",
	"REST.DELETE.OBJECT": "s3:DeleteObject",
	"REST.GET.BUCKET":    "s3:ListBucket",
	"REST.HEAD.BUCKET":   "s3:ListBucket",
	"REST.PUT.BUCKET":    "s3:CreateBucket",
	"REST.DELETE.BUCKET": "s3:DeleteBucket",
}

// checkPolicy parses an IAM policy document and returns its problems: the
// parse error (what IAM answers as MalformedPolicyDocument), or warnings
// for actions that are not IAM actions at all.
func checkPolicy(name, doc string) (errs, warnings []string) {
	p, err := policy.Parse(doc)
	if err != nil {
		return []string{fmt.Sprintf("%s: MalformedPolicyDocument: %v", name, err)}, nil
	}
	for i, st := range p.Statements {
		for _, a := range append(append([]string(nil), st.Action...), st.NotAction...) {
			svc, op, ok := strings.Cut(a, ":")
			if !ok || !strings.EqualFold(svc, "s3") {
				continue
			}
			if iam, known := accessLogOperations[strings.ToUpper(op)]; known {
				warnings = append(warnings, fmt.Sprintf("%s: warning: Statement[%d]: %q is an S3 server access log operation name, not an IAM action; IAM never matches it: use %s", name, i, a, iam))
			} else if strings.HasPrefix(strings.ToUpper(op), "REST.") {
				warnings = append(warnings, fmt.Sprintf("%s: warning: Statement[%d]: %q looks like an S3 access log operation name, not an IAM action", name, i, a))
			}
		}
	}
	return nil, warnings
}
