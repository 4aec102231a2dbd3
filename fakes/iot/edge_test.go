package iot_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	iotsdk "github.com/aws/aws-sdk-go-v2/service/iot"

	"github.com/tgsim/tgsim/fakes/edge"
	"github.com/tgsim/tgsim/fakes/iot"
)

// TestBehindEdge: the request's account and region (from the edge) go into
// the ARNs.
func TestBehindEdge(t *testing.T) {
	ctx := context.Background()
	svc, err := iot.New(iot.Options{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(edge.New(edge.Options{AccountID: "210987654321", Services: map[string]http.Handler{"iot": svc}}))
	t.Cleanup(srv.Close)
	cfg := aws.Config{Region: "eu-west-1", Credentials: credentials.NewStaticCredentialsProvider("test", "test", "")}
	c := iotsdk.NewFromConfig(cfg, func(o *iotsdk.Options) { o.BaseEndpoint = aws.String(srv.URL) })
	out, err := c.CreateThing(ctx, &iotsdk.CreateThingInput{ThingName: aws.String("core")})
	if err != nil {
		t.Fatalf("CreateThing via edge: %v", err)
	}
	if got, want := aws.ToString(out.ThingArn), "arn:aws:iot:eu-west-1:210987654321:thing/core"; got != want {
		t.Errorf("ThingArn = %q, want %q", got, want)
	}
	cert, err := c.CreateKeysAndCertificate(ctx, &iotsdk.CreateKeysAndCertificateInput{SetAsActive: true})
	if err != nil {
		t.Fatalf("CreateKeysAndCertificate via edge: %v", err)
	}
	if _, err := c.AttachThingPrincipal(ctx, &iotsdk.AttachThingPrincipalInput{ThingName: aws.String("core"), Principal: cert.CertificateArn}); err != nil {
		t.Errorf("AttachThingPrincipal via edge: %v", err)
	}
}
