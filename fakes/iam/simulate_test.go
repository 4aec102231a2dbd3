package iam_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	iamsdk "github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/google/go-cmp/cmp"
)

// The AWS CLI's simulate-custom-policy example, answered as AWS answers it.
func TestSimulateCustomPolicyCLIExample(t *testing.T) {
	ctx := context.Background()
	_, ic, _ := setup(t)
	doc := `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"dynamodb:*","Resource":"*","Condition":{"DateGreaterThan":{"aws:CurrentTime":"2018-08-16T12:00:00Z"}}}}`
	for _, tt := range []struct {
		now  string
		want iamtypes.PolicyEvaluationDecisionType
	}{{"2019-04-25T11:00:00Z", iamtypes.PolicyEvaluationDecisionTypeAllowed}, {"2014-04-25T11:00:00Z", iamtypes.PolicyEvaluationDecisionTypeImplicitDeny}} {
		out, err := ic.SimulateCustomPolicy(ctx, &iamsdk.SimulateCustomPolicyInput{
			PolicyInputList: []string{doc}, ActionNames: []string{"dynamodb:CreateBackup"},
			ContextEntries: []iamtypes.ContextEntry{{ContextKeyName: aws.String("aws:CurrentTime"), ContextKeyValues: []string{tt.now}, ContextKeyType: iamtypes.ContextKeyTypeEnumDate}},
		})
		if err != nil {
			t.Fatalf("SimulateCustomPolicy: %v", err)
		}
		r := out.EvaluationResults[0]
		if r.EvalDecision != tt.want || aws.ToString(r.EvalResourceName) != "*" {
			t.Errorf("at %s: decision %s on %s, want %s", tt.now, r.EvalDecision, aws.ToString(r.EvalResourceName), tt.want)
		}
		if tt.want != iamtypes.PolicyEvaluationDecisionTypeAllowed {
			continue
		}
		// AWS: Line 1, Column 38 to Line 1, Column 167.
		m := r.MatchedStatements
		if len(m) != 1 || aws.ToString(m[0].SourcePolicyId) != "PolicyInputList.1" || positionString(m[0].StartPosition) != "1:38" || positionString(m[0].EndPosition) != "1:167" {
			t.Errorf("MatchedStatements = %+v", m)
		}
	}
}

func TestSimulateCustomPolicy(t *testing.T) {
	ctx := context.Background()
	_, ic, _ := setup(t)
	allow := "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\"Effect\": \"Allow\", \"Action\": \"s3:*\", \"Resource\": \"arn:aws:s3:::b/*\"},\n    {\n      \"Effect\": \"Deny\",\n      \"Action\": \"s3:DeleteObject\",\n      \"Resource\": \"*\"\n    }\n  ]\n}"
	out, err := ic.SimulateCustomPolicy(ctx, &iamsdk.SimulateCustomPolicyInput{
		PolicyInputList: []string{allow},
		ActionNames:     []string{"s3:GetObject", "s3:DeleteObject"},
		ResourceArns:    []string{"arn:aws:s3:::b/k", "arn:aws:s3:::other/k"},
		MaxItems:        aws.Int32(3),
	})
	if err != nil {
		t.Fatalf("SimulateCustomPolicy: %v", err)
	}
	if !out.IsTruncated || len(out.EvaluationResults) != 3 {
		t.Fatalf("first page: %d results, truncated %v; want 3, true", len(out.EvaluationResults), out.IsTruncated)
	}
	more, err := ic.SimulateCustomPolicy(ctx, &iamsdk.SimulateCustomPolicyInput{
		PolicyInputList: []string{allow}, ActionNames: []string{"s3:GetObject", "s3:DeleteObject"},
		ResourceArns: []string{"arn:aws:s3:::b/k", "arn:aws:s3:::other/k"}, MaxItems: aws.Int32(3), Marker: out.Marker,
	})
	if err != nil {
		t.Fatalf("SimulateCustomPolicy page 2: %v", err)
	}
	type row struct{ Action, Resource, Decision, Start, End string }
	var got []row
	for _, r := range append(out.EvaluationResults, more.EvaluationResults...) {
		x := row{Action: aws.ToString(r.EvalActionName), Resource: aws.ToString(r.EvalResourceName), Decision: string(r.EvalDecision)}
		if len(r.MatchedStatements) > 0 {
			x.Start, x.End = positionString(r.MatchedStatements[0].StartPosition), positionString(r.MatchedStatements[0].EndPosition)
		}
		got = append(got, x)
	}
	want := []row{
		{"s3:GetObject", "arn:aws:s3:::b/k", "allowed", "4:6", "4:74"},
		{"s3:GetObject", "arn:aws:s3:::other/k", "implicitDeny", "", ""},
		{"s3:DeleteObject", "arn:aws:s3:::b/k", "explicitDeny", "5:6", "9:6"},
		{"s3:DeleteObject", "arn:aws:s3:::other/k", "explicitDeny", "5:6", "9:6"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("results (-want +got):\n%s", diff)
	}
}

func TestSimulateResourcePolicyAndBoundary(t *testing.T) {
	ctx := context.Background()
	_, ic, _ := setup(t)
	if _, err := ic.CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String("bob")}); err != nil {
		t.Fatal(err)
	}
	bob := "arn:aws:iam::123456789012:user/bob"
	// A bucket policy naming bob allows although bob has no policy.
	rp := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + bob + `"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}`
	out, err := ic.SimulatePrincipalPolicy(ctx, &iamsdk.SimulatePrincipalPolicyInput{
		PolicySourceArn: aws.String(bob), ActionNames: []string{"s3:GetObject"}, ResourceArns: []string{"arn:aws:s3:::b/k"}, ResourcePolicy: aws.String(rp),
	})
	if err != nil {
		t.Fatalf("SimulatePrincipalPolicy: %v", err)
	}
	r := out.EvaluationResults[0]
	if r.EvalDecision != iamtypes.PolicyEvaluationDecisionTypeAllowed || len(r.MatchedStatements) != 1 || r.MatchedStatements[0].SourcePolicyType != iamtypes.PolicySourceTypeResource {
		t.Errorf("with resource policy = %s %+v", r.EvalDecision, r.MatchedStatements)
	}
	// An input boundary limits input policies.
	out, err = ic.SimulatePrincipalPolicy(ctx, &iamsdk.SimulatePrincipalPolicyInput{
		PolicySourceArn:                    aws.String(bob),
		ActionNames:                        []string{"iotthingsgraph:CreateFlowTemplate", "iotthingsgraph:GetFlowTemplate"},
		PolicyInputList:                    []string{allowTG},
		PermissionsBoundaryPolicyInputList: []string{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iotthingsgraph:Get*","Resource":"*"}]}`},
		ContextEntries:                     []iamtypes.ContextEntry{{ContextKeyName: aws.String("aws:username"), ContextKeyValues: []string{"bob"}, ContextKeyType: iamtypes.ContextKeyTypeEnumString}},
	})
	if err != nil {
		t.Fatalf("SimulatePrincipalPolicy with boundary: %v", err)
	}
	var decisions []string
	for _, r := range out.EvaluationResults {
		decisions = append(decisions, string(r.EvalDecision))
		if r.PermissionsBoundaryDecisionDetail == nil {
			t.Errorf("%s: no PermissionsBoundaryDecisionDetail", aws.ToString(r.EvalActionName))
		}
	}
	if diff := cmp.Diff([]string{"implicitDeny", "allowed"}, decisions); diff != "" {
		t.Errorf("decisions (-want +got):\n%s", diff)
	}
	// A condition on a key the request lacks is reported missing.
	cond := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalTag/team":"tg"}}}]}`
	out, err = ic.SimulatePrincipalPolicy(ctx, &iamsdk.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String(bob), ActionNames: []string{"s3:ListBucket"}, PolicyInputList: []string{cond}})
	if err != nil {
		t.Fatal(err)
	}
	if r := out.EvaluationResults[0]; r.EvalDecision != iamtypes.PolicyEvaluationDecisionTypeImplicitDeny || !cmp.Equal(r.MissingContextValues, []string{"aws:PrincipalTag/team"}) {
		t.Errorf("missing context = %s %v", r.EvalDecision, r.MissingContextValues)
	}
}

func TestSimulateErrors(t *testing.T) {
	ctx := context.Background()
	_, ic, _ := setup(t)
	tests := []struct {
		name     string
		call     func() error
		wantCode string
	}{
		{"principal missing", func() error {
			_, err := ic.SimulatePrincipalPolicy(ctx, &iamsdk.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String("arn:aws:iam::123456789012:user/nobody"), ActionNames: []string{"s3:GetObject"}})
			return err
		}, "NoSuchEntity"},
		{"source not an entity", func() error {
			_, err := ic.SimulatePrincipalPolicy(ctx, &iamsdk.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String("arn:aws:s3:::bucket-name-here"), ActionNames: []string{"s3:GetObject"}})
			return err
		}, "InvalidInput"},
		{"malformed input policy", func() error {
			_, err := ic.SimulateCustomPolicy(ctx, &iamsdk.SimulateCustomPolicyInput{PolicyInputList: []string{`{"Statement":"x"}`}, ActionNames: []string{"s3:GetObject"}})
			return err
		}, "MalformedPolicyDocument"},
		{"resource policy without principal", func() error {
			_, err := ic.SimulateCustomPolicy(ctx, &iamsdk.SimulateCustomPolicyInput{PolicyInputList: []string{allowTG}, ResourcePolicy: aws.String(allowTG), ActionNames: []string{"s3:GetObject"}})
			return err
		}, "MalformedPolicyDocument"},
		{"action name too short", func() error {
			_, err := ic.SimulateCustomPolicy(ctx, &iamsdk.SimulateCustomPolicyInput{PolicyInputList: []string{allowTG}, ActionNames: []string{"s3"}})
			return err
		}, "ValidationError"},
		{"two boundaries", func() error {
			_, err := ic.SimulateCustomPolicy(ctx, &iamsdk.SimulateCustomPolicyInput{PolicyInputList: []string{allowTG}, PermissionsBoundaryPolicyInputList: []string{allowTG, allowTG}, ActionNames: []string{"s3:GetObject"}})
			return err
		}, "InvalidInput"},
		{"bad marker", func() error {
			_, err := ic.SimulateCustomPolicy(ctx, &iamsdk.SimulateCustomPolicyInput{PolicyInputList: []string{allowTG}, ActionNames: []string{"s3:GetObject"}, Marker: aws.String("!!")})
			return err
		}, "ValidationError"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.call(); errCode(err) != tt.wantCode {
				t.Errorf("error = %v, want %s", err, tt.wantCode)
			}
		})
	}
}
