package awsproto_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tgsim/tgsim/fakes/awsproto"
)

const (
	testCred = "AKIDEXAMPLE123/20260101/us-east-1/iotthingsgraph/aws4_request"
	testSig  = "SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=0123456789abcdef"
)

func TestParseScope(t *testing.T) {
	t.Parallel()
	want := awsproto.Scope{AccessKeyID: "AKIDEXAMPLE123", Date: "20260101", Region: "us-east-1", Service: "iotthingsgraph"}
	tests := []struct {
		name string
		auth string // Authorization header; "" means none
		// query is the raw query string; values are escaped by the test.
		query   url.Values
		want    awsproto.Scope
		wantOK  bool
		wantErr string // substring of the error; "" means no error
	}{
		{
			name:   "header",
			auth:   "AWS4-HMAC-SHA256 Credential=" + testCred + ", " + testSig,
			want:   want,
			wantOK: true,
		},
		{
			name:   "header without spaces after commas",
			auth:   "AWS4-HMAC-SHA256 Credential=" + testCred + ",SignedHeaders=host,Signature=00",
			want:   want,
			wantOK: true,
		},
		{
			name:   "header with credential last",
			auth:   "AWS4-HMAC-SHA256 SignedHeaders=host, Signature=00, Credential=" + testCred,
			want:   want,
			wantOK: true,
		},
		{
			name: "presigned query",
			query: url.Values{
				"X-Amz-Algorithm":  {"AWS4-HMAC-SHA256"},
				"X-Amz-Credential": {"AKID/20260102/eu-west-1/s3/aws4_request"},
				"X-Amz-Signature":  {"00"},
			},
			want:   awsproto.Scope{AccessKeyID: "AKID", Date: "20260102", Region: "eu-west-1", Service: "s3"},
			wantOK: true,
		},
		{
			name:  "header wins over presigned query",
			auth:  "AWS4-HMAC-SHA256 Credential=" + testCred + ", " + testSig,
			query: url.Values{"X-Amz-Credential": {"AKID/20260102/eu-west-1/s3/aws4_request"}},
			want:  want, wantOK: true,
		},
		{
			name:   "unsigned",
			wantOK: false,
		},
		{
			name:   "unsigned with unrelated query",
			query:  url.Values{"list-type": {"2"}},
			wantOK: false,
		},
		{
			name:    "presigned query malformed",
			query:   url.Values{"X-Amz-Credential": {"AKID/20260102/eu-west-1/s3"}},
			wantOK:  true,
			wantErr: "expected AKID/YYYYMMDD/REGION/SERVICE/aws4_request",
		},
		{
			name:    "SigV2 header",
			auth:    "AWS AKIDEXAMPLE:c2lnbmF0dXJl",
			wantOK:  true,
			wantErr: "unsupported algorithm",
		},
		{
			name:    "SigV4a header",
			auth:    "AWS4-ECDSA-P256-SHA256 Credential=AKID/20260101/iotthingsgraph/aws4_request, " + testSig,
			wantOK:  true,
			wantErr: "unsupported algorithm",
		},
		{
			name:    "bearer token",
			auth:    "Bearer abc",
			wantOK:  true,
			wantErr: "unsupported algorithm",
		},
		{
			name:    "missing credential",
			auth:    "AWS4-HMAC-SHA256 " + testSig,
			wantOK:  true,
			wantErr: "requires 'Credential'",
		},
		{
			name:    "algorithm only",
			auth:    "AWS4-HMAC-SHA256",
			wantOK:  true,
			wantErr: "requires 'Credential'",
		},
		{
			name:    "too few parts",
			auth:    "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/aws4_request, " + testSig,
			wantOK:  true,
			wantErr: "expected AKID/YYYYMMDD/REGION/SERVICE/aws4_request",
		},
		{
			name:    "too many parts",
			auth:    "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/iotthingsgraph/extra/aws4_request, " + testSig,
			wantOK:  true,
			wantErr: "expected AKID/YYYYMMDD/REGION/SERVICE/aws4_request",
		},
		{
			name:    "not ending in aws4_request",
			auth:    "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/iotthingsgraph/aws4_requesx, " + testSig,
			wantOK:  true,
			wantErr: "expected AKID/YYYYMMDD/REGION/SERVICE/aws4_request",
		},
		{
			name:    "empty credential",
			auth:    "AWS4-HMAC-SHA256 Credential=, " + testSig,
			wantOK:  true,
			wantErr: "expected AKID/YYYYMMDD/REGION/SERVICE/aws4_request",
		},
		{
			name:    "empty access key",
			auth:    "AWS4-HMAC-SHA256 Credential=/20260101/us-east-1/iotthingsgraph/aws4_request, " + testSig,
			wantOK:  true,
			wantErr: "part 1 is empty",
		},
		{
			name:    "empty date",
			auth:    "AWS4-HMAC-SHA256 Credential=AKID//us-east-1/iotthingsgraph/aws4_request, " + testSig,
			wantOK:  true,
			wantErr: "part 2 is empty",
		},
		{
			name:    "empty region",
			auth:    "AWS4-HMAC-SHA256 Credential=AKID/20260101//iotthingsgraph/aws4_request, " + testSig,
			wantOK:  true,
			wantErr: "part 3 is empty",
		},
		{
			name:    "empty service",
			auth:    "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1//aws4_request, " + testSig,
			wantOK:  true,
			wantErr: "part 4 is empty",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequest(http.MethodPost, "/?"+tt.query.Encode(), nil)
			if tt.auth != "" {
				r.Header.Set("Authorization", tt.auth)
			}
			got, ok, err := awsproto.ParseScope(r)
			if ok != tt.wantOK {
				t.Errorf("ParseScope(%q, %q) ok = %v, want %v", tt.auth, tt.query.Encode(), ok, tt.wantOK)
			}
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("ParseScope(%q, %q) error = %v, want nil", tt.auth, tt.query.Encode(), err)
			case tt.wantErr != "" && err == nil:
				t.Fatalf("ParseScope(%q, %q) = %+v, nil; want error containing %q", tt.auth, tt.query.Encode(), got, tt.wantErr)
			case tt.wantErr != "" && !strings.Contains(err.Error(), tt.wantErr):
				t.Fatalf("ParseScope(%q, %q) error = %q, want it to contain %q", tt.auth, tt.query.Encode(), err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParseScope(%q, %q) scope mismatch (-want +got):\n%s", tt.auth, tt.query.Encode(), diff)
			}
		})
	}
}

// A malformed credential is echoed in the error, but not the whole access
// key id.
func TestParseScopeRedactsAccessKey(t *testing.T) {
	t.Parallel()
	const akid = "AKIAIOSFODNN7EXAMPLE"
	r := httptest.NewRequest(http.MethodPost, "/", nil)
	r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+akid+"/20260101/us-east-1/aws4_request, "+testSig)
	_, _, err := awsproto.ParseScope(r)
	if err == nil {
		t.Fatal("ParseScope(4-part credential) error = nil, want error")
	}
	if strings.Contains(err.Error(), akid) {
		t.Errorf("ParseScope error = %q, want the access key id %q redacted", err, akid)
	}
	if !strings.Contains(err.Error(), "AKIA****") {
		t.Errorf("ParseScope error = %q, want the redacted prefix AKIA****", err)
	}
}

func FuzzParseScope(f *testing.F) {
	for _, s := range []string{
		"",
		"AWS4-HMAC-SHA256 Credential=" + testCred + ", " + testSig,
		"AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/iotthingsgraph/aws4_request",
		"AWS4-HMAC-SHA256 Credential=/a//b/aws4_request",
		"AWS4-HMAC-SHA256 Credential=a/b/c/d/e/aws4_request",
		"AWS4-HMAC-SHA256 ,,,Credential=,",
		"AWS4-HMAC-SHA256",
		"AWS ab:cd",
	} {
		f.Add(s, "")
	}
	f.Add("", "X-Amz-Credential=AKID%2F20260101%2Fus-east-1%2Fs3%2Faws4_request")
	f.Add("", "X-Amz-Credential=%2F%2F%2F%2F")
	f.Fuzz(func(t *testing.T, auth, rawQuery string) {
		r := &http.Request{Method: http.MethodGet, URL: &url.URL{Path: "/", RawQuery: rawQuery}, Header: http.Header{}}
		if auth != "" {
			r.Header.Set("Authorization", auth)
		}
		s, ok, err := awsproto.ParseScope(r)
		if !ok && (err != nil || s != (awsproto.Scope{})) {
			t.Fatalf("ParseScope(%q, %q) = %+v, %v, %v; want zero scope and nil error when ok is false", auth, rawQuery, s, ok, err)
		}
		if err != nil && s != (awsproto.Scope{}) {
			t.Fatalf("ParseScope(%q, %q) = %+v, %v, %v; want zero scope with an error", auth, rawQuery, s, ok, err)
		}
		if ok && err == nil {
			if s.AccessKeyID == "" || s.Date == "" || s.Region == "" || s.Service == "" {
				t.Fatalf("ParseScope(%q, %q) = %+v, ok, nil; want every field non-empty", auth, rawQuery, s)
			}
			for _, f := range []string{s.AccessKeyID, s.Date, s.Region, s.Service} {
				if strings.Contains(f, "/") {
					t.Fatalf("ParseScope(%q, %q) = %+v; field %q holds a slash", auth, rawQuery, s, f)
				}
			}
		}
	})
}
