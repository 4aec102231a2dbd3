package sigv4_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	v1creds "github.com/aws/aws-sdk-go/aws/credentials"
	v1signer "github.com/aws/aws-sdk-go/aws/signer/v4"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/tgsim/tgsim/fakes/awsproto"
	"github.com/tgsim/tgsim/fakes/sigv4"
)

func hexSHA256(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// reqSpec describes one request before signing. path and query are raw
// (as sent on the wire).
type reqSpec struct {
	method  string
	path    string
	query   string
	headers map[string]string
	body    []byte
	service string
	region  string
}

func (s reqSpec) s3() bool { return s.service == "s3" }

func (s reqSpec) build(t *testing.T, base string) *http.Request {
	t.Helper()
	u := base + s.path
	if s.query != "" {
		u += "?" + s.query
	}
	req, err := http.NewRequest(s.method, u, newBody(s.body))
	if err != nil {
		t.Fatalf("http.NewRequest(%q): %v", u, err)
	}
	for k, v := range s.headers {
		req.Header.Set(k, v)
	}
	return req
}

// Requests of the services tgsim serves, in each one's protocol.
var (
	thingsGraphSpec = reqSpec{
		method: http.MethodPost, path: "/",
		headers: map[string]string{"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "IotThingsGraphFrontEndService.GetFlowTemplate"},
		body:    []byte(`{"id":"urn:tdm:us-east-1/123456789012/default:Workflow:Flow1","revisionNumber":1}`),
		service: "iotthingsgraph", region: "us-east-1",
	}
	greengrassSpec = reqSpec{
		method: http.MethodGet, path: "/greengrass/groups/a%20b/versions/v%2B1",
		headers: map[string]string{"Content-Type": "application/json"},
		service: "greengrass", region: "eu-west-1",
	}
	iamSpec = reqSpec{
		method: http.MethodPost, path: "/",
		headers: map[string]string{"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
		body:    []byte("Action=ListUsers&PathPrefix=%2Fdivision_abc%2F&Version=2010-05-08"),
		service: "iam", region: "us-east-1",
	}
	s3Spec = reqSpec{
		method: http.MethodGet, path: "/my-bucket/dir/a%20b%2Bc%20%C3%BCber%20%E2%82%AC.txt",
		query:   "response-content-type=text%2Fplain&versionId=v%201",
		headers: map[string]string{"Range": "bytes=0-9", "X-Amz-Meta-Note": "  two   spaces  "},
		service: "s3", region: "us-east-1",
	}
	s3PutSpec = reqSpec{
		method: http.MethodPut, path: "/my-bucket/k%2By",
		headers: map[string]string{"Content-Type": "text/plain"},
		body:    []byte("hello, world"),
		service: "s3", region: "us-east-1",
	}
)

// signV2 signs with aws-sdk-go-v2's v4.Signer the way its clients do: S3
// gets no second path escaping and an X-Amz-Content-Sha256 header.
func signV2(t *testing.T, req *http.Request, s reqSpec, creds aws.Credentials, payloadHash string, at time.Time) {
	t.Helper()
	if payloadHash == "" {
		payloadHash = hexSHA256(s.body)
	}
	if s.s3() {
		req.Header.Set("X-Amz-Content-Sha256", payloadHash)
	}
	signer := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = s.s3() })
	if err := signer.SignHTTP(context.Background(), creds, req, payloadHash, s.service, s.region, at); err != nil {
		t.Fatalf("SignHTTP: %v", err)
	}
}

// presignV2 presigns with v4.Signer.PresignHTTP and returns the request to
// send: the signed URL plus the headers PresignHTTP says were signed.
func presignV2(t *testing.T, base string, s reqSpec, creds aws.Credentials, expires int, at time.Time) *http.Request {
	t.Helper()
	req := s.build(t, base)
	if expires > 0 {
		q := req.URL.Query()
		q.Set("X-Amz-Expires", strconv.Itoa(expires))
		req.URL.RawQuery = q.Encode()
	}
	payload := hexSHA256(s.body)
	if s.s3() {
		payload = "UNSIGNED-PAYLOAD"
	}
	signer := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = s.s3() })
	signedURL, hdr, err := signer.PresignHTTP(context.Background(), creds, req, payload, s.service, s.region, at)
	if err != nil {
		t.Fatalf("PresignHTTP: %v", err)
	}
	out, err := http.NewRequest(s.method, signedURL, newBody(s.body))
	if err != nil {
		t.Fatalf("http.NewRequest(presigned %q): %v", signedURL, err)
	}
	for k, v := range hdr {
		if k != "Host" {
			out.Header[k] = v
		}
	}
	return out
}

// signV1 signs with aws-sdk-go v1's signer, as its clients do (S3 without
// the second path escaping).
func signV1(t *testing.T, req *http.Request, s reqSpec, id, secret, token string, at time.Time) {
	t.Helper()
	signer := v1signer.NewSigner(v1creds.NewStaticCredentials(id, secret, token), func(sg *v1signer.Signer) {
		sg.DisableURIPathEscaping = s.s3()
	})
	if _, err := signer.Sign(req, bytes.NewReader(s.body), s.service, s.region, at); err != nil {
		t.Fatalf("v1 Sign: %v", err)
	}
}

func presignV1(t *testing.T, base string, s reqSpec, id, secret, token string, expires time.Duration, at time.Time) *http.Request {
	t.Helper()
	req := s.build(t, base)
	signer := v1signer.NewSigner(v1creds.NewStaticCredentials(id, secret, token), func(sg *v1signer.Signer) {
		sg.DisableURIPathEscaping = s.s3()
	})
	// Presign rewrites req.URL; the headers it returns are already on req.
	if _, err := signer.Presign(req, bytes.NewReader(s.body), s.service, s.region, expires, at); err != nil {
		t.Fatalf("v1 Presign: %v", err)
	}
	return req
}

var (
	longTerm  = aws.Credentials{AccessKeyID: testAKID, SecretAccessKey: testSecret}
	temporary = aws.Credentials{AccessKeyID: tempAKID, SecretAccessKey: tempSecret, SessionToken: tempToken}
)

// TestVerifySigned sends requests signed by the real SDK signers through an
// HTTP server and checks Verify accepts them, reports what they proved, and
// leaves the body readable.
func TestVerifySigned(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		spec reqSpec
		// sign turns a spec into a signed request against base.
		sign func(t *testing.T, base string, s reqSpec) *http.Request
		want sigv4.Result
	}{
		{
			name: "v2 things graph JSON 1.1 POST",
			spec: thingsGraphSpec,
			sign: v2Header(longTerm, ""),
			want: sigv4.Result{Scope: scope(testAKID, "us-east-1", "iotthingsgraph"), AccessKeyID: testAKID, PayloadMode: sigv4.PayloadSigned, SignedAt: t0},
		},
		{
			name: "v2 greengrass REST GET with escaped path params",
			spec: greengrassSpec,
			sign: v2Header(longTerm, ""),
			want: sigv4.Result{Scope: scope(testAKID, "eu-west-1", "greengrass"), AccessKeyID: testAKID, PayloadMode: sigv4.PayloadSigned, SignedAt: t0},
		},
		{
			name: "v2 IAM query POST form body",
			spec: iamSpec,
			sign: v2Header(longTerm, ""),
			want: sigv4.Result{Scope: scope(testAKID, "us-east-1", "iam"), AccessKeyID: testAKID, PayloadMode: sigv4.PayloadSigned, SignedAt: t0},
		},
		{
			name: "v2 IAM with session token",
			spec: iamSpec,
			sign: v2Header(temporary, ""),
			want: sigv4.Result{Scope: scope(tempAKID, "us-east-1", "iam"), AccessKeyID: tempAKID, SessionToken: tempToken, PayloadMode: sigv4.PayloadSigned, SignedAt: t0},
		},
		{
			name: "v2 S3 GET key with spaces, unicode and plus, unsigned payload",
			spec: s3Spec,
			sign: v2Header(longTerm, sigv4.UnsignedPayload),
			want: sigv4.Result{Scope: scope(testAKID, "us-east-1", "s3"), AccessKeyID: testAKID, PayloadMode: sigv4.UnsignedPayload, SignedAt: t0},
		},
		{
			name: "v2 S3 PUT with signed payload",
			spec: s3PutSpec,
			sign: v2Header(longTerm, ""),
			want: sigv4.Result{Scope: scope(testAKID, "us-east-1", "s3"), AccessKeyID: testAKID, PayloadMode: sigv4.PayloadSigned, SignedAt: t0},
		},
		{
			name: "v2 presigned S3 GET",
			spec: s3Spec,
			sign: func(t *testing.T, base string, s reqSpec) *http.Request {
				return presignV2(t, base, s, longTerm, 900, t0)
			},
			want: sigv4.Result{Scope: scope(testAKID, "us-east-1", "s3"), AccessKeyID: testAKID, Presigned: true, PayloadMode: sigv4.UnsignedPayload, SignedAt: t0},
		},
		{
			name: "v2 presigned S3 PUT with session token",
			spec: s3PutSpec,
			sign: func(t *testing.T, base string, s reqSpec) *http.Request {
				return presignV2(t, base, s, temporary, 3600, t0)
			},
			want: sigv4.Result{Scope: scope(tempAKID, "us-east-1", "s3"), AccessKeyID: tempAKID, SessionToken: tempToken, Presigned: true, PayloadMode: sigv4.UnsignedPayload, SignedAt: t0},
		},
		{
			name: "v2 presigned STS GetCallerIdentity (non-S3 presign)",
			spec: reqSpec{method: http.MethodGet, path: "/", query: "Action=GetCallerIdentity&Version=2011-06-15",
				headers: map[string]string{"X-K8s-Aws-Id": "my-cluster"}, service: "sts", region: "us-east-1"},
			sign: func(t *testing.T, base string, s reqSpec) *http.Request {
				return presignV2(t, base, s, temporary, 300, t0)
			},
			want: sigv4.Result{Scope: scope(tempAKID, "us-east-1", "sts"), AccessKeyID: tempAKID, SessionToken: tempToken, Presigned: true, PayloadMode: sigv4.PayloadSigned, SignedAt: t0},
		},
		{
			name: "v1 things graph JSON POST",
			spec: thingsGraphSpec,
			sign: v1Header(testAKID, testSecret, ""),
			want: sigv4.Result{Scope: scope(testAKID, "us-east-1", "iotthingsgraph"), AccessKeyID: testAKID, PayloadMode: sigv4.PayloadSigned, SignedAt: t0},
		},
		{
			name: "v1 greengrass GET",
			spec: greengrassSpec,
			sign: v1Header(testAKID, testSecret, ""),
			want: sigv4.Result{Scope: scope(testAKID, "eu-west-1", "greengrass"), AccessKeyID: testAKID, PayloadMode: sigv4.PayloadSigned, SignedAt: t0},
		},
		{
			name: "v1 IAM query POST with session token",
			spec: iamSpec,
			sign: v1Header(tempAKID, tempSecret, tempToken),
			want: sigv4.Result{Scope: scope(tempAKID, "us-east-1", "iam"), AccessKeyID: tempAKID, SessionToken: tempToken, PayloadMode: sigv4.PayloadSigned, SignedAt: t0},
		},
		{
			name: "v1 S3 GET odd key",
			spec: s3Spec,
			sign: v1Header(testAKID, testSecret, ""),
			want: sigv4.Result{Scope: scope(testAKID, "us-east-1", "s3"), AccessKeyID: testAKID, PayloadMode: sigv4.PayloadSigned, SignedAt: t0},
		},
		{
			name: "v1 presigned S3 GET",
			spec: s3Spec,
			sign: func(t *testing.T, base string, s reqSpec) *http.Request {
				return presignV1(t, base, s, testAKID, testSecret, "", 15*time.Minute, t0)
			},
			want: sigv4.Result{Scope: scope(testAKID, "us-east-1", "s3"), AccessKeyID: testAKID, Presigned: true, PayloadMode: sigv4.UnsignedPayload, SignedAt: t0},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv, ch := verifyServer(t, false, optsAt(t0.Add(2*time.Minute)), nil)
			req := tt.sign(t, srv.URL, tt.spec)
			o := send(t, srv, ch, req)
			if o.err != nil {
				e := o.err.(*sigv4.Error)
				t.Fatalf("Verify(%s) error = %v, want nil\ncanonical request:\n%s\nstring to sign:\n%s", tt.name, o.err, e.CanonicalRequest, e.StringToSign)
			}
			if diff := cmp.Diff(&tt.want, o.res, cmpopts.EquateApproxTime(0)); diff != "" {
				t.Errorf("Verify(%s) result mismatch (-want +got):\n%s", tt.name, diff)
			}
			if !bytes.Equal(o.body, tt.spec.body) || o.readErr != nil {
				t.Errorf("body after Verify = %q, %v; want %q, nil", o.body, o.readErr, tt.spec.body)
			}
		})
	}
}

func scope(akid, region, service string) awsproto.Scope {
	return awsproto.Scope{AccessKeyID: akid, Date: t0.Format("20060102"), Region: region, Service: service}
}

func v2Header(creds aws.Credentials, payloadHash string) func(*testing.T, string, reqSpec) *http.Request {
	return func(t *testing.T, base string, s reqSpec) *http.Request {
		req := s.build(t, base)
		signV2(t, req, s, creds, payloadHash, t0)
		return req
	}
}

func v1Header(id, secret, token string) func(*testing.T, string, reqSpec) *http.Request {
	return func(t *testing.T, base string, s reqSpec) *http.Request {
		req := s.build(t, base)
		signV1(t, req, s, id, secret, token, t0)
		return req
	}
}

// TestVerifyFailures covers every failure Kind with SDK-signed requests
// that are then broken in one way.
func TestVerifyFailures(t *testing.T) {
	t.Parallel()
	otherSecret := aws.Credentials{AccessKeyID: testAKID, SecretAccessKey: "not-the-secret"}
	unknown := aws.Credentials{AccessKeyID: "AKIDUNKNOWN", SecretAccessKey: testSecret}
	noToken := aws.Credentials{AccessKeyID: tempAKID, SecretAccessKey: tempSecret}
	wrongToken := aws.Credentials{AccessKeyID: tempAKID, SecretAccessKey: tempSecret, SessionToken: tempToken + "x"}
	tokenForLongTerm := aws.Credentials{AccessKeyID: testAKID, SecretAccessKey: testSecret, SessionToken: tempToken}

	type mutate func(t *testing.T, r *http.Request)
	setAuth := func(f func(string) string) mutate {
		return func(t *testing.T, r *http.Request) { r.Header.Set("Authorization", f(r.Header.Get("Authorization"))) }
	}
	tests := []struct {
		name   string
		spec   reqSpec
		creds  aws.Credentials
		hash   string // payload hash to sign; "" is the body's
		presig int    // >0: presign with this X-Amz-Expires instead
		now    time.Time
		keys   func(map[string]sigv4.Key)
		mutate mutate
		want   sigv4.Kind
	}{
		{name: "unsigned", spec: thingsGraphSpec, mutate: func(t *testing.T, r *http.Request) { r.Header.Del("Authorization") }, want: sigv4.MissingAuthentication},
		{name: "unknown key", spec: thingsGraphSpec, creds: unknown, want: sigv4.InvalidAccessKey},
		{name: "wrong secret", spec: thingsGraphSpec, creds: otherSecret, want: sigv4.SignatureMismatch},
		{name: "tampered header", spec: thingsGraphSpec, mutate: func(t *testing.T, r *http.Request) {
			r.Header.Set("X-Amz-Target", "IotThingsGraphFrontEndService.DeleteFlowTemplate")
		}, want: sigv4.SignatureMismatch},
		{name: "tampered JSON body", spec: thingsGraphSpec, mutate: func(t *testing.T, r *http.Request) {
			b := bytes.Replace(thingsGraphSpec.body, []byte("Flow1"), []byte("Flow2"), 1)
			r.Body, r.ContentLength = readCloser(b), int64(len(b))
		}, want: sigv4.SignatureMismatch},
		{name: "tampered form body", spec: iamSpec, mutate: func(t *testing.T, r *http.Request) {
			b := []byte(strings.Replace(string(iamSpec.body), "ListUsers", "ListRoles", 1))
			r.Body, r.ContentLength = readCloser(b), int64(len(b))
		}, want: sigv4.SignatureMismatch},
		{name: "tampered S3 body", spec: s3PutSpec, mutate: func(t *testing.T, r *http.Request) {
			b := []byte("hello, wOrld")
			r.Body, r.ContentLength = readCloser(b), int64(len(b))
		}, want: sigv4.ContentSHA256Mismatch},
		{name: "tampered query", spec: s3Spec, hash: sigv4.UnsignedPayload, mutate: func(t *testing.T, r *http.Request) {
			r.URL.RawQuery = strings.Replace(r.URL.RawQuery, "v%201", "v%202", 1)
		}, want: sigv4.SignatureMismatch},
		{name: "added query parameter", spec: iamSpec, mutate: func(t *testing.T, r *http.Request) { r.URL.RawQuery = "x=1" }, want: sigv4.SignatureMismatch},
		{name: "tampered path", spec: greengrassSpec, mutate: func(t *testing.T, r *http.Request) {
			r.URL.RawPath, r.URL.Path = "/greengrass/groups/a%20c/versions/v%2B1", "/greengrass/groups/a c/versions/v+1"
		}, want: sigv4.SignatureMismatch},
		{name: "path escaped differently", spec: greengrassSpec, mutate: func(t *testing.T, r *http.Request) {
			r.URL.RawPath = "/greengrass/groups/a%20b/versions/v+1"
		}, want: sigv4.SignatureMismatch},
		{name: "missing signed header", spec: thingsGraphSpec, mutate: func(t *testing.T, r *http.Request) { r.Header.Del("X-Amz-Target") }, want: sigv4.IncompleteSignature},
		{name: "host not signed", spec: thingsGraphSpec, mutate: setAuth(func(a string) string { return strings.Replace(a, "host;", "", 1) }), want: sigv4.IncompleteSignature},
		{name: "clock 6 min ahead", spec: thingsGraphSpec, now: t0.Add(6 * time.Minute), want: sigv4.TimeSkewed},
		{name: "clock 6 min behind", spec: thingsGraphSpec, now: t0.Add(-6 * time.Minute), want: sigv4.TimeSkewed},
		{name: "scope date not X-Amz-Date's", spec: thingsGraphSpec, mutate: func(t *testing.T, r *http.Request) {
			r.Header.Set("X-Amz-Date", t0.Add(24*time.Hour).Format("20060102T150405Z"))
		}, now: t0.Add(24 * time.Hour), want: sigv4.IncompleteSignature},
		{name: "X-Amz-Date malformed", spec: thingsGraphSpec, mutate: func(t *testing.T, r *http.Request) {
			r.Header.Set("X-Amz-Date", "2026-01-01T12:00:00Z")
		}, want: sigv4.IncompleteSignature},
		{name: "presigned expired", spec: s3Spec, presig: 60, now: t0.Add(61 * time.Second), want: sigv4.RequestExpired},
		{name: "presigned not yet valid", spec: s3Spec, presig: 60, now: t0.Add(-10 * time.Minute), want: sigv4.NotYetValid},
		{name: "presigned tampered query", spec: s3Spec, presig: 60, mutate: func(t *testing.T, r *http.Request) {
			r.URL.RawQuery = strings.Replace(r.URL.RawQuery, "X-Amz-Expires=60", "X-Amz-Expires=600", 1)
		}, want: sigv4.SignatureMismatch},
		{name: "presigned expires too long", spec: s3Spec, presig: 604801, want: sigv4.IncompleteSignature},
		{name: "presigned and header", spec: s3Spec, presig: 60, mutate: func(t *testing.T, r *http.Request) {
			r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+testAKID+"/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00")
		}, want: sigv4.IncompleteSignature},
		{name: "session token missing", spec: iamSpec, creds: noToken, want: sigv4.InvalidToken},
		{name: "session token wrong", spec: iamSpec, creds: wrongToken, want: sigv4.InvalidToken},
		{name: "session token for long-term key", spec: iamSpec, creds: tokenForLongTerm, want: sigv4.InvalidToken},
		{name: "session token expired", spec: iamSpec, creds: temporary, keys: func(k map[string]sigv4.Key) {
			tk := k[tempAKID]
			tk.Expires = t0.Add(time.Minute)
			k[tempAKID] = tk
		}, now: t0.Add(90 * time.Second), want: sigv4.ExpiredToken},
		{name: "presigned session token wrong", spec: s3Spec, creds: wrongToken, presig: 60, want: sigv4.InvalidToken},
		{name: "bad algorithm", spec: thingsGraphSpec, mutate: setAuth(func(a string) string { return strings.Replace(a, "AWS4-HMAC-SHA256", "AWS4-HMAC-SHA512", 1) }), want: sigv4.IncompleteSignature},
		{name: "missing Credential", spec: thingsGraphSpec, mutate: setAuth(func(a string) string { return dropPart(a, "Credential=") }), want: sigv4.IncompleteSignature},
		{name: "missing SignedHeaders", spec: thingsGraphSpec, mutate: setAuth(func(a string) string { return dropPart(a, "SignedHeaders=") }), want: sigv4.IncompleteSignature},
		{name: "missing Signature", spec: thingsGraphSpec, mutate: setAuth(func(a string) string { return dropPart(a, "Signature=") }), want: sigv4.IncompleteSignature},
		{name: "duplicate Signature", spec: thingsGraphSpec, mutate: setAuth(func(a string) string { return a + ", Signature=" + strings.Repeat("0", 64) }), want: sigv4.IncompleteSignature},
		{name: "duplicate Credential", spec: thingsGraphSpec, mutate: setAuth(func(a string) string {
			return a + ", Credential=" + testAKID + "/20260101/us-east-1/iotthingsgraph/aws4_request"
		}), want: sigv4.IncompleteSignature},
		{name: "credential without aws4_request", spec: thingsGraphSpec, mutate: setAuth(func(a string) string { return strings.Replace(a, "/aws4_request", "/aws5_request", 1) }), want: sigv4.IncompleteSignature},
		{name: "signature tampered", spec: thingsGraphSpec, mutate: setAuth(func(a string) string {
			i := strings.LastIndex(a, "Signature=") + len("Signature=")
			c := byte('0')
			if a[i] == '0' {
				c = '1'
			}
			return a[:i] + string(c) + a[i+1:]
		}), want: sigv4.SignatureMismatch},
		{name: "S3 without X-Amz-Content-Sha256", spec: s3Spec, hash: sigv4.UnsignedPayload, mutate: func(t *testing.T, r *http.Request) {
			r.Header.Del("X-Amz-Content-Sha256")
		}, want: sigv4.MissingContentSHA256},
		{name: "bogus X-Amz-Content-Sha256", spec: s3Spec, hash: "not-a-hash", want: sigv4.InvalidContentSHA256},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			keys := testKeys()
			if tt.keys != nil {
				tt.keys(keys)
			}
			now := tt.now
			if now.IsZero() {
				now = t0.Add(time.Minute)
			}
			opts := sigv4.Options{Lookup: lookupIn(keys), Now: func() time.Time { return now }}
			srv, ch := verifyServer(t, false, opts, nil)
			creds := tt.creds
			if creds.AccessKeyID == "" {
				creds = longTerm
			}
			var req *http.Request
			if tt.presig > 0 {
				req = presignV2(t, srv.URL, tt.spec, creds, tt.presig, t0)
			} else {
				req = tt.spec.build(t, srv.URL)
				signV2(t, req, tt.spec, creds, tt.hash, t0)
			}
			if tt.mutate != nil {
				tt.mutate(t, req)
			}
			o := send(t, srv, ch, req)
			if got := kindOf(o.err); got != tt.want {
				t.Fatalf("Verify(%s) error = %v (kind %v), want kind %v", tt.name, o.err, got, tt.want)
			}
			e := o.err.(*sigv4.Error)
			for _, secret := range []string{testSecret, tempSecret, tempToken, "not-the-secret"} {
				for _, s := range []string{e.Message, e.S3Message, e.CanonicalRequest, e.StringToSign, e.Error()} {
					if strings.Contains(s, secret) {
						t.Errorf("Verify(%s) error text %q holds secret material", tt.name, s)
					}
				}
			}
			if tt.want == sigv4.SignatureMismatch && tt.name != "signature tampered" && e.CanonicalRequest == "" {
				t.Errorf("Verify(%s) SignatureMismatch without the canonical request", tt.name)
			}
		})
	}
}

// dropPart removes "Name=value" from an Authorization header.
func dropPart(auth, prefix string) string {
	alg, rest, _ := strings.Cut(auth, " ")
	var kept []string
	for p := range strings.SplitSeq(rest, ",") {
		if !strings.HasPrefix(strings.TrimSpace(p), prefix) {
			kept = append(kept, strings.TrimSpace(p))
		}
	}
	return alg + " " + strings.Join(kept, ", ")
}

// TestSignatureMismatchNamesNoComputedSignature checks the mismatch error
// shows the canonical request (with the server's view of the path) and the
// string to sign, but not the signature the server computed.
func TestSignatureMismatchNamesNoComputedSignature(t *testing.T) {
	t.Parallel()
	srv, ch := verifyServer(t, false, optsAt(t0), nil)
	req := greengrassSpec.build(t, srv.URL)
	signV2(t, req, greengrassSpec, aws.Credentials{AccessKeyID: testAKID, SecretAccessKey: "wrong"}, "", t0)
	o := send(t, srv, ch, req)
	e, ok := o.err.(*sigv4.Error)
	if !ok || e.Kind != sigv4.SignatureMismatch {
		t.Fatalf("Verify = %v, want SignatureMismatch", o.err)
	}
	if !strings.Contains(e.CanonicalRequest, "/greengrass/groups/a%2520b/versions/v%252B1\n") {
		t.Errorf("CanonicalRequest = %q, want the doubly-encoded path", e.CanonicalRequest)
	}
	if !strings.HasPrefix(e.StringToSign, "AWS4-HMAC-SHA256\n20260101T120000Z\n20260101/eu-west-1/greengrass/aws4_request\n") {
		t.Errorf("StringToSign = %q", e.StringToSign)
	}
	// The right signature for the wrong secret is what the client sent;
	// recompute the one for the right secret and make sure it is absent.
	good := greengrassSpec.build(t, srv.URL)
	signV2(t, good, greengrassSpec, longTerm, "", t0)
	auth := good.Header.Get("Authorization")
	sig := auth[strings.LastIndex(auth, "=")+1:]
	for _, s := range []string{e.Message, e.S3Message, e.CanonicalRequest, e.StringToSign} {
		if strings.Contains(s, sig) {
			t.Errorf("error text %q contains the computed signature", s)
		}
	}
	if code, status := e.Code(sigv4.ProtocolS3); code != "SignatureDoesNotMatch" || status != http.StatusForbidden {
		t.Errorf("Code(s3) = %s, %d; want SignatureDoesNotMatch, 403", code, status)
	}
}

// TestVerifyDirect calls Verify on the client-side request the signer
// produced (no server), which is how a unit test of the edge would.
func TestVerifyDirect(t *testing.T) {
	t.Parallel()
	for _, s := range []reqSpec{thingsGraphSpec, greengrassSpec, iamSpec, s3PutSpec} {
		req := s.build(t, "https://example.amazonaws.com")
		signV2(t, req, s, longTerm, "", t0)
		if _, err := sigv4.Verify(req, optsAt(t0)); err != nil {
			t.Errorf("Verify(%s %s) = %v, want nil", s.method, s.path, err)
		}
	}
	u, _ := url.Parse("https://example.amazonaws.com/")
	if _, err := sigv4.Verify(&http.Request{Method: "GET", URL: u, Header: http.Header{}}, optsAt(t0)); kindOf(err) != sigv4.MissingAuthentication {
		t.Errorf("Verify(unsigned) = %v, want MissingAuthentication", err)
	}
}

func readCloser(b []byte) *nopCloser { return &nopCloser{bytes.NewReader(b)} }

type nopCloser struct{ *bytes.Reader }

func (nopCloser) Close() error { return nil }
