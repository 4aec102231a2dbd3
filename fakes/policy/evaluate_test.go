package policy

import (
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

const (
	acct       = "123456789012"
	otherAcct  = "210987654321"
	bobARN     = "arn:aws:iam::123456789012:user/bob"
	roleARN    = "arn:aws:iam::123456789012:role/ops/deployer" // a role with a path
	sessionARN = "arn:aws:sts::123456789012:assumed-role/deployer/alice-session"
	tgResource = "arn:aws:iotthingsgraph:us-east-1:123456789012:Deployment/d1"
)

var (
	bob     = &Principal{Type: "AWS", ID: bobARN, Account: acct}
	session = &Principal{Type: "AWS", ID: sessionARN, Account: acct}
)

func named(t testing.TB, id, doc string) NamedPolicy {
	t.Helper()
	return NamedPolicy{ID: id, Policy: mustParse(t, doc)}
}

func namedPtr(t testing.TB, id, doc string) *NamedPolicy {
	np := named(t, id, doc)
	return &np
}

func allowDoc(action, resource string) string {
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"` + action + `","Resource":"` + resource + `"}]}`
}

func denyDoc(action, resource string) string {
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"` + action + `","Resource":"` + resource + `"}]}`
}

func resourceDoc(effect, principalJSON, action, resource string) string {
	return `{"Version":"2012-10-17","Statement":[{"Effect":"` + effect + `","Principal":` + principalJSON + `,"Action":"` + action + `","Resource":"` + resource + `"}]}`
}

func TestEvaluateIdentity(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		docs     []string
		action   string
		resource string
		want     Result
	}{
		{
			name: "allowed", docs: []string{allowDoc("iotthingsgraph:*", "*")},
			action: "iotthingsgraph:DeploySystemInstance", resource: tgResource,
			want: Result{Decision: Allowed, Matched: []Match{{PolicyID: "id0", Statement: 0, Effect: Allow, Kind: KindIdentity}}},
		},
		{
			name: "default deny", docs: []string{allowDoc("s3:*", "*")},
			action: "iotthingsgraph:DeploySystemInstance", resource: tgResource,
			want: Result{Decision: ImplicitDeny, DeniedBy: KindIdentity},
		},
		{
			name: "no policies at all", docs: nil,
			action: "iotthingsgraph:DeploySystemInstance", resource: tgResource,
			want: Result{Decision: ImplicitDeny, DeniedBy: KindIdentity},
		},
		{
			name: "explicit deny in another policy beats allow", docs: []string{allowDoc("*", "*"), denyDoc("iotthingsgraph:Deploy*", "*")},
			action: "iotthingsgraph:DeploySystemInstance", resource: tgResource,
			want: Result{Decision: ExplicitDeny, DeniedBy: KindIdentity, Matched: []Match{{PolicyID: "id1", Statement: 0, Effect: Deny, Kind: KindIdentity}}},
		},
		{
			name: "action case-insensitive", docs: []string{allowDoc("IOTTHINGSGRAPH:deploysysteminstance", "*")},
			action: "iotthingsgraph:DeploySystemInstance", resource: tgResource,
			want: Result{Decision: Allowed, Matched: []Match{{PolicyID: "id0", Statement: 0, Effect: Allow, Kind: KindIdentity}}},
		},
		{
			name: "resource case-sensitive", docs: []string{allowDoc("*", "arn:aws:iotthingsgraph:us-east-1:123456789012:deployment/*")},
			action: "iotthingsgraph:DeploySystemInstance", resource: tgResource,
			want: Result{Decision: ImplicitDeny, DeniedBy: KindIdentity},
		},
		{
			name: "resource question mark", docs: []string{allowDoc("*", "arn:aws:iotthingsgraph:us-east-1:123456789012:Deployment/d?")},
			action: "iotthingsgraph:DeploySystemInstance", resource: tgResource,
			want: Result{Decision: Allowed, Matched: []Match{{PolicyID: "id0", Statement: 0, Effect: Allow, Kind: KindIdentity}}},
		},
		{
			// AWS: reference_policies_elements_notaction example: allow
			// everything except IAM.
			name: "NotAction allows the rest", docs: []string{`{"Version":"2012-10-17","Statement":{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}}`},
			action: "iotthingsgraph:DeploySystemInstance", resource: tgResource,
			want: Result{Decision: Allowed, Matched: []Match{{PolicyID: "id0", Statement: 0, Effect: Allow, Kind: KindIdentity}}},
		},
		{
			name: "NotAction excludes", docs: []string{`{"Version":"2012-10-17","Statement":{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}}`},
			action: "iam:CreateUser", resource: "*",
			want: Result{Decision: ImplicitDeny, DeniedBy: KindIdentity},
		},
		{
			// AWS: reference_policies_elements_notresource example: deny
			// everything outside one bucket.
			name: "NotResource deny", docs: []string{allowDoc("s3:*", "*"), `{"Version":"2012-10-17","Statement":{"Sid":"Only","Effect":"Deny","Action":"s3:*","NotResource":["arn:aws:s3:::HRBucket/Payroll","arn:aws:s3:::HRBucket/Payroll/*"]}}`},
			action: "s3:GetObject", resource: "arn:aws:s3:::HRBucket/Other",
			want: Result{Decision: ExplicitDeny, DeniedBy: KindIdentity, Matched: []Match{{PolicyID: "id1", Statement: 0, Sid: "Only", Effect: Deny, Kind: KindIdentity}}},
		},
		{
			name: "NotResource deny does not cover listed", docs: []string{allowDoc("s3:*", "*"), `{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"s3:*","NotResource":["arn:aws:s3:::HRBucket/Payroll","arn:aws:s3:::HRBucket/Payroll/*"]}}`},
			action: "s3:GetObject", resource: "arn:aws:s3:::HRBucket/Payroll/jan",
			want: Result{Decision: Allowed, Matched: []Match{{PolicyID: "id0", Statement: 0, Effect: Allow, Kind: KindIdentity}}},
		},
		{
			name: "all matching allows are reported", docs: []string{`{"Version":"2012-10-17","Statement":[{"Sid":"A","Effect":"Allow","Action":"iotthingsgraph:*","Resource":"*"},{"Sid":"B","Effect":"Allow","Action":"s3:*","Resource":"*"},{"Sid":"C","Effect":"Allow","Action":"*","Resource":"arn:aws:iotthingsgraph:*"}]}`},
			action: "iotthingsgraph:DeploySystemInstance", resource: tgResource,
			want: Result{Decision: Allowed, Matched: []Match{{PolicyID: "id0", Statement: 0, Sid: "A", Effect: Allow, Kind: KindIdentity}, {PolicyID: "id0", Statement: 2, Sid: "C", Effect: Allow, Kind: KindIdentity}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := identity(t, tt.docs...)
			got := Evaluate(s, &Request{Action: tt.action, Resource: tt.resource, Principal: bob, Context: Context{}}, Options{})
			if diff := cmp.Diff(tt.want, got, cmpopts.EquateEmpty(), cmpopts.EquateErrors()); diff != "" {
				t.Errorf("Evaluate(%q) mismatch (-want +got):\n%s", tt.action, diff)
			}
		})
	}
}

// TestEvaluatePrincipal: resource-based policies only, so the decision
// says whether the Principal element matched. AWS:
// reference_policies_elements_principal.
func TestEvaluatePrincipal(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		principal string // JSON
		not       bool   // NotPrincipal instead
		caller    *Principal
		want      bool
	}{
		{"star", `"*"`, false, bob, true},
		{"star anonymous", `"*"`, false, nil, true},
		{"AWS star", `{"AWS":"*"}`, false, session, true},
		{"account id", `{"AWS":"` + acct + `"}`, false, bob, true},
		{"account id other account", `{"AWS":"` + otherAcct + `"}`, false, bob, false},
		{"account root ARN", `{"AWS":"arn:aws:iam::` + acct + `:root"}`, false, session, true},
		{"account from ARN when Account empty", `{"AWS":"` + acct + `"}`, false, &Principal{Type: "AWS", ID: bobARN}, true},
		{"account does not match a service", `{"AWS":"` + acct + `"}`, false, &Principal{Type: "Service", ID: "iotthingsgraph.amazonaws.com"}, false},
		{"user ARN", `{"AWS":"` + bobARN + `"}`, false, bob, true},
		{"other user", `{"AWS":"arn:aws:iam::123456789012:user/alice"}`, false, bob, false},
		{"user ARN in a list", `{"AWS":["arn:aws:iam::123456789012:user/alice","` + bobARN + `"]}`, false, bob, true},
		{"role ARN matches its session", `{"AWS":"` + roleARN + `"}`, false, session, true},
		{"role ARN matches the role", `{"AWS":"` + roleARN + `"}`, false, &Principal{Type: "AWS", ID: roleARN, Account: acct}, true},
		{"role ARN: other role's session", `{"AWS":"arn:aws:iam::123456789012:role/other"}`, false, session, false},
		{"role ARN: same name other account", `{"AWS":"arn:aws:iam::` + otherAcct + `:role/deployer"}`, false, session, false},
		{"session ARN exact", `{"AWS":"` + sessionARN + `"}`, false, session, true},
		{"session ARN other session", `{"AWS":"arn:aws:sts::123456789012:assumed-role/deployer/bob-session"}`, false, session, false},
		{"service", `{"Service":"iotthingsgraph.amazonaws.com"}`, false, &Principal{Type: "Service", ID: "iotthingsgraph.amazonaws.com"}, true},
		{"service list", `{"Service":["greengrass.amazonaws.com","iotthingsgraph.amazonaws.com"]}`, false, &Principal{Type: "Service", ID: "iotthingsgraph.amazonaws.com"}, true},
		{"service vs AWS caller", `{"Service":"iotthingsgraph.amazonaws.com"}`, false, bob, false},
		{"federated", `{"Federated":"cognito-identity.amazonaws.com"}`, false, &Principal{Type: "Federated", ID: "cognito-identity.amazonaws.com"}, true},
		{"canonical user", `{"CanonicalUser":"79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"}`, false, &Principal{Type: "CanonicalUser", ID: "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"}, true},
		{"anonymous vs named", `{"AWS":"` + bobARN + `"}`, false, nil, false},
		{"NotPrincipal excludes listed", `{"AWS":"` + bobARN + `"}`, true, bob, false},
		{"NotPrincipal includes others", `{"AWS":"` + bobARN + `"}`, true, session, true},
		{"NotPrincipal includes anonymous", `{"AWS":"` + bobARN + `"}`, true, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			elem := "Principal"
			if tt.not {
				elem = "NotPrincipal"
			}
			doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","` + elem + `":` + tt.principal + `,"Action":"iotthingsgraph:*","Resource":"*"}]}`
			s := Set{Resource: []NamedPolicy{named(t, "rp", doc)}}
			got := Evaluate(s, &Request{Action: "iotthingsgraph:GetFlowTemplate", Resource: tgResource, Principal: tt.caller, Context: Context{}}, Options{})
			if (got.Decision == Allowed) != tt.want {
				t.Errorf("Evaluate(%s %s for %+v) = %v, want allowed=%v", elem, tt.principal, tt.caller, got.Decision, tt.want)
			}
		})
	}
}

// TestEvaluateCombination: how identity-based, resource-based, boundary and
// session policies combine within one account. AWS: reference_policies_
// evaluation-logic, access_policies_boundaries, access_policies#policies_session.
func TestEvaluateCombination(t *testing.T) {
	t.Parallel()
	allowTG := allowDoc("iotthingsgraph:*", "*")
	allowS3 := allowDoc("s3:*", "*")
	denyTG := denyDoc("iotthingsgraph:*", "*")
	// AWS access_policies_boundaries example: ShirleyRodriguez's boundary
	// allows S3, CloudWatch and EC2; her identity policy allows iam:CreateUser.
	shirleyBoundary := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:*","cloudwatch:*","ec2:*"],"Resource":"*"}]}`
	shirleyIdentity := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:CreateUser","Resource":"*"}]}`
	rpFor := func(principal string) string {
		return resourceDoc("Allow", `{"AWS":"`+principal+`"}`, "iotthingsgraph:*", "*")
	}
	tests := []struct {
		name         string
		set          func(t *testing.T) Set
		caller       *Principal
		action       string
		wantDecision Decision
		wantDeniedBy string
	}{
		{"identity allows", func(t *testing.T) Set { return Set{Identity: []NamedPolicy{named(t, "i", allowTG)}} }, bob, "", Allowed, ""},
		{"resource allows alone", func(t *testing.T) Set { return Set{Resource: []NamedPolicy{named(t, "r", rpFor(acct))}} }, bob, "", Allowed, ""},
		{"neither allows", func(t *testing.T) Set {
			return Set{Identity: []NamedPolicy{named(t, "i", allowS3)}, Resource: []NamedPolicy{named(t, "r", rpFor(otherAcct))}}
		}, bob, "", ImplicitDeny, KindIdentity},
		{"boundary example: identity allows, boundary does not", func(t *testing.T) Set {
			return Set{Identity: []NamedPolicy{named(t, "i", shirleyIdentity)}, Boundary: namedPtr(t, "b", shirleyBoundary)}
		}, bob, "iam:CreateUser", ImplicitDeny, KindBoundary},
		{"boundary example: boundary allows, identity does not", func(t *testing.T) Set {
			return Set{Identity: []NamedPolicy{named(t, "i", shirleyIdentity)}, Boundary: namedPtr(t, "b", shirleyBoundary)}
		}, bob, "s3:GetObject", ImplicitDeny, KindIdentity},
		{"boundary and identity allow", func(t *testing.T) Set {
			return Set{Identity: []NamedPolicy{named(t, "i", allowTG)}, Boundary: namedPtr(t, "b", allowTG)}
		}, bob, "", Allowed, ""},
		{"resource names user ARN: boundary does not limit", func(t *testing.T) Set {
			return Set{Resource: []NamedPolicy{named(t, "r", rpFor(bobARN))}, Boundary: namedPtr(t, "b", allowS3)}
		}, bob, "", Allowed, ""},
		{"resource names account: boundary limits", func(t *testing.T) Set {
			return Set{Resource: []NamedPolicy{named(t, "r", rpFor(acct))}, Boundary: namedPtr(t, "b", allowS3)}
		}, bob, "", ImplicitDeny, KindBoundary},
		{"resource names star: boundary limits", func(t *testing.T) Set {
			return Set{Resource: []NamedPolicy{named(t, "r", resourceDoc("Allow", `"*"`, "iotthingsgraph:*", "*"))}, Boundary: namedPtr(t, "b", allowS3)}
		}, bob, "", ImplicitDeny, KindBoundary},
		{"resource names role ARN: boundary limits the session", func(t *testing.T) Set {
			return Set{Resource: []NamedPolicy{named(t, "r", rpFor(roleARN))}, Boundary: namedPtr(t, "b", allowS3)}
		}, session, "", ImplicitDeny, KindBoundary},
		{"resource names session ARN: boundary does not limit", func(t *testing.T) Set {
			return Set{Resource: []NamedPolicy{named(t, "r", rpFor(sessionARN))}, Boundary: namedPtr(t, "b", allowS3)}
		}, session, "", Allowed, ""},
		{"resource names role ARN, boundary allows", func(t *testing.T) Set {
			return Set{Resource: []NamedPolicy{named(t, "r", rpFor(roleARN))}, Boundary: namedPtr(t, "b", allowTG)}
		}, session, "", Allowed, ""},
		{"session policy limits identity", func(t *testing.T) Set {
			return Set{Identity: []NamedPolicy{named(t, "i", allowTG)}, SessionPolicies: []NamedPolicy{named(t, "s", allowS3)}}
		}, session, "", ImplicitDeny, KindSession},
		{"session policy allows too", func(t *testing.T) Set {
			return Set{Identity: []NamedPolicy{named(t, "i", allowTG)}, SessionPolicies: []NamedPolicy{named(t, "s1", allowS3), named(t, "s2", allowTG)}}
		}, session, "", Allowed, ""},
		{"empty non-nil session policies allow nothing", func(t *testing.T) Set {
			return Set{Identity: []NamedPolicy{named(t, "i", allowTG)}, SessionPolicies: []NamedPolicy{}}
		}, session, "", ImplicitDeny, KindSession},
		{"session policy limits resource grant to role", func(t *testing.T) Set {
			return Set{Resource: []NamedPolicy{named(t, "r", rpFor(roleARN))}, SessionPolicies: []NamedPolicy{named(t, "s", allowS3)}}
		}, session, "", ImplicitDeny, KindSession},
		{"resource grant to session ARN not limited by session policy", func(t *testing.T) Set {
			return Set{Resource: []NamedPolicy{named(t, "r", rpFor(sessionARN))}, SessionPolicies: []NamedPolicy{named(t, "s", allowS3)}}
		}, session, "", Allowed, ""},
		{"boundary checked before session policy", func(t *testing.T) Set {
			return Set{Identity: []NamedPolicy{named(t, "i", allowTG)}, Boundary: namedPtr(t, "b", allowS3), SessionPolicies: []NamedPolicy{named(t, "s", allowS3)}}
		}, session, "", ImplicitDeny, KindBoundary},
		{"explicit deny in boundary", func(t *testing.T) Set {
			return Set{Identity: []NamedPolicy{named(t, "i", allowTG)}, Boundary: namedPtr(t, "b", denyTG)}
		}, bob, "", ExplicitDeny, KindBoundary},
		{"explicit deny in resource policy beats direct grant", func(t *testing.T) Set {
			return Set{Identity: []NamedPolicy{named(t, "i", allowTG)}, Resource: []NamedPolicy{named(t, "r", rpFor(bobARN)), named(t, "r2", resourceDoc("Deny", `"*"`, "iotthingsgraph:*", "*"))}}
		}, bob, "", ExplicitDeny, KindResource},
		{"explicit deny in session policy", func(t *testing.T) Set {
			return Set{Identity: []NamedPolicy{named(t, "i", allowTG)}, SessionPolicies: []NamedPolicy{named(t, "s", denyTG)}}
		}, session, "", ExplicitDeny, KindSession},
		{"deny in identity reported first", func(t *testing.T) Set {
			return Set{Identity: []NamedPolicy{named(t, "i", denyTG)}, Boundary: namedPtr(t, "b", denyTG)}
		}, bob, "", ExplicitDeny, KindIdentity},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			action := tt.action
			if action == "" {
				action = "iotthingsgraph:DeploySystemInstance"
			}
			got := Evaluate(tt.set(t), &Request{Action: action, Resource: tgResource, Principal: tt.caller, Context: Context{}}, Options{})
			if got.Decision != tt.wantDecision || got.DeniedBy != tt.wantDeniedBy {
				t.Errorf("Evaluate(%q) = %v (denied by %q), want %v (denied by %q)", action, got.Decision, got.DeniedBy, tt.wantDecision, tt.wantDeniedBy)
			}
			if (got.Decision == ImplicitDeny) != (len(got.Matched) == 0) {
				t.Errorf("Evaluate(%q) = %v with %d matched statements", action, got.Decision, len(got.Matched))
			}
		})
	}
}

// TestEvaluateCarlosExample is AWS's worked example in "Policy evaluation
// for requests within a single account": Carlos's own identity policy
// denies anything on a *log* bucket, which overrides the bucket policy
// that allows him to put objects.
// TestResourcePolicyWithoutPrincipal: fail closed on a resource-based
// statement that names no principal.
func TestResourcePolicyWithoutPrincipal(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		set  func(t *testing.T) Set
		want Decision
	}{
		{"its Allow grants nobody", func(t *testing.T) Set {
			return Set{Resource: []NamedPolicy{named(t, "r", allowDoc("iotthingsgraph:*", "*"))}}
		}, ImplicitDeny},
		{"its Deny applies to everyone", func(t *testing.T) Set {
			return Set{Identity: []NamedPolicy{named(t, "i", allowDoc("iotthingsgraph:*", "*"))}, Resource: []NamedPolicy{named(t, "r", denyDoc("iotthingsgraph:*", "*"))}}
		}, ExplicitDeny},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := Evaluate(tt.set(t), &Request{Action: "iotthingsgraph:GetFlowTemplate", Resource: tgResource, Principal: bob, Context: Context{}}, Options{})
			if got.Decision != tt.want {
				t.Errorf("Evaluate() = %v, want %v", got.Decision, tt.want)
			}
		})
	}
}

func TestEvaluateCarlosExample(t *testing.T) {
	t.Parallel()
	carlos := &Principal{Type: "AWS", ID: "arn:aws:iam::123456789012:user/carlossalazar", Account: acct}
	s := Set{
		Identity: []NamedPolicy{named(t, "carlossalazar-policy", `{
			"Version": "2012-10-17",
			"Statement": [
				{"Sid": "AllowS3ListRead", "Effect": "Allow", "Action": ["s3:GetBucketLocation", "s3:ListAllMyBuckets"], "Resource": "*"},
				{"Sid": "AllowS3Self", "Effect": "Allow", "Action": "s3:*", "Resource": ["arn:aws:s3:::amzn-s3-demo-bucket-carlossalazar/*", "arn:aws:s3:::amzn-s3-demo-bucket-carlossalazar"]},
				{"Sid": "DenyS3Logs", "Effect": "Deny", "Action": "s3:*", "Resource": "arn:aws:s3:::*log*"}
			]}`)},
		Resource: []NamedPolicy{named(t, "bucket-policy", `{
			"Version": "2012-10-17",
			"Statement": [{"Sid": "AllowCarlosPut", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:user/carlossalazar"},
				"Action": "s3:PutObject", "Resource": "arn:aws:s3:::amzn-s3-demo-bucket-carlossalazar-logs/*"}]}`)},
	}
	tests := []struct {
		name     string
		action   string
		resource string
		want     Result
	}{
		{"put to the logs bucket: explicit deny", "s3:PutObject", "arn:aws:s3:::amzn-s3-demo-bucket-carlossalazar-logs/x",
			Result{Decision: ExplicitDeny, DeniedBy: KindIdentity, Matched: []Match{{PolicyID: "carlossalazar-policy", Statement: 2, Sid: "DenyS3Logs", Effect: Deny, Kind: KindIdentity}}}},
		{"own bucket: allowed", "s3:GetObject", "arn:aws:s3:::amzn-s3-demo-bucket-carlossalazar/x",
			Result{Decision: Allowed, Matched: []Match{{PolicyID: "carlossalazar-policy", Statement: 1, Sid: "AllowS3Self", Effect: Allow, Kind: KindIdentity}}}},
		{"list buckets: allowed", "s3:ListAllMyBuckets", "*",
			Result{Decision: Allowed, Matched: []Match{{PolicyID: "carlossalazar-policy", Statement: 0, Sid: "AllowS3ListRead", Effect: Allow, Kind: KindIdentity}}}},
		{"someone else's bucket: implicit deny", "s3:GetObject", "arn:aws:s3:::other/x",
			Result{Decision: ImplicitDeny, DeniedBy: KindIdentity}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := Evaluate(s, &Request{Action: tt.action, Resource: tt.resource, Principal: carlos, Context: Context{}}, Options{})
			if diff := cmp.Diff(tt.want, got, cmpopts.EquateEmpty(), cmpopts.EquateErrors()); diff != "" {
				t.Errorf("Evaluate(%q) mismatch (-want +got):\n%s", tt.action, diff)
			}
		})
	}
}

func TestEvaluateFailClosed(t *testing.T) {
	t.Parallel()
	s := Set{
		Identity: []NamedPolicy{
			named(t, "plain", allowDoc("*", "*")),
			named(t, "ip", `{"Version":"2012-10-17","Statement":[{"Sid":"Office","Effect":"Allow","Action":"*","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}]}`),
		},
	}
	got := Evaluate(s, &Request{Action: "s3:GetObject", Resource: "*", Context: ctxOf("aws:SourceIp", "not-an-ip")}, Options{})
	if got.Decision != ImplicitDeny || got.DeniedBy != KindIdentity || got.Err == nil {
		t.Fatalf("Evaluate(bad IP) = %v (denied by %q, err %v), want %v with an error", got.Decision, got.DeniedBy, got.Err, ImplicitDeny)
	}
	for _, want := range []string{"ip", `"Office"`, "not-an-ip"} {
		if !strings.Contains(got.Err.Error(), want) {
			t.Errorf("Evaluate(bad IP).Err = %q, want it to mention %q", got.Err, want)
		}
	}
	// The same request with a good IP is allowed: the error, not the
	// policies, caused the deny.
	if got := Evaluate(s, &Request{Action: "s3:GetObject", Resource: "*", Context: ctxOf("aws:SourceIp", "10.1.1.1")}, Options{}); got.Decision != Allowed || got.Err != nil {
		t.Errorf("Evaluate(good IP) = %v (err %v), want %v", got.Decision, got.Err, Allowed)
	}
	// A statement whose action does not match is never evaluated, so its
	// condition cannot fail.
	s2 := identity(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}]}`)
	if got := Evaluate(s2, &Request{Action: "iot:Publish", Resource: "*", Context: ctxOf("aws:SourceIp", "not-an-ip")}, Options{}); got.Err != nil || got.Decision != ImplicitDeny {
		t.Errorf("Evaluate(other action, bad IP) = %v (err %v), want %v without error", got.Decision, got.Err, ImplicitDeny)
	}
}

func TestMissingContextValues(t *testing.T) {
	t.Parallel()
	s := identity(t, `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":"iotthingsgraph:*","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"},"StringLike":{"aws:PrincipalTag/team":"ops*"}}},
		{"Effect":"Allow","Action":"iotthingsgraph:*","Resource":"*","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"},"StringEquals":{"aws:ResourceTag/owner":"${aws:username}"}}},
		{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"true"}}},
		{"Effect":"Deny","Action":"iotthingsgraph:*","Resource":"*","Condition":{"StringNotEqualsIfExists":{"aws:RequestedRegion":"us-east-1"},"Null":{"aws:TokenIssueTime":"false"}}}]}`)
	got := Evaluate(s, &Request{Action: "iotthingsgraph:GetFlowTemplate", Resource: "*", Context: ctxOf("aws:ResourceTag/owner", "bob", "aws:SourceIp", "192.0.2.1")}, Options{})
	// aws:SecureTransport belongs to a statement whose action does not
	// match; Null keys are never "missing"; the first statement failed on
	// the IP but its tag key is still reported.
	want := []string{"aws:PrincipalTag/team", "aws:MultiFactorAuthPresent", "aws:username", "aws:RequestedRegion"}
	if diff := cmp.Diff(want, got.MissingContextValues, cmpopts.SortSlices(func(a, b string) bool { return a < b })); diff != "" {
		t.Errorf("Evaluate().MissingContextValues mismatch (-want +got):\n%s", diff)
	}
}

func TestOptionsMatchResource(t *testing.T) {
	t.Parallel()
	// An IoT-style matcher: exact, case-insensitive.
	opts := Options{MatchResource: func(pattern, resource string) bool { return strings.EqualFold(pattern, resource) }}
	s := identity(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iot:Publish","Resource":"arn:aws:iot:us-east-1:123456789012:topic/${iot:ClientId}/*"}]}`)
	tests := []struct {
		name     string
		resource string
		want     Decision
	}{
		{"pattern passed after substitution", "arn:aws:iot:us-east-1:123456789012:topic/C1/*", Allowed},
		{"custom matcher has no wildcards", "arn:aws:iot:us-east-1:123456789012:topic/C1/x", ImplicitDeny},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := Evaluate(s, &Request{Action: "iot:Publish", Resource: tt.resource, Context: ctxOf("iot:ClientId", "c1")}, opts)
			if got.Decision != tt.want {
				t.Errorf("Evaluate(%q) = %v, want %v", tt.resource, got.Decision, tt.want)
			}
		})
	}
}

func TestContextSetGet(t *testing.T) {
	t.Parallel()
	c := Context{}
	c.Set("AWS:UserName", "bob")
	if _, ok := c["aws:username"]; !ok {
		t.Errorf("Set did not lower-case the key: %v", c)
	}
	tests := []struct {
		name string
		ctx  Context
		key  string
		want []string
		ok   bool
	}{
		{"set then get other case", c, "aws:USERNAME", []string{"bob"}, true},
		{"missing", c, "aws:userid", nil, false},
		{"stored without Set", Context{"aws:SourceIp": {"10.0.0.1"}}, "aws:sourceip", []string{"10.0.0.1"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, ok := tt.ctx.Get(tt.key)
			if ok != tt.ok || !cmp.Equal(got, tt.want) {
				t.Errorf("Get(%q) = %v, %v, want %v, %v", tt.key, got, ok, tt.want, tt.ok)
			}
		})
	}
}

// TestEvaluateConcurrent shares one parsed policy between goroutines; run
// with -race.
func TestEvaluateConcurrent(t *testing.T) {
	t.Parallel()
	s, req := benchSet(t)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 200 {
				if got := Evaluate(s, req, Options{}); got.Decision != Allowed {
					t.Errorf("Evaluate() = %v, want %v", got.Decision, Allowed)
					return
				}
			}
		})
	}
	wg.Wait()
}

// benchSet is one identity policy of 10 statements mixing wildcard
// actions and resources, two of them with a StringLike on aws:username and
// an IpAddress on aws:SourceIp, and a request the last one allows.
func benchSet(t testing.TB) (Set, *Request) {
	doc := `{
	  "Version": "2012-10-17",
	  "Statement": [
	    {"Sid": "S0", "Effect": "Allow", "Action": ["s3:Get*", "s3:List*"], "Resource": "arn:aws:s3:::tgsim-*/*"},
	    {"Sid": "S1", "Effect": "Allow", "Action": "iot:*", "Resource": "arn:aws:iot:*:123456789012:thing/*"},
	    {"Sid": "S2", "Effect": "Allow", "Action": ["greengrass:Get*", "greengrass:List*"], "Resource": "*"},
	    {"Sid": "S3", "Effect": "Allow", "Action": "iotthingsgraph:Search*", "Resource": "*"},
	    {"Sid": "S4", "Effect": "Deny", "Action": "iotthingsgraph:Delete*", "Resource": "*"},
	    {"Sid": "S5", "Effect": "Allow", "Action": "iotthingsgraph:Get*", "Resource": "arn:aws:iotthingsgraph:*:123456789012:Workflow/*"},
	    {"Sid": "S6", "Effect": "Allow", "NotAction": "iam:*", "Resource": "arn:aws:s3:::other/*"},
	    {"Sid": "S7", "Effect": "Allow", "Action": "iotthingsgraph:Deploy*", "Resource": "arn:aws:iotthingsgraph:*:123456789012:Deployment/test-*",
	     "Condition": {"StringLike": {"aws:username": "dev-*"}}},
	    {"Sid": "S8", "Effect": "Deny", "Action": "iotthingsgraph:*", "Resource": "*",
	     "Condition": {"NotIpAddress": {"aws:SourceIp": ["10.0.0.0/8", "192.168.0.0/16"]}}},
	    {"Sid": "S9", "Effect": "Allow", "Action": ["iotthingsgraph:Deploy*", "iotthingsgraph:Undeploy*"], "Resource": "arn:aws:iotthingsgraph:*:123456789012:Deployment/*",
	     "Condition": {"StringLike": {"aws:username": "ops-*"}, "IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}}
	  ]
	}`
	s := Set{Identity: []NamedPolicy{{ID: "bench", Policy: mustParse(t, doc)}}}
	ctx := Context{}
	ctx.Set("aws:username", "ops-alice")
	ctx.Set("aws:SourceIp", "10.20.30.40")
	ctx.Set("aws:CurrentTime", "2025-01-01T00:00:00Z")
	ctx.Set("aws:SecureTransport", "true")
	req := &Request{
		Action:    "IoTThingsGraph:DeploySystemInstance",
		Resource:  "arn:aws:iotthingsgraph:us-east-1:123456789012:Deployment/prod-line-7",
		Principal: &Principal{Type: "AWS", ID: "arn:aws:iam::123456789012:user/ops-alice", Account: acct},
		Context:   ctx,
	}
	return s, req
}

func BenchmarkEvaluate10Statements(b *testing.B) {
	s, req := benchSet(b)
	if got := Evaluate(s, req, Options{}); got.Decision != Allowed || len(got.Matched) != 1 || got.Matched[0].Sid != "S9" {
		b.Fatalf("Evaluate() = %+v, want allowed by S9", got)
	}
	b.ReportAllocs()
	for b.Loop() {
		Evaluate(s, req, Options{})
	}
}

func FuzzEvaluate(f *testing.F) {
	f.Add(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"DateLessThan":{"aws:CurrentTime":"2030-01-01T00:00:00Z"}}}]}`, "aws:CurrentTime", "2020-01-01T00:00:00Z")
	f.Add(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/${aws:username}/*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}]}`, "aws:SourceIp", "10.0.0.1")
	f.Add(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"ForAllValues:NumericLessThan":{"k:n":"10"},"BinaryEqualsIfExists":{"k:b":"AAAA"}}}]}`, "k:n", "3")
	f.Add(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*","Condition":{"ArnLike":{"aws:SourceArn":"arn:aws:s3:::*"},"Bool":{"aws:SecureTransport":"true"}}}]}`, "aws:SourceArn", "arn:aws:s3:::b")
	f.Add(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"NumericEquals":{"k:n":"${k:m}"},"StringLike":{"k:s":"${k:m, 'x'}*"}}}]}`, "k:m", "1e400")
	for _, k := range []string{"aws:CurrentTime", "aws:SourceIp", "aws:SourceArn", "aws:username", "k:n", "k:b"} {
		f.Add(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringNotEquals":{"`+k+`":"x"}}}]}`, k, "")
	}
	f.Fuzz(func(t *testing.T, doc, key, value string) {
		p, err := Parse(doc)
		if err != nil {
			return
		}
		ctx := Context{}
		ctx.Set(key, value)
		ctx.Set("aws:username", value)
		ctx.Set("aws:SourceIp", value)
		ctx.Set("aws:CurrentTime", value)
		ctx.Set("k:n", value, "2")
		req := &Request{Action: "s3:GetObject", Resource: "arn:aws:s3:::b/" + value, Principal: bob, Context: ctx}
		set := Set{Identity: []NamedPolicy{{ID: "i", Policy: p}}, Resource: []NamedPolicy{{ID: "r", Policy: p}}, Boundary: &NamedPolicy{ID: "b", Policy: p}}
		got := Evaluate(set, req, Options{})
		if got.Err != nil && got.Decision == Allowed {
			t.Fatalf("Evaluate() = allowed with error %v: must fail closed", got.Err)
		}
		// The same policy with every Allow turned into Deny never allows.
		denyOnly, err := Parse(strings.ReplaceAll(doc, `"Allow"`, `"Deny"`))
		if err != nil {
			return
		}
		for _, st := range denyOnly.Statements {
			if st.Effect == Allow {
				return // an escaped "Allow" survived the replacement
			}
		}
		set = Set{Identity: []NamedPolicy{{ID: "i", Policy: denyOnly}}, Resource: []NamedPolicy{{ID: "r", Policy: denyOnly}}}
		if got := Evaluate(set, req, Options{}); got.Decision == Allowed {
			t.Fatalf("Evaluate(deny-only policy %q) = allowed", doc)
		}
	})
}
