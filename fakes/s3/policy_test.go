package s3_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	s3sdk "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/tgsim/tgsim/fakes/edge"
	iamfake "github.com/tgsim/tgsim/fakes/iam"
	"github.com/tgsim/tgsim/fakes/s3"
)

// enforced is S3 and IAM behind an enforcing edge, over HTTP and HTTPS,
// with a user "uploader" whose identity policy allows s3:*.
type enforced struct {
	s3        *s3.Service
	http, tls *httptest.Server
	root      *s3sdk.Client // over HTTP
	user      aws.Credentials
}

func newEnforced(t *testing.T) enforced {
	t.Helper()
	ctx := context.Background()
	svc, err := s3.New(s3.Options{})
	if err != nil {
		t.Fatal(err)
	}
	id, err := iamfake.New(iamfake.Options{})
	if err != nil {
		t.Fatal(err)
	}
	e := edge.New(edge.Options{Mode: edge.ModeEnforce, Identity: id,
		Services: map[string]http.Handler{"s3": svc, "iam": id.IAM(), "sts": id.STS()}})
	env := enforced{s3: svc, http: httptest.NewServer(e), tls: httptest.NewTLSServer(e)}
	t.Cleanup(env.http.Close)
	t.Cleanup(env.tls.Close)
	rootCreds := aws.Credentials{AccessKeyID: "test", SecretAccessKey: "test"}
	ic := iam.NewFromConfig(aws.Config{Region: "us-east-1", Credentials: credentials.StaticCredentialsProvider{Value: rootCreds}},
		func(o *iam.Options) { o.BaseEndpoint = aws.String(env.http.URL) })
	if _, err := ic.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("uploader")}); err != nil {
		t.Fatal(err)
	}
	if _, err := ic.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("uploader"), PolicyName: aws.String("s3"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`)}); err != nil {
		t.Fatal(err)
	}
	key, err := ic.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("uploader")})
	if err != nil {
		t.Fatal(err)
	}
	env.user = aws.Credentials{AccessKeyID: aws.ToString(key.AccessKey.AccessKeyId), SecretAccessKey: aws.ToString(key.AccessKey.SecretAccessKey)}
	env.root = env.client(rootCreds, false)
	return env
}

func (env enforced) client(creds aws.Credentials, tls bool) *s3sdk.Client {
	srv := env.http
	if tls {
		srv = env.tls
	}
	return s3sdk.New(s3sdk.Options{
		Region: "us-east-1", Credentials: credentials.StaticCredentialsProvider{Value: creds},
		HTTPClient:                 srv.Client(),
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenSupported,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenSupported,
	}, func(o *s3sdk.Options) { o.BaseEndpoint = aws.String(srv.URL); o.UsePathStyle = true })
}

func apiError(err error) (code, msg string) {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode(), ae.ErrorMessage()
	}
	return "", ""
}

func TestBucketPolicyOperations(t *testing.T) {
	ctx := context.Background()
	env := newEnforced(t)
	c := env.root
	if _, err := c.CreateBucket(ctx, &s3sdk.CreateBucketInput{Bucket: aws.String("bkt")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetBucketPolicy(ctx, &s3sdk.GetBucketPolicyInput{Bucket: aws.String("bkt")}); func() bool { code, _ := apiError(err); return code != "NoSuchBucketPolicy" }() {
		t.Errorf("GetBucketPolicy without one = %v, want NoSuchBucketPolicy", err)
	}
	tests := []struct {
		name, doc, wantCode, wantMsg string
	}{
		{name: "no Principal", doc: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::bkt/*"}]}`,
			wantCode: "MalformedPolicy", wantMsg: "Missing required field Principal"},
		{name: "bad JSON", doc: `{"Statement":[`, wantCode: "MalformedPolicy"},
		{name: "another bucket", doc: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::other/*"}]}`,
			wantCode: "MalformedPolicy", wantMsg: "Policy has invalid resource"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.PutBucketPolicy(ctx, &s3sdk.PutBucketPolicyInput{Bucket: aws.String("bkt"), Policy: aws.String(tt.doc)})
			code, msg := apiError(err)
			if code != tt.wantCode || (tt.wantMsg != "" && msg != tt.wantMsg) || msg == "" {
				t.Errorf("PutBucketPolicy(%s) = %v, want %s %q", tt.name, err, tt.wantCode, tt.wantMsg)
			}
		})
	}
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::bkt/public/*"}]}`
	if _, err := c.PutBucketPolicy(ctx, &s3sdk.PutBucketPolicyInput{Bucket: aws.String("bkt"), Policy: aws.String(doc)}); err != nil {
		t.Fatalf("PutBucketPolicy: %v", err)
	}
	got, err := c.GetBucketPolicy(ctx, &s3sdk.GetBucketPolicyInput{Bucket: aws.String("bkt")})
	if err != nil || aws.ToString(got.Policy) != doc {
		t.Errorf("GetBucketPolicy = %q, %v; want the document put", aws.ToString(got.Policy), err)
	}
	for _, key := range []string{"public/a", "private/a"} {
		if _, err := c.PutObject(ctx, &s3sdk.PutObjectInput{Bucket: aws.String("bkt"), Key: aws.String(key), Body: strings.NewReader("hello")}); err != nil {
			t.Fatal(err)
		}
	}
	// Anonymous callers get what the bucket policy grants principal "*".
	for _, tt := range []struct {
		key  string
		want int
	}{{"public/a", 200}, {"private/a", 403}} {
		resp, err := http.Get(env.http.URL + "/bkt/" + tt.key)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tt.want {
			t.Errorf("anonymous GET %s = %d %s, want %d", tt.key, resp.StatusCode, body, tt.want)
		}
	}
	if _, err := c.DeleteBucketPolicy(ctx, &s3sdk.DeleteBucketPolicyInput{Bucket: aws.String("bkt")}); err != nil {
		t.Fatal(err)
	}
	if resp, err := http.Get(env.http.URL + "/bkt/public/a"); err != nil || resp.StatusCode != 403 {
		t.Errorf("anonymous GET after DeleteBucketPolicy = %v %v, want 403", resp, err)
	}
}

func TestBucketPolicyDenyUnencryptedUploads(t *testing.T) {
	ctx := context.Background()
	env := newEnforced(t)
	if _, err := env.root.CreateBucket(ctx, &s3sdk.CreateBucketInput{Bucket: aws.String("secure")}); err != nil {
		t.Fatal(err)
	}
	// AWS's classic example: "Requiring server-side encryption".
	doc := `{"Version":"2012-10-17","Statement":[
	  {"Sid":"DenyIncorrectEncryptionHeader","Effect":"Deny","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::secure/*",
	   "Condition":{"StringNotEquals":{"s3:x-amz-server-side-encryption":"AES256"}}},
	  {"Sid":"DenyUnEncryptedObjectUploads","Effect":"Deny","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::secure/*",
	   "Condition":{"Null":{"s3:x-amz-server-side-encryption":"true"}}}]}`
	if _, err := env.root.PutBucketPolicy(ctx, &s3sdk.PutBucketPolicyInput{Bucket: aws.String("secure"), Policy: aws.String(doc)}); err != nil {
		t.Fatal(err)
	}
	user := env.client(env.user, false)
	_, err := user.PutObject(ctx, &s3sdk.PutObjectInput{Bucket: aws.String("secure"), Key: aws.String("plain"), Body: strings.NewReader("x")})
	code, msg := apiError(err)
	want := "User: arn:aws:iam::000000000000:user/uploader is not authorized to perform: s3:PutObject on resource: arn:aws:s3:::secure/plain with an explicit deny in a resource-based policy"
	if code != "AccessDenied" || msg != want {
		t.Errorf("PutObject without SSE = %v, want AccessDenied %q", err, want)
	}
	if _, err := user.PutObject(ctx, &s3sdk.PutObjectInput{Bucket: aws.String("secure"), Key: aws.String("kms"), Body: strings.NewReader("x"),
		ServerSideEncryption: types.ServerSideEncryptionAwsKms}); func() bool { c, _ := apiError(err); return c != "AccessDenied" }() {
		t.Errorf("PutObject with aws:kms = %v, want AccessDenied", err)
	}
	if _, err := user.PutObject(ctx, &s3sdk.PutObjectInput{Bucket: aws.String("secure"), Key: aws.String("sse"), Body: strings.NewReader("x"),
		ServerSideEncryption: types.ServerSideEncryptionAes256}); err != nil {
		t.Errorf("PutObject with AES256 = %v, want success", err)
	}
	// The deny binds root too.
	if _, err := env.root.PutObject(ctx, &s3sdk.PutObjectInput{Bucket: aws.String("secure"), Key: aws.String("root"), Body: strings.NewReader("x")}); func() bool { c, _ := apiError(err); return c != "AccessDenied" }() {
		t.Errorf("root PutObject without SSE = %v, want AccessDenied", err)
	}
}

func TestBucketPolicyDenyInsecureTransport(t *testing.T) {
	ctx := context.Background()
	env := newEnforced(t)
	if _, err := env.root.CreateBucket(ctx, &s3sdk.CreateBucketInput{Bucket: aws.String("tlsonly")}); err != nil {
		t.Fatal(err)
	}
	doc := `{"Version":"2012-10-17","Statement":[{"Sid":"DenyInsecureTransport","Effect":"Deny","Principal":"*","Action":"s3:*",
	  "Resource":["arn:aws:s3:::tlsonly","arn:aws:s3:::tlsonly/*"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}`
	if _, err := env.root.PutBucketPolicy(ctx, &s3sdk.PutBucketPolicyInput{Bucket: aws.String("tlsonly"), Policy: aws.String(doc)}); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name     string
		tls      bool
		wantCode string
	}{{"plain HTTP", false, "AccessDenied"}, {"HTTPS", true, ""}} {
		t.Run(tt.name, func(t *testing.T) {
			c := env.client(env.user, tt.tls)
			_, err := c.PutObject(ctx, &s3sdk.PutObjectInput{Bucket: aws.String("tlsonly"), Key: aws.String("k"), Body: strings.NewReader("x")})
			if code, _ := apiError(err); code != tt.wantCode || (tt.wantCode == "" && err != nil) {
				t.Errorf("PutObject over %s = %v, want %q", tt.name, err, tt.wantCode)
			}
			_, err = c.ListObjectsV2(ctx, &s3sdk.ListObjectsV2Input{Bucket: aws.String("tlsonly")})
			if code, _ := apiError(err); code != tt.wantCode || (tt.wantCode == "" && err != nil) {
				t.Errorf("ListObjectsV2 over %s = %v, want %q", tt.name, err, tt.wantCode)
			}
		})
	}
}
