package s3_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	s3sdk "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/tgsim/tgsim/fakes/s3"
)

// openOnDisk starts a fake S3 on dir and an SDK client for it.
func openOnDisk(t *testing.T, dir string) (*s3.Server, *s3sdk.Client) {
	t.Helper()
	srv, err := s3.NewServer(s3.Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	client := s3sdk.New(s3sdk.Options{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""),
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenSupported,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenSupported,
	}, func(o *s3sdk.Options) { o.BaseEndpoint = aws.String(srv.URL); o.UsePathStyle = true })
	return srv, client
}

func TestDataDirSurvivesRestart(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	secret := []byte(strings.Repeat("flow configuration of Room215 - secret - ", 400))
	plain := []byte("a plain object")
	policyDoc := `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::flows/*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}`

	srv, c := openOnDisk(t, dir)
	if _, err := c.CreateBucket(ctx, &s3sdk.CreateBucketInput{Bucket: aws.String("flows")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutBucketEncryption(ctx, &s3sdk.PutBucketEncryptionInput{Bucket: aws.String("flows"), ServerSideEncryptionConfiguration: &types.ServerSideEncryptionConfiguration{
		Rules: []types.ServerSideEncryptionRule{{ApplyServerSideEncryptionByDefault: &types.ServerSideEncryptionByDefault{SSEAlgorithm: types.ServerSideEncryptionAes256}}}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutBucketPolicy(ctx, &s3sdk.PutBucketPolicyInput{Bucket: aws.String("flows"), Policy: aws.String(policyDoc)}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutObject(ctx, &s3sdk.PutObjectInput{Bucket: aws.String("flows"), Key: aws.String("flow-A.tar.gz"), Body: bytes.NewReader(secret)}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateBucket(ctx, &s3sdk.CreateBucketInput{Bucket: aws.String("plainbkt")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutObject(ctx, &s3sdk.PutObjectInput{Bucket: aws.String("plainbkt"), Key: aws.String("k"), Body: bytes.NewReader(plain)}); err != nil {
		t.Fatal(err)
	}
	// Versioning needs a versioned store; the bolt one has none.
	_, err := c.PutBucketVersioning(ctx, &s3sdk.PutBucketVersioningInput{Bucket: aws.String("plainbkt"), VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "NotImplemented" {
		t.Errorf("PutBucketVersioning on disk = %v, want NotImplemented", err)
	}
	srv.Close()
	if err := srv.CloseStorage(); err != nil {
		t.Fatal(err)
	}

	// On disk: the encrypted object's plaintext appears nowhere; the
	// unencrypted one does (proving the check looks at the right bytes);
	// the master key is private.
	db, err := os.ReadFile(filepath.Join(dir, "s3.db"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(db, secret[:64]) {
		t.Error("s3.db holds the SSE object's plaintext")
	}
	if !bytes.Contains(db, plain) {
		t.Error("s3.db does not hold the unencrypted object's bytes; the check reads the wrong file")
	}
	if st, err := os.Stat(filepath.Join(dir, "s3-master.key")); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("master key file: %v, mode %v; want 0600", err, st.Mode().Perm())
	}

	// Reopened: objects, default encryption and the policy are all back.
	srv2, c2 := openOnDisk(t, dir)
	defer func() { srv2.Close(); srv2.CloseStorage() }()
	got, err := c2.GetObject(ctx, &s3sdk.GetObjectInput{Bucket: aws.String("flows"), Key: aws.String("flow-A.tar.gz")})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(got.Body)
	got.Body.Close()
	if !bytes.Equal(b, secret) || got.ServerSideEncryption != types.ServerSideEncryptionAes256 {
		t.Errorf("GetObject after restart = %d bytes, SSE %q; want the original %d bytes, AES256", len(b), got.ServerSideEncryption, len(secret))
	}
	enc, err := c2.GetBucketEncryption(ctx, &s3sdk.GetBucketEncryptionInput{Bucket: aws.String("flows")})
	if err != nil || enc.ServerSideEncryptionConfiguration.Rules[0].ApplyServerSideEncryptionByDefault.SSEAlgorithm != types.ServerSideEncryptionAes256 {
		t.Errorf("GetBucketEncryption after restart = %v, %v", enc, err)
	}
	pol, err := c2.GetBucketPolicy(ctx, &s3sdk.GetBucketPolicyInput{Bucket: aws.String("flows")})
	if err != nil || aws.ToString(pol.Policy) != policyDoc {
		t.Errorf("GetBucketPolicy after restart = %v, %v", pol, err)
	}
	if _, err := s3.New(s3.Options{DataDir: t.TempDir(), MasterKey: make([]byte, 32)}); err == nil {
		t.Error("New with both DataDir and MasterKey succeeded, want an error")
	}
}
