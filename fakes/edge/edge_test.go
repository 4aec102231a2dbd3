package edge_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/tgsim/tgsim/fakes/awsproto"
	"github.com/tgsim/tgsim/fakes/edge"
)

const (
	testAccount = "123456789012"
	testRegion  = "eu-central-1" // DefaultRegion, distinct from every signed region below
	tgTarget    = "IotThingsGraphFrontEndService.GetFlowTemplate"
)

var uuidV4 = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// seen is what a stub service observed about one request.
type seen struct {
	Method, Path, Query string
	Target              string
	Body                string
	Info                awsproto.RequestInfo
	InfoOK              bool
	RequestID           string
}

// stub records each request it serves on ch and answers 200 with its name.
func stub(name string, ch chan<- seen) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		info, ok := awsproto.RequestInfoFrom(r.Context())
		ch <- seen{
			Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery,
			Target:    r.Header.Get("X-Amz-Target"),
			Body:      string(body),
			Info:      info,
			InfoOK:    ok,
			RequestID: awsproto.RequestID(r.Context()),
		}
		w.Header().Set("Content-Type", "text/plain")
		_, _ = io.WriteString(w, name)
	})
}

// fixture is an Edge on a loopback server with a stub per service.
type fixture struct {
	srv   *httptest.Server
	calls map[string]chan seen
}

func newFixture(t *testing.T, services ...string) *fixture {
	t.Helper()
	f := &fixture{calls: make(map[string]chan seen)}
	handlers := make(map[string]http.Handler)
	for _, s := range services {
		f.calls[s] = make(chan seen, 16)
		handlers[s] = stub(s, f.calls[s])
	}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var ticks atomic.Int64
	e := edge.New(edge.Options{
		Services:      handlers,
		AccountID:     testAccount,
		DefaultRegion: testRegion,
		// Each reading of the clock is 1.5s after the previous one.
		Now: func() time.Time { return t0.Add(time.Duration(ticks.Add(1)-1) * 1500 * time.Millisecond) },
	})
	f.srv = httptest.NewServer(e)
	t.Cleanup(f.srv.Close)
	return f
}

// do sends r and returns the response with its body read.
func (f *fixture) do(t *testing.T, r *http.Request) (*http.Response, []byte) {
	t.Helper()
	resp, err := f.srv.Client().Do(r)
	if err != nil {
		t.Fatalf("%s %s: %v", r.Method, r.URL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading body: %v", r.Method, r.URL, err)
	}
	return resp, body
}

// served returns what service saw. The stub records before it writes its
// response, so the record is there once the response is.
func (f *fixture) served(t *testing.T, service string) seen {
	t.Helper()
	select {
	case s := <-f.calls[service]:
		return s
	case <-time.After(5 * time.Second):
		t.Fatalf("service %s was not called", service)
		return seen{}
	}
}

// noneServed fails if any stub saw a request.
func (f *fixture) noneServed(t *testing.T) {
	t.Helper()
	for name, ch := range f.calls {
		select {
		case s := <-ch:
			t.Errorf("service %s was called with %+v, want no call", name, s)
		default:
		}
	}
}

// requestID checks both request id headers and returns their value.
func requestID(t *testing.T, resp *http.Response) string {
	t.Helper()
	a, b := resp.Header.Get("X-Amzn-Requestid"), resp.Header.Get("X-Amz-Request-Id")
	if a == "" || a != b {
		t.Errorf("request id headers X-Amzn-Requestid=%q X-Amz-Request-Id=%q, want equal and non-empty", a, b)
	}
	if !uuidV4.MatchString(a) {
		t.Errorf("request id %q, want a UUID v4", a)
	}
	return a
}

func newRequest(t *testing.T, method, u string, body string, header map[string]string) *http.Request {
	t.Helper()
	r, err := http.NewRequestWithContext(t.Context(), method, u, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		r.Header.Set(k, v)
	}
	return r
}

func authz(cred string) string {
	return "AWS4-HMAC-SHA256 Credential=" + cred + ", SignedHeaders=host;x-amz-date, Signature=0123456789abcdef"
}

var allServices = []string{"iotthingsgraph", "s3", "greengrass", "iot", "iam", "sts"}

func TestRouting(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		method   string
		path     string // with query
		body     string
		header   map[string]string
		services []string // served; allServices when nil
		want     string   // service that must be called
		wantInfo awsproto.RequestInfo
	}{
		{
			name:   "json 1.1 by header scope",
			method: http.MethodPost,
			path:   "/",
			body:   `{"id":"urn:tdm:aws/examples:Workflow:F"}`,
			header: map[string]string{
				"Authorization": authz("AKIDTG/20260101/us-west-2/iotthingsgraph/aws4_request"),
				"X-Amz-Target":  tgTarget,
				"Content-Type":  awsproto.JSON11ContentType,
			},
			want: "iotthingsgraph",
			wantInfo: awsproto.RequestInfo{
				Scope:     awsproto.Scope{AccessKeyID: "AKIDTG", Date: "20260101", Region: "us-west-2", Service: "iotthingsgraph"},
				AccountID: testAccount,
				Region:    "us-west-2",
			},
		},
		{
			name:   "rest-json by header scope",
			method: http.MethodGet,
			path:   "/greengrass/groups?MaxResults=10",
			header: map[string]string{"Authorization": authz("AKIDGG/20260102/ap-northeast-1/greengrass/aws4_request")},
			want:   "greengrass",
			wantInfo: awsproto.RequestInfo{
				Scope:     awsproto.Scope{AccessKeyID: "AKIDGG", Date: "20260102", Region: "ap-northeast-1", Service: "greengrass"},
				AccountID: testAccount,
				Region:    "ap-northeast-1",
			},
		},
		{
			name:   "query protocol by header scope",
			method: http.MethodPost,
			path:   "/",
			body:   "Action=GetUser&Version=2010-05-08",
			header: map[string]string{
				"Authorization": authz("AKIDIAM/20260101/us-east-1/iam/aws4_request"),
				"Content-Type":  "application/x-www-form-urlencoded",
			},
			want: "iam",
			wantInfo: awsproto.RequestInfo{
				Scope:     awsproto.Scope{AccessKeyID: "AKIDIAM", Date: "20260101", Region: "us-east-1", Service: "iam"},
				AccountID: testAccount,
				Region:    "us-east-1",
			},
		},
		{
			name:   "presigned query scope",
			method: http.MethodGet,
			path: "/bucket/key.json?" + url.Values{
				"X-Amz-Algorithm":     {"AWS4-HMAC-SHA256"},
				"X-Amz-Credential":    {"AKIDS3/20260103/ap-southeast-2/s3/aws4_request"},
				"X-Amz-Date":          {"20260103T000000Z"},
				"X-Amz-Expires":       {"900"},
				"X-Amz-SignedHeaders": {"host"},
				"X-Amz-Signature":     {"00"},
			}.Encode(),
			want: "s3",
			wantInfo: awsproto.RequestInfo{
				Scope:     awsproto.Scope{AccessKeyID: "AKIDS3", Date: "20260103", Region: "ap-southeast-2", Service: "s3"},
				AccountID: testAccount,
				Region:    "ap-southeast-2",
			},
		},
		{
			name:   "presigned query scope for another service",
			method: http.MethodGet,
			path:   "/things?X-Amz-Credential=" + url.QueryEscape("AKIDIOT/20260101/eu-west-1/iot/aws4_request"),
			want:   "iot",
			wantInfo: awsproto.RequestInfo{
				Scope:     awsproto.Scope{AccessKeyID: "AKIDIOT", Date: "20260101", Region: "eu-west-1", Service: "iot"},
				AccountID: testAccount,
				Region:    "eu-west-1",
			},
		},
		{
			name:   "header scope wins over presigned query",
			method: http.MethodGet,
			path:   "/things?X-Amz-Credential=" + url.QueryEscape("AKIDS3/20260101/eu-west-1/s3/aws4_request"),
			header: map[string]string{"Authorization": authz("AKIDIOT/20260101/us-east-2/iot/aws4_request")},
			want:   "iot",
			wantInfo: awsproto.RequestInfo{
				Scope:     awsproto.Scope{AccessKeyID: "AKIDIOT", Date: "20260101", Region: "us-east-2", Service: "iot"},
				AccountID: testAccount,
				Region:    "us-east-2",
			},
		},
		{
			name:   "unsigned without target goes to s3",
			method: http.MethodGet,
			path:   "/public-bucket/object?list-type=2",
			want:   "s3",
			wantInfo: awsproto.RequestInfo{
				Scope:     awsproto.Scope{Service: "s3", Region: testRegion},
				AccountID: testAccount,
				Region:    testRegion,
			},
		},
		{
			name:     "unsigned put with only s3 served",
			method:   http.MethodPut,
			path:     "/public-bucket/object",
			body:     "hello",
			services: []string{"s3"},
			want:     "s3",
			wantInfo: awsproto.RequestInfo{
				Scope:     awsproto.Scope{Service: "s3", Region: testRegion},
				AccountID: testAccount,
				Region:    testRegion,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			services := tt.services
			if services == nil {
				services = allServices
			}
			f := newFixture(t, services...)
			req := newRequest(t, tt.method, f.srv.URL+tt.path, tt.body, tt.header)
			resp, body := f.do(t, req)
			id := requestID(t, resp)
			if resp.StatusCode != http.StatusOK || string(body) != tt.want {
				t.Fatalf("%s %s = %d %q, want 200 %q from the %s stub", tt.method, tt.path, resp.StatusCode, body, tt.want, tt.want)
			}
			got := f.served(t, tt.want)
			u, _ := url.Parse(tt.path)
			want := seen{
				Method: tt.method, Path: u.Path, Query: u.RawQuery,
				Target:    tt.header["X-Amz-Target"],
				Body:      tt.body,
				Info:      tt.wantInfo,
				InfoOK:    true,
				RequestID: id,
			}
			// With IAM off every caller is root; TestModeOffCallerIsRoot pins that.
			if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(awsproto.RequestInfo{}, "Caller")); diff != "" {
				t.Errorf("%s %s: handler saw (-want +got):\n%s", tt.method, tt.path, diff)
			}
			f.noneServed(t)
		})
	}
}

// rejection is the part of an error response a client reads.
type rejection struct {
	Code, Message, Type, RequestID string
}

func TestRejections(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		path       string
		header     map[string]string
		services   []string // served; allServices when nil
		wantCode   string
		wantJSON   bool     // JSON 1.1 error; else Query ErrorResponse XML
		wantS3     bool     // S3's <Error> XML
		wantInMsg  []string // substrings of the message
		wantStatus int
	}{
		{
			name:       "unsigned json request",
			path:       "/",
			header:     map[string]string{"X-Amz-Target": tgTarget},
			wantCode:   "MissingAuthenticationTokenException",
			wantJSON:   true,
			wantInMsg:  []string{"Missing Authentication Token"},
			wantStatus: http.StatusBadRequest,
		},
		{
			name: "malformed credential, json",
			path: "/",
			header: map[string]string{
				"Authorization": authz("AKID/20260101/us-east-1/aws4_request"),
				"X-Amz-Target":  tgTarget,
			},
			wantCode:   "IncompleteSignatureException",
			wantJSON:   true,
			wantInMsg:  []string{"expected AKID/YYYYMMDD/REGION/SERVICE/aws4_request"},
			wantStatus: http.StatusBadRequest,
		},
		{
			name:       "malformed credential, query",
			path:       "/",
			header:     map[string]string{"Authorization": authz("AKID/20260101/us-east-1/iam/aws4_requesx"), "Content-Type": "application/x-www-form-urlencoded"},
			wantCode:   "IncompleteSignature",
			wantInMsg:  []string{"expected AKID/YYYYMMDD/REGION/SERVICE/aws4_request"},
			wantStatus: http.StatusBadRequest,
		},
		{
			name:       "empty service in credential",
			path:       "/",
			header:     map[string]string{"Authorization": authz("AKID/20260101/us-east-1//aws4_request"), "X-Amz-Target": tgTarget},
			wantCode:   "IncompleteSignatureException",
			wantJSON:   true,
			wantInMsg:  []string{"part 4 is empty"},
			wantStatus: http.StatusBadRequest,
		},
		{
			name:       "malformed presigned credential",
			path:       "/bucket/key?X-Amz-Credential=" + url.QueryEscape("AKID/20260101/s3/aws4_request"),
			wantS3:     true,
			wantCode:   "IncompleteSignature",
			wantInMsg:  []string{"expected AKID/YYYYMMDD/REGION/SERVICE/aws4_request"},
			wantStatus: http.StatusBadRequest,
		},
		{
			name:       "unsupported algorithm",
			path:       "/",
			header:     map[string]string{"Authorization": "AWS AKID:c2ln", "X-Amz-Target": tgTarget},
			wantCode:   "IncompleteSignatureException",
			wantJSON:   true,
			wantInMsg:  []string{"unsupported algorithm"},
			wantStatus: http.StatusBadRequest,
		},
		{
			name:       "missing credential parameter",
			path:       "/",
			header:     map[string]string{"Authorization": "AWS4-HMAC-SHA256 SignedHeaders=host, Signature=00", "Content-Type": "application/x-www-form-urlencoded"},
			wantCode:   "IncompleteSignature",
			wantInMsg:  []string{"Credential"},
			wantStatus: http.StatusBadRequest,
		},
		{
			name: "unknown service, json",
			path: "/",
			header: map[string]string{
				"Authorization": authz("AKID/20260101/us-east-1/dynamodb/aws4_request"),
				"X-Amz-Target":  "DynamoDB_20120810.ListTables",
			},
			wantCode:   "UnrecognizedClientException",
			wantJSON:   true,
			wantInMsg:  []string{`"dynamodb"`, "serves: greengrass, iam, iot, iotthingsgraph, s3, sts"},
			wantStatus: http.StatusBadRequest,
		},
		{
			name:       "unknown service, query",
			path:       "/",
			header:     map[string]string{"Authorization": authz("AKID/20260101/us-east-1/sqs/aws4_request"), "Content-Type": "application/x-www-form-urlencoded"},
			wantCode:   "UnrecognizedClient",
			wantInMsg:  []string{`"sqs"`},
			wantStatus: http.StatusBadRequest,
		},
		{
			name:       "service names are case-sensitive",
			path:       "/",
			header:     map[string]string{"Authorization": authz("AKID/20260101/us-east-1/IoTThingsGraph/aws4_request"), "X-Amz-Target": tgTarget},
			wantCode:   "UnrecognizedClientException",
			wantJSON:   true,
			wantInMsg:  []string{`"IoTThingsGraph"`},
			wantStatus: http.StatusBadRequest,
		},
		{
			name:       "unsigned without target when s3 is not served",
			path:       "/bucket",
			services:   []string{"iotthingsgraph", "iam"},
			wantS3:     true,
			wantCode:   "UnrecognizedClient",
			wantInMsg:  []string{`"s3"`, "serves: iam, iotthingsgraph"},
			wantStatus: http.StatusBadRequest,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			services := tt.services
			if services == nil {
				services = allServices
			}
			f := newFixture(t, services...)
			req := newRequest(t, http.MethodPost, f.srv.URL+tt.path, "{}", tt.header)
			resp, body := f.do(t, req)
			id := requestID(t, resp)
			if resp.StatusCode != tt.wantStatus {
				t.Errorf("POST %s = %d, want %d; body %s", tt.path, resp.StatusCode, tt.wantStatus, body)
			}
			got := decodeRejection(t, resp, body, tt.wantJSON, tt.wantS3)
			want := rejection{Code: tt.wantCode, Message: got.Message}
			switch {
			case tt.wantS3:
				want.RequestID = id
			case tt.wantJSON:
				if h := resp.Header.Get("X-Amzn-Errortype"); h != tt.wantCode {
					t.Errorf("POST %s X-Amzn-ErrorType = %q, want %q", tt.path, h, tt.wantCode)
				}
			default:
				want.Type, want.RequestID = "Sender", id
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("POST %s error mismatch (-want +got):\n%s", tt.path, diff)
			}
			for _, s := range tt.wantInMsg {
				if !strings.Contains(got.Message, s) {
					t.Errorf("POST %s message = %q, want it to contain %q", tt.path, got.Message, s)
				}
			}
			f.noneServed(t)
		})
	}
}

func decodeRejection(t *testing.T, resp *http.Response, body []byte, isJSON, isS3 bool) rejection {
	t.Helper()
	ct := resp.Header.Get("Content-Type")
	if isJSON {
		if ct != awsproto.JSON11ContentType {
			t.Errorf("Content-Type = %q, want %q", ct, awsproto.JSON11ContentType)
		}
		var b struct {
			Type    string `json:"__type"`
			Message string `json:"message"`
		}
		if err := json.Unmarshal(body, &b); err != nil {
			t.Fatalf("error body %q is not JSON: %v", body, err)
		}
		return rejection{Code: b.Type, Message: b.Message}
	}
	if ct != "text/xml" {
		t.Errorf("Content-Type = %q, want text/xml", ct)
	}
	if isS3 {
		var e struct {
			XMLName   xml.Name `xml:"Error"`
			Code      string
			Message   string
			RequestID string `xml:"RequestId"`
		}
		if err := xml.Unmarshal(body, &e); err != nil {
			t.Fatalf("error body %q is not an S3 <Error>: %v", body, err)
		}
		return rejection{Code: e.Code, Message: e.Message, RequestID: e.RequestID}
	}
	var b struct {
		XMLName xml.Name `xml:"ErrorResponse"`
		Error   struct {
			Type, Code, Message string
		}
		RequestID string `xml:"RequestId"`
	}
	if err := xml.Unmarshal(body, &b); err != nil {
		t.Fatalf("error body %q is not an ErrorResponse: %v", body, err)
	}
	return rejection{Code: b.Error.Code, Message: b.Error.Message, Type: b.Error.Type, RequestID: b.RequestID}
}

// Every response carries one request id under both names, a fresh one per
// request, and a handler sees the same id in its context.
func TestRequestIDHeaders(t *testing.T) {
	t.Parallel()
	f := newFixture(t, allServices...)
	reqs := []struct {
		name   string
		method string
		path   string
		header map[string]string
	}{
		{name: "routed", method: http.MethodPost, path: "/", header: map[string]string{"Authorization": authz("A/20260101/us-east-1/iotthingsgraph/aws4_request"), "X-Amz-Target": tgTarget}},
		{name: "routed unsigned", method: http.MethodGet, path: "/bucket"},
		{name: "rejected json", method: http.MethodPost, path: "/", header: map[string]string{"X-Amz-Target": tgTarget}},
		{name: "rejected query", method: http.MethodPost, path: "/", header: map[string]string{"Authorization": authz("A/20260101/us-east-1/nope/aws4_request")}},
		{name: "health", method: http.MethodGet, path: edge.HealthPath},
		{name: "health head", method: http.MethodHead, path: edge.HealthPath},
		{name: "health wrong method", method: http.MethodDelete, path: edge.HealthPath},
	}
	ids := make(map[string]string)
	for _, r := range reqs {
		resp, _ := f.do(t, newRequest(t, r.method, f.srv.URL+r.path, "", r.header))
		id := requestID(t, resp)
		if prev, dup := ids[id]; dup {
			t.Errorf("%s and %s share request id %q", prev, r.name, id)
		}
		ids[id] = r.name
	}
	if got := f.served(t, "iotthingsgraph").RequestID; ids[got] != "routed" {
		t.Errorf("iotthingsgraph handler saw request id %q, want the one in its response headers", got)
	}
	if got := f.served(t, "s3").RequestID; ids[got] != "routed unsigned" {
		t.Errorf("s3 handler saw request id %q, want the one in its response headers", got)
	}
	f.noneServed(t)
}

// health is the /_tgsim/health body.
type health struct {
	Status   string   `json:"status"`
	Services []string `json:"services"`
	Account  string   `json:"account"`
	Uptime   string   `json:"uptime"`
}

func TestHealth(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		services []string
		path     string
		header   map[string]string
		want     health
	}{
		{
			name:     "services sorted",
			services: []string{"sts", "iotthingsgraph", "s3", "iam", "greengrass", "iot"},
			path:     edge.HealthPath,
			want:     health{Status: "ok", Services: []string{"greengrass", "iam", "iot", "iotthingsgraph", "s3", "sts"}, Account: testAccount, Uptime: "1.5s"},
		},
		{
			name:     "no services",
			services: nil,
			path:     edge.HealthPath,
			want:     health{Status: "ok", Services: []string{}, Account: testAccount, Uptime: "1.5s"},
		},
		{
			name:     "with a query string",
			services: []string{"s3"},
			path:     edge.HealthPath + "?verbose=1",
			want:     health{Status: "ok", Services: []string{"s3"}, Account: testAccount, Uptime: "1.5s"},
		},
		{
			name:     "answered before routing, even when signed for a service",
			services: []string{"s3"},
			path:     edge.HealthPath,
			header:   map[string]string{"Authorization": authz("A/20260101/us-east-1/s3/aws4_request")},
			want:     health{Status: "ok", Services: []string{"s3"}, Account: testAccount, Uptime: "1.5s"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, tt.services...)
			resp, body := f.do(t, newRequest(t, http.MethodGet, f.srv.URL+tt.path, "", tt.header))
			requestID(t, resp)
			if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/json" {
				t.Fatalf("GET %s = %d %q, want 200 application/json; body %s", tt.path, resp.StatusCode, resp.Header.Get("Content-Type"), body)
			}
			var got health
			if err := json.Unmarshal(body, &got); err != nil {
				t.Fatalf("GET %s body %q: %v", tt.path, body, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("GET %s mismatch (-want +got):\n%s", tt.path, diff)
			}
			f.noneServed(t)
		})
	}
}

func TestHealthMethods(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		method     string
		wantStatus int
	}{
		{name: "get", method: http.MethodGet, wantStatus: http.StatusOK},
		{name: "head", method: http.MethodHead, wantStatus: http.StatusOK},
		{name: "post", method: http.MethodPost, wantStatus: http.StatusMethodNotAllowed},
		{name: "put", method: http.MethodPut, wantStatus: http.StatusMethodNotAllowed},
		{name: "delete", method: http.MethodDelete, wantStatus: http.StatusMethodNotAllowed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, "s3")
			resp, body := f.do(t, newRequest(t, tt.method, f.srv.URL+edge.HealthPath, "{}", nil))
			requestID(t, resp)
			if resp.StatusCode != tt.wantStatus {
				t.Errorf("%s %s = %d, want %d; body %s", tt.method, edge.HealthPath, resp.StatusCode, tt.wantStatus, body)
			}
			if tt.wantStatus == http.StatusMethodNotAllowed {
				if got := resp.Header.Get("Allow"); got != "GET, HEAD" {
					t.Errorf("%s %s Allow = %q, want %q", tt.method, edge.HealthPath, got, "GET, HEAD")
				}
			}
			f.noneServed(t)
		})
	}
}

// The zero Options work: default account and region, nothing served.
func TestZeroOptions(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(edge.New(edge.Options{}))
	t.Cleanup(srv.Close)

	resp, err := srv.Client().Get(srv.URL + edge.HealthPath)
	if err != nil {
		t.Fatal(err)
	}
	var got health
	err = json.NewDecoder(resp.Body).Decode(&got)
	resp.Body.Close()
	if err != nil {
		t.Fatalf("GET %s: %v", edge.HealthPath, err)
	}
	if got.Status != "ok" || got.Account != "000000000000" || len(got.Services) != 0 {
		t.Errorf("GET %s = %+v, want status ok, account 000000000000, no services", edge.HealthPath, got)
	}

	resp, err = srv.Client().Get(srv.URL + "/bucket")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("GET /bucket with nothing served = %d, want 400", resp.StatusCode)
	}
}

// Defaults reach the handler: account 000000000000 and region us-east-1.
func TestDefaultAccountAndRegion(t *testing.T) {
	t.Parallel()
	ch := make(chan seen, 1)
	srv := httptest.NewServer(edge.New(edge.Options{Services: map[string]http.Handler{"s3": stub("s3", ch)}}))
	t.Cleanup(srv.Close)
	resp, err := srv.Client().Get(srv.URL + "/bucket/key")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var got seen
	select {
	case got = <-ch:
	case <-time.After(5 * time.Second):
		t.Fatal("s3 was not called")
	}
	want := awsproto.RequestInfo{Scope: awsproto.Scope{Service: "s3", Region: "us-east-1"}, AccountID: "000000000000", Region: "us-east-1"}
	if diff := cmp.Diff(want, got.Info, cmpopts.IgnoreFields(awsproto.RequestInfo{}, "Caller")); diff != "" {
		t.Errorf("GET /bucket/key RequestInfo mismatch (-want +got):\n%s", diff)
	}
}

func sha256Hex(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// A request signed by the real SDK signer is routed by its scope.
func TestSDKSignedRequest(t *testing.T) {
	t.Parallel()
	f := newFixture(t, allServices...)
	body := []byte(`{"id":"urn:tdm:aws/examples:Workflow:F"}`)
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, f.srv.URL+"/", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", awsproto.JSON11ContentType)
	req.Header.Set("X-Amz-Target", tgTarget)
	now := time.Now()
	creds := aws.Credentials{AccessKeyID: "test", SecretAccessKey: "test"}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, sha256Hex(body), "iotthingsgraph", "eu-west-1", now); err != nil {
		t.Fatalf("SignHTTP: %v", err)
	}
	resp, got := f.do(t, req)
	id := requestID(t, resp)
	if resp.StatusCode != http.StatusOK || string(got) != "iotthingsgraph" {
		t.Fatalf("SDK-signed POST = %d %q, want 200 from iotthingsgraph", resp.StatusCode, got)
	}
	s := f.served(t, "iotthingsgraph")
	want := seen{
		Method: http.MethodPost, Path: "/", Target: tgTarget, Body: string(body),
		Info: awsproto.RequestInfo{
			Scope:     awsproto.Scope{AccessKeyID: "test", Date: now.UTC().Format("20060102"), Region: "eu-west-1", Service: "iotthingsgraph"},
			AccountID: testAccount,
			Region:    "eu-west-1",
		},
		InfoOK:    true,
		RequestID: id,
	}
	if diff := cmp.Diff(want, s, cmpopts.IgnoreFields(awsproto.RequestInfo{}, "Caller")); diff != "" {
		t.Errorf("SDK-signed POST: handler saw (-want +got):\n%s", diff)
	}
	f.noneServed(t)
}

// A URL presigned by the real SDK signer is routed by its query scope.
func TestSDKPresignedURL(t *testing.T) {
	t.Parallel()
	f := newFixture(t, allServices...)
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, f.srv.URL+"/bucket/deploy/flow.json", nil)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	creds := aws.Credentials{AccessKeyID: "test", SecretAccessKey: "test"}
	signed, _, err := v4.NewSigner().PresignHTTP(context.Background(), creds, req, "UNSIGNED-PAYLOAD", "s3", "ap-south-1", now)
	if err != nil {
		t.Fatalf("PresignHTTP: %v", err)
	}
	resp, got := f.do(t, newRequest(t, http.MethodGet, signed, "", nil))
	requestID(t, resp)
	if resp.StatusCode != http.StatusOK || string(got) != "s3" {
		t.Fatalf("GET presigned %s = %d %q, want 200 from s3", signed, resp.StatusCode, got)
	}
	s := f.served(t, "s3")
	wantInfo := awsproto.RequestInfo{
		Scope:     awsproto.Scope{AccessKeyID: "test", Date: now.UTC().Format("20060102"), Region: "ap-south-1", Service: "s3"},
		AccountID: testAccount,
		Region:    "ap-south-1",
	}
	if diff := cmp.Diff(wantInfo, s.Info, cmpopts.IgnoreFields(awsproto.RequestInfo{}, "Caller")); diff != "" {
		t.Errorf("GET presigned: RequestInfo mismatch (-want +got):\n%s", diff)
	}
	if s.Path != "/bucket/deploy/flow.json" {
		t.Errorf("GET presigned: handler saw path %q, want /bucket/deploy/flow.json", s.Path)
	}
	f.noneServed(t)
}
