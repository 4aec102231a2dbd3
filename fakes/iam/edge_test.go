package iam_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	iamsdk "github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/tgsim/tgsim/fakes/edge"
	"github.com/tgsim/tgsim/fakes/iam"
)

// TestBehindEdge mounts IAM() and STS() as the edge will: as two services.
func TestBehindEdge(t *testing.T) {
	ctx := context.Background()
	svc, err := iam.New(iam.Options{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(edge.New(edge.Options{
		AccountID: "210987654321",
		Services:  map[string]http.Handler{"iam": svc.IAM(), "sts": svc.STS()},
	}))
	t.Cleanup(srv.Close)
	cfg := aws.Config{Region: "eu-west-1", Credentials: credentials.NewStaticCredentialsProvider("test", "test", "")}
	sc := sts.NewFromConfig(cfg, func(o *sts.Options) { o.BaseEndpoint = aws.String(srv.URL) })
	id, err := sc.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatalf("GetCallerIdentity via edge: %v", err)
	}
	if aws.ToString(id.Account) != "210987654321" {
		t.Errorf("Account = %q, want the edge's account 210987654321", aws.ToString(id.Account))
	}
	ic := iamsdk.NewFromConfig(cfg, func(o *iamsdk.Options) { o.BaseEndpoint = aws.String(srv.URL) })
	out, err := ic.CreateRole(ctx, &iamsdk.CreateRoleInput{RoleName: aws.String("r"), AssumeRolePolicyDocument: aws.String(trust)})
	if err != nil {
		t.Fatalf("CreateRole via edge: %v", err)
	}
	if got, want := aws.ToString(out.Role.Arn), "arn:aws:iam::210987654321:role/r"; got != want {
		t.Errorf("Arn = %q, want %q", got, want)
	}
}
