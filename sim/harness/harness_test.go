package harness_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/greengrass"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iot"
	iottypes "github.com/aws/aws-sdk-go-v2/service/iot/types"
	"github.com/aws/smithy-go"

	"github.com/tgsim/tgsim/sim/harness"
)

// userConfig creates an IAM user with one inline policy and returns an SDK
// configuration with its keys.
func userConfig(t *testing.T, h *harness.Harness, name, policy string) aws.Config {
	t.Helper()
	return benchUser(t, h, policy, name)
}

// benchUser is userConfig for tests and benchmarks (name defaults to "bench").
func benchUser(t testing.TB, h *harness.Harness, policy string, name ...string) aws.Config {
	t.Helper()
	if len(name) == 0 {
		name = []string{"bench"}
	}
	return newUser(t, h, name[0], policy)
}

func newUser(t testing.TB, h *harness.Harness, name, policy string) aws.Config {
	t.Helper()
	ctx := context.Background()
	root := iam.NewFromConfig(h.AWS, func(o *iam.Options) { o.BaseEndpoint = aws.String(h.URL) })
	if _, err := root.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)}); err != nil {
		t.Fatal(err)
	}
	if _, err := root.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String(name), PolicyName: aws.String("p"), PolicyDocument: aws.String(policy)}); err != nil {
		t.Fatal(err)
	}
	key, err := root.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	cfg := h.AWS.Copy()
	cfg.Credentials = credentials.NewStaticCredentialsProvider(aws.ToString(key.AccessKey.AccessKeyId), aws.ToString(key.AccessKey.SecretAccessKey), "")
	return cfg
}

func TestGreengrassRoleAssociationNeedsPassRole(t *testing.T) {
	h, err := harness.Start(harness.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	ctx := context.Background()
	ep := func(o *greengrass.Options) { o.BaseEndpoint = aws.String(h.URL) }
	g, err := greengrass.NewFromConfig(h.AWS, ep).CreateGroup(ctx, &greengrass.CreateGroupInput{Name: aws.String("home")})
	if err != nil {
		t.Fatal(err)
	}
	const role = "arn:aws:iam::000000000000:role/GreengrassGroupRole"
	tests := []struct {
		name    string
		policy  string
		wantErr string // substring of the AccessDenied message; "" = success
	}{
		{
			name:    "greengrass:* without iam:PassRole",
			policy:  `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"greengrass:*","Resource":"*"}]}`,
			wantErr: "User: arn:aws:iam::000000000000:user/nopass is not authorized to perform: iam:PassRole on resource: " + role,
		},
		{
			name: "PassRole only to another service",
			policy: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"greengrass:*","Resource":"*"},
			  {"Effect":"Allow","Action":"iam:PassRole","Resource":"*","Condition":{"StringEquals":{"iam:PassedToService":"iotthingsgraph.amazonaws.com"}}}]}`,
			wantErr: "iam:PassRole",
		},
		{
			name: "PassRole to Greengrass",
			policy: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"greengrass:*","Resource":"*"},
			  {"Effect":"Allow","Action":"iam:PassRole","Resource":"` + role + `","Condition":{"StringEquals":{"iam:PassedToService":"greengrass.amazonaws.com"}}}]}`,
		},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			user := []string{"nopass", "wrongservice", "canpass"}[i]
			gg := greengrass.NewFromConfig(userConfig(t, h, user, tt.policy), ep)
			_, err := gg.AssociateRoleToGroup(ctx, &greengrass.AssociateRoleToGroupInput{GroupId: g.Id, RoleArn: aws.String(role)})
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("AssociateRoleToGroup = %v, want success", err)
				}
				return
			}
			var ae smithy.APIError
			if !errors.As(err, &ae) || ae.ErrorCode() != "AccessDeniedException" || !strings.Contains(ae.ErrorMessage(), tt.wantErr) {
				t.Fatalf("AssociateRoleToGroup = %v, want AccessDeniedException containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestTopicRuleRoleNeedsPassRole(t *testing.T) {
	h, err := harness.Start(harness.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	ctx := context.Background()
	const role = "arn:aws:iam::000000000000:role/RepublishRole"
	rule := func(name string) *iot.CreateTopicRuleInput {
		return &iot.CreateTopicRuleInput{RuleName: aws.String(name), TopicRulePayload: &iottypes.TopicRulePayload{
			Sql:     aws.String("SELECT * FROM 'room215/+/motion'"),
			Actions: []iottypes.Action{{Republish: &iottypes.RepublishAction{RoleArn: aws.String(role), Topic: aws.String("alerts/motion")}}},
		}}
	}
	ep := func(o *iot.Options) { o.BaseEndpoint = aws.String(h.URL) }
	nopass := iot.NewFromConfig(userConfig(t, h, "rules-nopass", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iot:*","Resource":"*"}]}`), ep)
	_, err = nopass.CreateTopicRule(ctx, rule("denied"))
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "AccessDeniedException" || !strings.Contains(ae.ErrorMessage(), "iam:PassRole on resource: "+role) {
		t.Fatalf("CreateTopicRule without iam:PassRole = %v, want AccessDeniedException naming iam:PassRole on the role", err)
	}
	canpass := iot.NewFromConfig(userConfig(t, h, "rules-canpass", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iot:*","Resource":"*"},
	  {"Effect":"Allow","Action":"iam:PassRole","Resource":"`+role+`","Condition":{"StringEquals":{"iam:PassedToService":"iot.amazonaws.com"}}}]}`), ep)
	if _, err := canpass.CreateTopicRule(ctx, rule("allowed")); err != nil {
		t.Fatalf("CreateTopicRule with iam:PassRole = %v, want success", err)
	}
	if _, err := canpass.GetTopicRule(ctx, &iot.GetTopicRuleInput{RuleName: aws.String("denied")}); err == nil {
		t.Error("the denied rule exists; a denied CreateTopicRule must change nothing")
	}
}
