package iam_test

import (
	"context"
	"strings"
	"testing"
)

func serviceTrust(service string) string {
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"` + service + `"},"Action":"sts:AssumeRole"}]}`
}

// TestAssumeRoleForService: only a trust policy naming the service
// principal lets the service in; the session authenticates as the role.
func TestAssumeRoleForService(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	tg := e.role(t, "tg-flow", serviceTrust("iotthingsgraph.amazonaws.com"))
	gg := e.role(t, "gg-only", serviceTrust("greengrass.amazonaws.com"))
	user := e.role(t, "for-users", trustFor("arn:aws:iam::123456789012:root"))
	for _, tc := range []struct {
		name, role, service string
		wantErr             string
	}{
		{"trusted service", tg, "iotthingsgraph.amazonaws.com", ""},
		{"other service", gg, "iotthingsgraph.amazonaws.com", "User: iotthingsgraph.amazonaws.com is not authorized to perform: sts:AssumeRole on resource: " + gg},
		{"account trust is not service trust", user, "iotthingsgraph.amazonaws.com", "not authorized to perform: sts:AssumeRole"},
		{"no such role", "arn:aws:iam::123456789012:role/missing", "iotthingsgraph.amazonaws.com", "not authorized to perform: sts:AssumeRole"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			creds, err := e.svc.AssumeRoleForService(ctx, tc.role, tc.service, "ThingsGraph")
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if creds.ARN != "arn:aws:sts::123456789012:assumed-role/tg-flow/ThingsGraph" || !strings.HasPrefix(creds.AccessKeyID, "ASIA") {
				t.Errorf("creds = %+v", creds)
			}
			key, caller, ok := e.svc.Authenticate(creds.AccessKeyID)
			if !ok || key.SessionToken != creds.SessionToken || caller.ARN != creds.ARN || caller.RoleARN != tg {
				t.Errorf("Authenticate = %+v %+v %v", key, caller, ok)
			}
		})
	}
}
