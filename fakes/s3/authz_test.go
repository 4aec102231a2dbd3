package s3

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/tgsim/tgsim/fakes/awsproto"
)

func TestDescribe(t *testing.T) {
	t.Parallel()
	svc, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name         string
		method, url  string
		header       map[string]string
		wantOp       string
		wantAction   string
		wantResource string
		wantContext  map[string][]string
		wantExtra    []awsproto.Call
	}{
		{name: "list buckets", method: "GET", url: "/", wantOp: "ListBuckets", wantAction: "s3:ListAllMyBuckets", wantResource: "*"},
		{name: "create bucket", method: "PUT", url: "/b", wantOp: "CreateBucket", wantAction: "s3:CreateBucket", wantResource: "arn:aws:s3:::b"},
		{name: "list objects v2", method: "GET", url: "/b?list-type=2&prefix=x/", wantOp: "ListObjectsV2", wantAction: "s3:ListBucket", wantResource: "arn:aws:s3:::b",
			wantContext: map[string][]string{"s3:prefix": {"x/"}}},
		{name: "head bucket", method: "HEAD", url: "/b", wantOp: "HeadBucket", wantAction: "s3:ListBucket", wantResource: "arn:aws:s3:::b"},
		{name: "put object with SSE", method: "PUT", url: "/b/flow-A.tar.gz", header: map[string]string{"X-Amz-Server-Side-Encryption": "AES256"},
			wantOp: "PutObject", wantAction: "s3:PutObject", wantResource: "arn:aws:s3:::b/flow-A.tar.gz",
			wantContext: map[string][]string{"s3:x-amz-server-side-encryption": {"AES256"}}},
		{name: "get object with nested key", method: "GET", url: "/b/a/b/c.txt", wantOp: "GetObject", wantAction: "s3:GetObject", wantResource: "arn:aws:s3:::b/a/b/c.txt"},
		{name: "head object", method: "HEAD", url: "/b/k", wantOp: "HeadObject", wantAction: "s3:GetObject", wantResource: "arn:aws:s3:::b/k"},
		{name: "delete object", method: "DELETE", url: "/b/k", wantOp: "DeleteObject", wantAction: "s3:DeleteObject", wantResource: "arn:aws:s3:::b/k"},
		{name: "delete objects", method: "POST", url: "/b?delete", wantOp: "DeleteObjects", wantAction: "s3:DeleteObject", wantResource: "arn:aws:s3:::b/*"},
		{name: "put bucket encryption", method: "PUT", url: "/b?encryption", wantOp: "PutBucketEncryption", wantAction: "s3:PutEncryptionConfiguration", wantResource: "arn:aws:s3:::b"},
		{name: "get bucket policy", method: "GET", url: "/b?policy", wantOp: "GetBucketPolicy", wantAction: "s3:GetBucketPolicy", wantResource: "arn:aws:s3:::b"},
		{name: "start multipart", method: "POST", url: "/b/k?uploads", wantOp: "CreateMultipartUpload", wantAction: "s3:PutObject", wantResource: "arn:aws:s3:::b/k"},
		{name: "upload part", method: "PUT", url: "/b/k?partNumber=1&uploadId=u", wantOp: "UploadPart", wantAction: "s3:PutObject", wantResource: "arn:aws:s3:::b/k"},
		{name: "abort multipart", method: "DELETE", url: "/b/k?uploadId=u", wantOp: "AbortMultipartUpload", wantAction: "s3:AbortMultipartUpload", wantResource: "arn:aws:s3:::b/k"},
		{name: "copy object reads the source too", method: "PUT", url: "/b/dst", header: map[string]string{"X-Amz-Copy-Source": "/src/a%20b.txt?versionId=1"},
			wantOp: "CopyObject", wantAction: "s3:PutObject", wantResource: "arn:aws:s3:::b/dst",
			wantExtra: []awsproto.Call{{Operation: "CopyObject", Action: "s3:GetObject", Resources: []string{"arn:aws:s3:::src/a b.txt"}}}},
		{name: "virtual host", method: "GET", url: "http://b.localhost:4566/k", wantOp: "GetObject", wantAction: "s3:GetObject", wantResource: "arn:aws:s3:::b/k"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequest(tt.method, tt.url, nil)
			for k, v := range tt.header {
				r.Header.Set(k, v)
			}
			got, err := svc.Describe(r)
			if err != nil {
				t.Fatal(err)
			}
			want := awsproto.Call{Operation: tt.wantOp, Action: tt.wantAction, Resources: []string{tt.wantResource}, Context: tt.wantContext, Extra: tt.wantExtra}
			if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("Describe(%s %s) mismatch (-want +got):\n%s", tt.method, tt.url, diff)
			}
			if r.URL.Path != httptest.NewRequest(tt.method, tt.url, nil).URL.Path {
				t.Errorf("Describe changed the request path to %q", r.URL.Path)
			}
		})
	}
	if c, _ := svc.Describe(httptest.NewRequest(http.MethodPost, "/", nil)); !c.NoAuthorization {
		t.Errorf("Describe(POST /) = %+v, want an unknown operation left to the handler", c)
	}
}

// A subresource gofakes3 does not route must not reach it: PutObjectTagging
// would otherwise overwrite the object with the tagging document.
func TestUnsupportedSubresourceLeavesObjectIntact(t *testing.T) {
	t.Parallel()
	svc, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	do := func(method, url, body string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(method, url, strings.NewReader(body))
		req.Header.Set("Content-Length", strconv.Itoa(len(body)))
		svc.ServeHTTP(rec, req)
		return rec
	}
	if rec := do("PUT", "/bkt", ""); rec.Code != 200 {
		t.Fatalf("CreateBucket = %d %s", rec.Code, rec.Body)
	}
	if rec := do("PUT", "/bkt/k", "precious"); rec.Code != 200 {
		t.Fatalf("PutObject = %d %s", rec.Code, rec.Body)
	}
	for _, sub := range []string{"tagging", "acl", "retention"} {
		rec := do("PUT", "/bkt/k?"+sub, "<Tagging><TagSet/></Tagging>")
		if rec.Code != http.StatusNotImplemented || !strings.Contains(rec.Body.String(), "NotImplemented") {
			t.Errorf("PUT ?%s = %d %s, want 501 NotImplemented", sub, rec.Code, rec.Body)
		}
	}
	if rec := do("GET", "/bkt/k", ""); rec.Body.String() != "precious" {
		t.Errorf("object after refused subresource PUTs = %q, want it intact", rec.Body.String())
	}
}
