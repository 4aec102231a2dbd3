package s3_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	s3sdk "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/tgsim/tgsim/fakes/edge"
	"github.com/tgsim/tgsim/fakes/s3"
)

// TestBehindEdge: the edge hands S3 requests through unchanged, including
// the CRC32 the SDK adds by default.
func TestBehindEdge(t *testing.T) {
	ctx := context.Background()
	svc, err := s3.New(s3.Options{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(edge.New(edge.Options{Services: map[string]http.Handler{"s3": svc}}))
	t.Cleanup(srv.Close)
	c := s3sdk.NewFromConfig(aws.Config{
		Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""),
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenSupported,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenSupported,
	}, func(o *s3sdk.Options) { o.BaseEndpoint = aws.String(srv.URL); o.UsePathStyle = true })
	if _, err := c.CreateBucket(ctx, &s3sdk.CreateBucketInput{Bucket: aws.String("tg-artifacts")}); err != nil {
		t.Fatalf("CreateBucket via edge: %v", err)
	}
	data := bytes.Repeat([]byte("flow"), 4096)
	if _, err := c.PutObject(ctx, &s3sdk.PutObjectInput{Bucket: aws.String("tg-artifacts"), Key: aws.String("flow-a.tar.gz"), Body: bytes.NewReader(data)}); err != nil {
		t.Fatalf("PutObject via edge: %v", err)
	}
	get, err := c.GetObject(ctx, &s3sdk.GetObjectInput{Bucket: aws.String("tg-artifacts"), Key: aws.String("flow-a.tar.gz")})
	if err != nil {
		t.Fatalf("GetObject via edge: %v", err)
	}
	got, _ := io.ReadAll(get.Body)
	_ = get.Body.Close()
	if !bytes.Equal(got, data) {
		t.Errorf("GetObject via edge returned %d bytes differing from the %d put", len(got), len(data))
	}
}
