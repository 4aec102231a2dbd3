package iot_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	iotsdk "github.com/aws/aws-sdk-go-v2/service/iot"
	"github.com/aws/aws-sdk-go-v2/service/iot/types"
	"github.com/google/go-cmp/cmp"

	"github.com/tgsim/tgsim/fakes/awsproto"
	"github.com/tgsim/tgsim/fakes/iot"
)

// TestDescribe: each operation, sent by the SDK, maps to its IAM action and
// resource ARN. The handler still runs afterwards (the body stays readable).
func TestDescribe(t *testing.T) {
	ctx := context.Background()
	svc, err := iot.New(iot.Options{AccountID: "123456789012"})
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu   sync.Mutex
		last awsproto.Call
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		call, err := svc.Describe(r)
		if err != nil {
			t.Errorf("Describe(%s %s): %v", r.Method, r.URL.Path, err)
		}
		mu.Lock()
		last = call
		mu.Unlock()
		svc.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("test", "test", "")}
	c := iotsdk.NewFromConfig(cfg, func(o *iotsdk.Options) { o.BaseEndpoint = aws.String(srv.URL); o.RetryMaxAttempts = 1 })
	arn := func(s string) string { return "arn:aws:iot:us-east-1:123456789012:" + s }
	cert, err := c.CreateKeysAndCertificate(ctx, &iotsdk.CreateKeysAndCertificateInput{})
	if err != nil {
		t.Fatal(err)
	}
	certID := aws.ToString(cert.CertificateId)

	tests := []struct {
		name      string
		call      func() error
		action    string
		resources []string
	}{
		{"CreateThingType", func() error {
			_, err := c.CreateThingType(ctx, &iotsdk.CreateThingTypeInput{ThingTypeName: aws.String("T")})
			return err
		}, "iot:CreateThingType", []string{arn("thingtype/T")}},
		{"DeprecateThingType", func() error {
			_, err := c.DeprecateThingType(ctx, &iotsdk.DeprecateThingTypeInput{ThingTypeName: aws.String("T")})
			return err
		}, "iot:DeprecateThingType", []string{arn("thingtype/T")}},
		{"ListThingTypes", func() error {
			_, err := c.ListThingTypes(ctx, &iotsdk.ListThingTypesInput{})
			return err
		}, "iot:ListThingTypes", []string{"*"}},
		{"CreateThing", func() error {
			_, err := c.CreateThing(ctx, &iotsdk.CreateThingInput{ThingName: aws.String("th")})
			return err
		}, "iot:CreateThing", []string{arn("thing/th")}},
		{"CreateThingGroup", func() error {
			_, err := c.CreateThingGroup(ctx, &iotsdk.CreateThingGroupInput{ThingGroupName: aws.String("g")})
			return err
		}, "iot:CreateThingGroup", []string{arn("thinggroup/g")}},
		{"AddThingToThingGroup", func() error {
			_, err := c.AddThingToThingGroup(ctx, &iotsdk.AddThingToThingGroupInput{ThingGroupArn: aws.String(arn("thinggroup/g")), ThingName: aws.String("th")})
			return err
		}, "iot:AddThingToThingGroup", []string{arn("thinggroup/g"), arn("thing/th")}},
		{"ListThingsInThingGroup", func() error {
			_, err := c.ListThingsInThingGroup(ctx, &iotsdk.ListThingsInThingGroupInput{ThingGroupName: aws.String("g")})
			return err
		}, "iot:ListThingsInThingGroup", []string{arn("thinggroup/g")}},
		{"ListThingGroupsForThing", func() error {
			_, err := c.ListThingGroupsForThing(ctx, &iotsdk.ListThingGroupsForThingInput{ThingName: aws.String("th")})
			return err
		}, "iot:ListThingGroupsForThing", []string{arn("thing/th")}},
		{"CreatePolicy", func() error {
			_, err := c.CreatePolicy(ctx, &iotsdk.CreatePolicyInput{PolicyName: aws.String("p"), PolicyDocument: aws.String(allowAll)})
			return err
		}, "iot:CreatePolicy", []string{arn("policy/p")}},
		{"GetPolicyVersion", func() error {
			_, err := c.GetPolicyVersion(ctx, &iotsdk.GetPolicyVersionInput{PolicyName: aws.String("p"), PolicyVersionId: aws.String("1")})
			return err
		}, "iot:GetPolicyVersion", []string{arn("policy/p")}},
		{"AttachPolicy", func() error {
			_, err := c.AttachPolicy(ctx, &iotsdk.AttachPolicyInput{PolicyName: aws.String("p"), Target: cert.CertificateArn})
			return err
		}, "iot:AttachPolicy", []string{arn("policy/p")}},
		{"ListAttachedPolicies", func() error {
			_, err := c.ListAttachedPolicies(ctx, &iotsdk.ListAttachedPoliciesInput{Target: cert.CertificateArn})
			return err
		}, "iot:ListAttachedPolicies", []string{"*"}},
		{"DeleteCertificate", func() error {
			_, err := c.DeleteCertificate(ctx, &iotsdk.DeleteCertificateInput{CertificateId: cert.CertificateId, ForceDelete: true})
			return err
		}, "iot:DeleteCertificate", []string{arn("cert/" + certID)}},
		{"CreateTopicRule", func() error {
			_, err := c.CreateTopicRule(ctx, &iotsdk.CreateTopicRuleInput{RuleName: aws.String("r"), TopicRulePayload: &types.TopicRulePayload{Sql: aws.String("SELECT * FROM 'a'"), Actions: []types.Action{}}})
			return err
		}, "iot:CreateTopicRule", []string{arn("rule/r")}},
		{"EnableTopicRule", func() error {
			_, err := c.EnableTopicRule(ctx, &iotsdk.EnableTopicRuleInput{RuleName: aws.String("r")})
			return err
		}, "iot:EnableTopicRule", []string{arn("rule/r")}},
	}
	for _, tt := range tests {
		if err := tt.call(); err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		mu.Lock()
		got := last
		mu.Unlock()
		if got.Action != tt.action || !cmp.Equal(got.Resources, tt.resources) {
			t.Errorf("Describe(%s) = %s %v, want %s %v", tt.name, got.Action, got.Resources, tt.action, strings.Join(tt.resources, " "))
		}
	}
}
