package s3_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	s3sdk "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/tgsim/tgsim/fakes/s3"
)

// plaintext is recognisable in stored bytes: if any 16-byte run of it is
// in the backend, the object was not encrypted.
var plaintext = bytes.Repeat([]byte("TOP-SECRET-FLOW-DEFINITION-"), 700)

// storedBytes reads an object's bytes as the inner backend holds them.
func storedBytes(t *testing.T, srv *s3.Server, bucket, key string) ([]byte, map[string]string) {
	t.Helper()
	obj, err := srv.Backend().GetObject(bucket, key, nil)
	if err != nil {
		t.Fatalf("Backend().GetObject(%s/%s): %v", bucket, key, err)
	}
	defer obj.Contents.Close()
	b, err := io.ReadAll(obj.Contents)
	if err != nil {
		t.Fatal(err)
	}
	return b, obj.Metadata
}

func assertEncryptedAtRest(t *testing.T, srv *s3.Server, bucket, key string) {
	t.Helper()
	stored, _ := storedBytes(t, srv, bucket, key)
	if bytes.Contains(stored, plaintext[:16]) {
		t.Errorf("stored bytes of %s/%s contain the plaintext", bucket, key)
	}
	if len(stored) <= len(plaintext) {
		t.Errorf("stored %d bytes for %d of plaintext; want ciphertext with nonce and tag", len(stored), len(plaintext))
	}
}

func getBody(t *testing.T, c *s3sdk.Client, in *s3sdk.GetObjectInput) ([]byte, *s3sdk.GetObjectOutput) {
	t.Helper()
	out, err := c.GetObject(context.Background(), in)
	if err != nil {
		t.Fatalf("GetObject(%s): %v", aws.ToString(in.Key), err)
	}
	b, err := io.ReadAll(out.Body)
	_ = out.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	return b, out
}

func TestServerSideEncryption(t *testing.T) {
	for _, tls := range []bool{false, true} { // over TLS bodies are aws-chunked with CRC32 trailers
		name := "http"
		if tls {
			name = "https"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			st := newSetup(t, tls)
			c := st.client
			if _, err := c.CreateBucket(ctx, &s3sdk.CreateBucketInput{Bucket: aws.String("bkt")}); err != nil {
				t.Fatal(err)
			}
			put, err := c.PutObject(ctx, &s3sdk.PutObjectInput{Bucket: aws.String("bkt"), Key: aws.String("sse"),
				Body: bytes.NewReader(plaintext), ServerSideEncryption: types.ServerSideEncryptionAes256})
			if err != nil {
				t.Fatalf("PutObject(AES256): %v", err)
			}
			if put.ServerSideEncryption != types.ServerSideEncryptionAes256 {
				t.Errorf("PutObject ServerSideEncryption = %q, want AES256", put.ServerSideEncryption)
			}
			sum := md5.Sum(plaintext)
			wantETag := `"` + hex.EncodeToString(sum[:]) + `"`
			if aws.ToString(put.ETag) != wantETag {
				t.Errorf("PutObject ETag = %s, want %s", aws.ToString(put.ETag), wantETag)
			}
			assertEncryptedAtRest(t, st.srv, "bkt", "sse")

			got, out := getBody(t, c, &s3sdk.GetObjectInput{Bucket: aws.String("bkt"), Key: aws.String("sse"), ChecksumMode: types.ChecksumModeEnabled})
			if !bytes.Equal(got, plaintext) || out.ServerSideEncryption != types.ServerSideEncryptionAes256 || aws.ToString(out.ETag) != wantETag {
				t.Errorf("GetObject = %d bytes (equal %v), SSE %q, ETag %s; want the plaintext, AES256, %s",
					len(got), bytes.Equal(got, plaintext), out.ServerSideEncryption, aws.ToString(out.ETag), wantETag)
			}
			got, _ = getBody(t, c, &s3sdk.GetObjectInput{Bucket: aws.String("bkt"), Key: aws.String("sse"), Range: aws.String("bytes=27-53")})
			if string(got) != string(plaintext[27:54]) {
				t.Errorf("GetObject(bytes=27-53) = %q, want %q", got, plaintext[27:54])
			}
			head, err := c.HeadObject(ctx, &s3sdk.HeadObjectInput{Bucket: aws.String("bkt"), Key: aws.String("sse")})
			if err != nil {
				t.Fatal(err)
			}
			if aws.ToInt64(head.ContentLength) != int64(len(plaintext)) || head.ServerSideEncryption != types.ServerSideEncryptionAes256 || aws.ToString(head.ETag) != wantETag {
				t.Errorf("HeadObject = length %d SSE %q ETag %s, want %d AES256 %s", aws.ToInt64(head.ContentLength), head.ServerSideEncryption, aws.ToString(head.ETag), len(plaintext), wantETag)
			}
			list, err := c.ListObjectsV2(ctx, &s3sdk.ListObjectsV2Input{Bucket: aws.String("bkt")})
			if err != nil || len(list.Contents) != 1 || aws.ToInt64(list.Contents[0].Size) != int64(len(plaintext)) || aws.ToString(list.Contents[0].ETag) != wantETag {
				t.Errorf("ListObjectsV2 = %+v, %v; want one object of %d bytes, ETag %s", list, err, len(plaintext), wantETag)
			}

			// CopyObject without SSE: the copy takes the destination's (none)
			// setting, not the source's.
			if _, err := c.CopyObject(ctx, &s3sdk.CopyObjectInput{Bucket: aws.String("bkt"), Key: aws.String("copy-plain"), CopySource: aws.String("bkt/sse")}); err != nil {
				t.Fatalf("CopyObject: %v", err)
			}
			if stored, meta := storedBytes(t, st.srv, "bkt", "copy-plain"); !bytes.Equal(stored, plaintext) || meta["X-Amz-Server-Side-Encryption"] != "" {
				t.Errorf("unencrypted copy stored %d bytes, SSE %q; want the plaintext, none", len(stored), meta["X-Amz-Server-Side-Encryption"])
			}
			cp, err := c.CopyObject(ctx, &s3sdk.CopyObjectInput{Bucket: aws.String("bkt"), Key: aws.String("copy-kms"), CopySource: aws.String("bkt/copy-plain"),
				ServerSideEncryption: types.ServerSideEncryptionAwsKms, SSEKMSKeyId: aws.String("alias/flows")})
			if err != nil {
				t.Fatalf("CopyObject(aws:kms): %v", err)
			}
			if cp.ServerSideEncryption != types.ServerSideEncryptionAwsKms || aws.ToString(cp.SSEKMSKeyId) != "alias/flows" {
				t.Errorf("CopyObject SSE = %q key %q, want aws:kms alias/flows", cp.ServerSideEncryption, aws.ToString(cp.SSEKMSKeyId))
			}
			assertEncryptedAtRest(t, st.srv, "bkt", "copy-kms")
			got, out = getBody(t, c, &s3sdk.GetObjectInput{Bucket: aws.String("bkt"), Key: aws.String("copy-kms")})
			if !bytes.Equal(got, plaintext) || aws.ToString(out.SSEKMSKeyId) != "alias/flows" {
				t.Errorf("GetObject(copy-kms): equal %v, key %q", bytes.Equal(got, plaintext), aws.ToString(out.SSEKMSKeyId))
			}

			// Overwriting an encrypted object with a plain one stores it plain.
			if _, err := c.PutObject(ctx, &s3sdk.PutObjectInput{Bucket: aws.String("bkt"), Key: aws.String("sse"), Body: bytes.NewReader(plaintext)}); err != nil {
				t.Fatal(err)
			}
			if _, out := getBody(t, c, &s3sdk.GetObjectInput{Bucket: aws.String("bkt"), Key: aws.String("sse")}); out.ServerSideEncryption != "" {
				t.Errorf("plain overwrite of an SSE object reports SSE %q", out.ServerSideEncryption)
			}
		})
	}
}

func TestMultipartUploadEncrypted(t *testing.T) {
	ctx := context.Background()
	st := newSetup(t, false)
	c := st.client
	if _, err := c.CreateBucket(ctx, &s3sdk.CreateBucketInput{Bucket: aws.String("bkt")}); err != nil {
		t.Fatal(err)
	}
	mpu, err := c.CreateMultipartUpload(ctx, &s3sdk.CreateMultipartUploadInput{Bucket: aws.String("bkt"), Key: aws.String("big"), ServerSideEncryption: types.ServerSideEncryptionAes256})
	if err != nil {
		t.Fatal(err)
	}
	if mpu.ServerSideEncryption != types.ServerSideEncryptionAes256 {
		t.Errorf("CreateMultipartUpload SSE = %q, want AES256", mpu.ServerSideEncryption)
	}
	part, err := c.UploadPart(ctx, &s3sdk.UploadPartInput{Bucket: aws.String("bkt"), Key: aws.String("big"), UploadId: mpu.UploadId, PartNumber: aws.Int32(1), Body: bytes.NewReader(plaintext)})
	if err != nil {
		t.Fatal(err)
	}
	done, err := c.CompleteMultipartUpload(ctx, &s3sdk.CompleteMultipartUploadInput{Bucket: aws.String("bkt"), Key: aws.String("big"), UploadId: mpu.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{{ETag: part.ETag, PartNumber: aws.Int32(1)}}}})
	if err != nil {
		t.Fatal(err)
	}
	if done.ServerSideEncryption != types.ServerSideEncryptionAes256 {
		t.Errorf("CompleteMultipartUpload SSE = %q, want AES256", done.ServerSideEncryption)
	}
	assertEncryptedAtRest(t, st.srv, "bkt", "big")
	if got, _ := getBody(t, c, &s3sdk.GetObjectInput{Bucket: aws.String("bkt"), Key: aws.String("big")}); !bytes.Equal(got, plaintext) {
		t.Errorf("GetObject after multipart upload differs from what was uploaded")
	}
}

func TestBucketEncryption(t *testing.T) {
	ctx := context.Background()
	st := newSetup(t, false)
	c := st.client
	if _, err := c.CreateBucket(ctx, &s3sdk.CreateBucketInput{Bucket: aws.String("bkt")}); err != nil {
		t.Fatal(err)
	}
	var ae smithy.APIError
	if _, err := c.GetBucketEncryption(ctx, &s3sdk.GetBucketEncryptionInput{Bucket: aws.String("bkt")}); !errors.As(err, &ae) || ae.ErrorCode() != "ServerSideEncryptionConfigurationNotFoundError" {
		t.Fatalf("GetBucketEncryption without configuration = %v, want ServerSideEncryptionConfigurationNotFoundError", err)
	}
	cfg := &types.ServerSideEncryptionConfiguration{Rules: []types.ServerSideEncryptionRule{{
		ApplyServerSideEncryptionByDefault: &types.ServerSideEncryptionByDefault{SSEAlgorithm: types.ServerSideEncryptionAwsKms, KMSMasterKeyID: aws.String("arn:aws:kms:us-east-1:000000000000:key/flows")},
		BucketKeyEnabled:                   aws.Bool(true)}}}
	if _, err := c.PutBucketEncryption(ctx, &s3sdk.PutBucketEncryptionInput{Bucket: aws.String("bkt"), ServerSideEncryptionConfiguration: cfg}); err != nil {
		t.Fatalf("PutBucketEncryption: %v", err)
	}
	got, err := c.GetBucketEncryption(ctx, &s3sdk.GetBucketEncryptionInput{Bucket: aws.String("bkt")})
	if err != nil {
		t.Fatal(err)
	}
	if r := got.ServerSideEncryptionConfiguration.Rules; len(r) != 1 || r[0].ApplyServerSideEncryptionByDefault.SSEAlgorithm != types.ServerSideEncryptionAwsKms ||
		aws.ToString(r[0].ApplyServerSideEncryptionByDefault.KMSMasterKeyID) != "arn:aws:kms:us-east-1:000000000000:key/flows" || !aws.ToBool(r[0].BucketKeyEnabled) {
		t.Errorf("GetBucketEncryption = %+v, want what was put", r)
	}
	// The default applies to a PutObject without SSE headers.
	put, err := c.PutObject(ctx, &s3sdk.PutObjectInput{Bucket: aws.String("bkt"), Key: aws.String("k"), Body: bytes.NewReader(plaintext)})
	if err != nil {
		t.Fatal(err)
	}
	if put.ServerSideEncryption != types.ServerSideEncryptionAwsKms || aws.ToString(put.SSEKMSKeyId) != "arn:aws:kms:us-east-1:000000000000:key/flows" || !aws.ToBool(put.BucketKeyEnabled) {
		t.Errorf("PutObject under default encryption: SSE %q key %q bucket key %v", put.ServerSideEncryption, aws.ToString(put.SSEKMSKeyId), aws.ToBool(put.BucketKeyEnabled))
	}
	assertEncryptedAtRest(t, st.srv, "bkt", "k")
	if _, err := c.DeleteBucketEncryption(ctx, &s3sdk.DeleteBucketEncryptionInput{Bucket: aws.String("bkt")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetBucketEncryption(ctx, &s3sdk.GetBucketEncryptionInput{Bucket: aws.String("bkt")}); !errors.As(err, &ae) || ae.ErrorCode() != "ServerSideEncryptionConfigurationNotFoundError" {
		t.Errorf("GetBucketEncryption after delete = %v, want ServerSideEncryptionConfigurationNotFoundError", err)
	}
	if _, err := c.GetBucketEncryption(ctx, &s3sdk.GetBucketEncryptionInput{Bucket: aws.String("nobucket")}); !errors.As(err, &ae) || ae.ErrorCode() != "NoSuchBucket" {
		t.Errorf("GetBucketEncryption(missing bucket) = %v, want NoSuchBucket", err)
	}
}

func TestServerSideEncryptionErrors(t *testing.T) {
	ctx := context.Background()
	st := newSetup(t, false)
	c := st.client
	if _, err := c.CreateBucket(ctx, &s3sdk.CreateBucketInput{Bucket: aws.String("bkt")}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		in       *s3sdk.PutObjectInput
		wantCode string
		wantMsg  string
	}{
		{name: "unknown algorithm", in: &s3sdk.PutObjectInput{ServerSideEncryption: "AES128"},
			wantCode: "InvalidArgument", wantMsg: "The encryption method specified is not supported"},
		{name: "KMS key without aws:kms", in: &s3sdk.PutObjectInput{ServerSideEncryption: types.ServerSideEncryptionAes256, SSEKMSKeyId: aws.String("k")},
			wantCode: "InvalidArgument", wantMsg: "Server Side Encryption with AWS KMS managed key requires HTTP header x-amz-server-side-encryption : aws:kms"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.in.Bucket, tt.in.Key, tt.in.Body = aws.String("bkt"), aws.String("k"), strings.NewReader("x")
			_, err := c.PutObject(ctx, tt.in)
			var ae smithy.APIError
			if !errors.As(err, &ae) || ae.ErrorCode() != tt.wantCode || ae.ErrorMessage() != tt.wantMsg {
				t.Errorf("PutObject = %v, want %s %q", err, tt.wantCode, tt.wantMsg)
			}
		})
	}
	if _, err := st.srv.Backend().HeadObject("bkt", "k"); err == nil {
		t.Errorf("a rejected PutObject stored an object")
	}
}

// TestMasterKeyOption: objects are sealed under the given master key; a
// Service with another key cannot read the stored bytes as plaintext.
func TestMasterKeyOption(t *testing.T) {
	if _, err := s3.New(s3.Options{MasterKey: []byte("short")}); err == nil {
		t.Errorf("New with a 5-byte master key succeeded, want an error")
	}
	key := bytes.Repeat([]byte{7}, 32)
	srv, err := s3.NewServer(s3.Options{MasterKey: key})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	req, _ := http.NewRequest(http.MethodPut, srv.URL+"/bkt", nil)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 200 {
		t.Fatalf("CreateBucket: %v %v", resp, err)
	}
	req, _ = http.NewRequest(http.MethodPut, srv.URL+"/bkt/k", bytes.NewReader(plaintext))
	req.Header.Set("X-Amz-Server-Side-Encryption", "AES256")
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 || resp.Header.Get("X-Amz-Server-Side-Encryption") != "AES256" {
		t.Fatalf("PutObject: %v %v", resp, err)
	}
	assertEncryptedAtRest(t, srv, "bkt", "k")
}
