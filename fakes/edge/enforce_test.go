package edge_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/tgsim/tgsim/fakes/awsproto"
	"github.com/tgsim/tgsim/fakes/edge"
	iamfake "github.com/tgsim/tgsim/fakes/iam"
	"github.com/tgsim/tgsim/fakes/policy"
)

// bodyService reads the body in Describe (as Things Graph's describer does)
// and echoes it from the handler, with the caller it was given.
type bodyService struct{}

func (bodyService) Describe(r *http.Request) (awsproto.Call, error) {
	b, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(b))
	var in struct{ ID string }
	_ = json.Unmarshal(b, &in)
	return awsproto.Call{Operation: "GetFlowTemplate", Action: "iotthingsgraph:GetFlowTemplate",
		Resources: []string{"arn:aws:iotthingsgraph:us-east-1:000000000000:Workflow/" + in.ID}}, nil
}

func (bodyService) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	info, _ := awsproto.RequestInfoFrom(r.Context())
	b, _ := io.ReadAll(r.Body)
	w.Header().Set("X-Caller", info.Caller.ARN)
	w.Write(b)
}

type world struct {
	edge      *edge.Edge
	iam       *iamfake.Service
	decisions *edge.DecisionLog
	srv       *httptest.Server
}

// newWorld serves IAM/STS and the body service behind an edge in mode m,
// with a user "flowreader" allowed GetFlowTemplate on Workflow/Allowed*.
func newWorld(t testing.TB, m edge.Mode) (*world, aws.Credentials) {
	t.Helper()
	svc, err := iamfake.New(iamfake.Options{})
	if err != nil {
		t.Fatal(err)
	}
	w := &world{iam: svc, decisions: edge.NewDecisionLog(100)}
	w.edge = edge.New(edge.Options{Mode: m, Identity: svc, Decisions: w.decisions,
		Services: map[string]http.Handler{"iam": svc.IAM(), "sts": svc.STS(), "iotthingsgraph": bodyService{}}})
	w.srv = httptest.NewServer(w.edge)
	t.Cleanup(w.srv.Close)
	ctx := context.Background()
	root := iam.NewFromConfig(aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("test", "test", "")},
		func(o *iam.Options) { o.BaseEndpoint = aws.String(w.srv.URL) })
	if _, err := root.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("flowreader")}); err != nil {
		t.Fatal(err)
	}
	doc := `{"Version":"2012-10-17","Statement":[
	  {"Effect":"Allow","Action":"iotthingsgraph:Get*","Resource":"arn:aws:iotthingsgraph:*:*:Workflow/Allowed*"},
	  {"Effect":"Deny","Action":"iotthingsgraph:GetFlowTemplate","Resource":"arn:aws:iotthingsgraph:*:*:Workflow/AllowedButDenied"}]}`
	if _, err := root.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("flowreader"), PolicyName: aws.String("p"), PolicyDocument: aws.String(doc)}); err != nil {
		t.Fatal(err)
	}
	key, err := root.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("flowreader")})
	if err != nil {
		t.Fatal(err)
	}
	return w, aws.Credentials{AccessKeyID: aws.ToString(key.AccessKey.AccessKeyId), SecretAccessKey: aws.ToString(key.AccessKey.SecretAccessKey)}
}

// signedTG builds a signed Things Graph request for flow id.
func signedTG(t testing.TB, url string, creds aws.Credentials, id string) *http.Request {
	t.Helper()
	body := `{"id":"` + id + `"}`
	req, _ := http.NewRequest(http.MethodPost, url+"/", strings.NewReader(body))
	req.Header.Set("X-Amz-Target", "IotThingsGraphFrontEndService.GetFlowTemplate")
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	sum := sha256.Sum256([]byte(body))
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), "iotthingsgraph", "us-east-1", time.Now()); err != nil {
		t.Fatal(err)
	}
	return req
}

func TestEnforce(t *testing.T) {
	w, user := newWorld(t, edge.ModeEnforce)
	root := aws.Credentials{AccessKeyID: "test", SecretAccessKey: "test"}
	tests := []struct {
		name       string
		creds      aws.Credentials
		id         string
		wantStatus int
		wantBody   string // substring
		wantCaller string
	}{
		{name: "root may do anything", creds: root, id: "Anything", wantStatus: 200, wantBody: `{"id":"Anything"}`, wantCaller: "arn:aws:iam::000000000000:root"},
		{name: "allowed by wildcard resource, body intact after describe", creds: user, id: "AllowedFlow", wantStatus: 200, wantBody: `{"id":"AllowedFlow"}`, wantCaller: "arn:aws:iam::000000000000:user/flowreader"},
		{name: "implicit deny", creds: user, id: "Other", wantStatus: 400,
			wantBody: "User: arn:aws:iam::000000000000:user/flowreader is not authorized to perform: iotthingsgraph:GetFlowTemplate on resource: arn:aws:iotthingsgraph:us-east-1:000000000000:Workflow/Other because no identity-based policy allows the iotthingsgraph:GetFlowTemplate action"},
		{name: "explicit deny beats allow", creds: user, id: "AllowedButDenied", wantStatus: 400, wantBody: "with an explicit deny in an identity-based policy"},
		{name: "wrong secret", creds: aws.Credentials{AccessKeyID: user.AccessKeyID, SecretAccessKey: "WrongSecretKeyQQQQ"}, id: "AllowedFlow", wantStatus: 400, wantBody: "InvalidSignatureException"},
		{name: "unknown key", creds: aws.Credentials{AccessKeyID: "AKIAUNKNOWNUNKNOWN00", SecretAccessKey: "NotARealSecretKeyZZZZ"}, id: "AllowedFlow", wantStatus: 400, wantBody: "UnrecognizedClientException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := http.DefaultClient.Do(signedTG(t, w.srv.URL, tt.creds, tt.id))
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.wantStatus || !strings.Contains(string(b), tt.wantBody) {
				t.Errorf("GetFlowTemplate(%s) = %d %s, want %d containing %q", tt.id, resp.StatusCode, b, tt.wantStatus, tt.wantBody)
			}
			if tt.wantStatus == 200 && resp.Header.Get("X-Caller") != tt.wantCaller {
				t.Errorf("handler saw caller %q, want %q", resp.Header.Get("X-Caller"), tt.wantCaller)
			}
			if tt.wantStatus != 200 && strings.Contains(string(b), tt.creds.SecretAccessKey) && tt.creds.SecretAccessKey != "" {
				t.Errorf("error body contains the secret key")
			}
		})
	}
	var denied []string
	for _, d := range w.decisions.All() {
		if d.Decision != policy.Allowed {
			denied = append(denied, d.Resource+" "+string(d.Decision))
		}
	}
	sort.Strings(denied)
	want := []string{
		"arn:aws:iotthingsgraph:us-east-1:000000000000:Workflow/AllowedButDenied explicitDeny",
		"arn:aws:iotthingsgraph:us-east-1:000000000000:Workflow/Other implicitDeny",
	}
	if strings.Join(denied, "\n") != strings.Join(want, "\n") {
		t.Errorf("recorded denials = %v, want %v", denied, want)
	}
}

func TestSoftModeRecordsButAllows(t *testing.T) {
	w, user := newWorld(t, edge.ModeSoft)
	resp, err := http.DefaultClient.Do(signedTG(t, w.srv.URL, user, "Other"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("soft mode status = %d, want 200", resp.StatusCode)
	}
	all := w.decisions.All()
	if len(all) == 0 || all[len(all)-1].Decision != policy.ImplicitDeny || all[len(all)-1].Enforced {
		t.Errorf("last decision = %+v, want an unenforced implicitDeny", all[len(all)-1])
	}
}

// BenchmarkAuthorization measures what the authorization step (SigV4
// verify, access-key lookup, policy evaluation) adds to a request through
// the edge handler: "off" trusts the scope, "enforce" does everything. It
// reports the median per request; compare the two in one run.
func BenchmarkAuthorization(b *testing.B) {
	for _, m := range []edge.Mode{edge.ModeOff, edge.ModeEnforce} {
		b.Run(string(m), func(b *testing.B) {
			w, user := newWorld(b, m)
			req := signedTG(b, w.srv.URL, user, "AllowedFlow")
			body := []byte(`{"id":"AllowedFlow"}`)
			times := make([]time.Duration, 0, b.N)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				r := req.Clone(context.Background())
				r.Body = io.NopCloser(bytes.NewReader(body))
				r.RemoteAddr = "127.0.0.1:1234"
				rec := httptest.NewRecorder()
				start := time.Now()
				w.edge.ServeHTTP(rec, r)
				times = append(times, time.Since(start))
				if rec.Code != 200 {
					b.Fatalf("status %d: %s", rec.Code, rec.Body)
				}
			}
			b.StopTimer()
			sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
			b.ReportMetric(float64(times[len(times)/2].Nanoseconds()), "p50-ns")
		})
	}
}
