package harness_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"io"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	s3sdk "github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/tgsim/tgsim/sim/harness"
)

// BenchmarkS3PutGet16KiB compares, in one run and with the same client
// settings, PutObject+GetObject of 16 KiB against gofakes3 alone and
// through tgsim's edge (SigV4 verify, IAM evaluation of a user's policy,
// objects encrypted at rest). The bar: edge at least 50 % of
// gofakes3's throughput, i.e. edge ns/op at most twice gofakes3's.
func BenchmarkS3PutGet16KiB(b *testing.B) {
	data := make([]byte, 16<<10)
	if _, err := rand.Read(data); err != nil {
		b.Fatal(err)
	}
	newClient := func(url string, creds aws.CredentialsProvider) *s3sdk.Client {
		return s3sdk.New(s3sdk.Options{
			Region: "us-east-1", Credentials: creds, BaseEndpoint: aws.String(url), UsePathStyle: true,
			RequestChecksumCalculation: aws.RequestChecksumCalculationWhenSupported,
			ResponseChecksumValidation: aws.ResponseChecksumValidationWhenSupported,
		})
	}
	run := func(b *testing.B, c *s3sdk.Client, sse s3types.ServerSideEncryption) {
		ctx := context.Background()
		if _, err := c.CreateBucket(ctx, &s3sdk.CreateBucketInput{Bucket: aws.String("bench")}); err != nil {
			b.Fatal(err)
		}
		b.SetBytes(int64(len(data)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := c.PutObject(ctx, &s3sdk.PutObjectInput{Bucket: aws.String("bench"), Key: aws.String("k"), Body: bytes.NewReader(data), ServerSideEncryption: sse}); err != nil {
				b.Fatal(err)
			}
			out, err := c.GetObject(ctx, &s3sdk.GetObjectInput{Bucket: aws.String("bench"), Key: aws.String("k")})
			if err != nil {
				b.Fatal(err)
			}
			if _, err := io.Copy(io.Discard, out.Body); err != nil {
				b.Fatal(err)
			}
			out.Body.Close()
		}
	}
	b.Run("gofakes3", func(b *testing.B) {
		srv := httptest.NewServer(gofakes3.New(s3mem.New()).Server())
		defer srv.Close()
		run(b, newClient(srv.URL, credentials.NewStaticCredentialsProvider("test", "test", "")), "")
	})
	b.Run("edge-iam-sse", func(b *testing.B) {
		h, err := harness.Start(harness.Options{})
		if err != nil {
			b.Fatal(err)
		}
		defer h.Close()
		cfg := benchUser(b, h, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:CreateBucket","s3:PutObject","s3:GetObject"],"Resource":["arn:aws:s3:::bench","arn:aws:s3:::bench/*"]}]}`)
		run(b, newClient(h.URL, cfg.Credentials), s3types.ServerSideEncryptionAes256)
	})
}

// BenchmarkStartClose is a scenario's fixed cost: every fake, the edge and
// the discovery listener started in-process on loopback ports, then torn
// down (the harness issue's bar: under 300 ms).
func BenchmarkStartClose(b *testing.B) {
	for b.Loop() {
		h, err := harness.Start(harness.Options{})
		if err != nil {
			b.Fatal(err)
		}
		if err := h.Close(); err != nil {
			b.Fatal(err)
		}
	}
}
