package edge_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/greengrass"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/tgsim/tgsim/fakes/edge"
	ggfake "github.com/tgsim/tgsim/fakes/greengrass"
	iamfake "github.com/tgsim/tgsim/fakes/iam"
	s3fake "github.com/tgsim/tgsim/fakes/s3"
)

// faultWorld serves IAM, Greengrass and S3 behind an enforcing edge, with
// the root key test/test.
func faultWorld(t *testing.T) (*edge.Edge, string) {
	t.Helper()
	idp, err := iamfake.New(iamfake.Options{RootAccessKeyID: "test", RootSecretAccessKey: "test"})
	if err != nil {
		t.Fatal(err)
	}
	gg, err := ggfake.New(ggfake.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s3svc, err := s3fake.New(s3fake.Options{})
	if err != nil {
		t.Fatal(err)
	}
	e := edge.New(edge.Options{Mode: edge.ModeEnforce, Identity: idp,
		Services: map[string]http.Handler{"iam": idp.IAM(), "sts": idp.STS(), "greengrass": gg, "s3": s3svc}})
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	return e, srv.URL
}

// noBackoff keeps the SDK's standard retryer (3 attempts, the same
// retryable codes) without its jittered sleeps.
var noBackoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })

func rootConfig(url string) aws.Config {
	return aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""),
		BaseEndpoint: aws.String(url),
		Retryer:      func() aws.Retryer { return retry.NewStandard(func(o *retry.StandardOptions) { o.Backoff = noBackoff }) }}
}

// TestFaultsThroughSDKRetries arms faults and calls through the official
// aws-sdk-go-v2 clients, whose standard retryer makes 3 attempts on
// throttling codes: 2 injected failures are absorbed, 5 are not (and only
// 3 of them are used up).
func TestFaultsThroughSDKRetries(t *testing.T) {
	e, url := faultWorld(t)
	cfg := rootConfig(url)
	ctx := context.Background()
	ggc := greengrass.NewFromConfig(cfg)
	iamc := iam.NewFromConfig(cfg)
	s3c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("bucket")}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		fault     edge.Fault
		call      func() error
		wantCode  string // "" for success
		wantUsed  int
		wantState int // HTTP status of the injected answers
	}{
		{"greengrass throttled twice succeeds", edge.Fault{Service: "greengrass", Operation: "ListGroups", Times: 2},
			func() error { _, err := ggc.ListGroups(ctx, &greengrass.ListGroupsInput{}); return err }, "", 2, 400},
		{"greengrass throttled five times fails", edge.Fault{Service: "greengrass", Operation: "ListGroups", Times: 5},
			func() error { _, err := ggc.ListGroups(ctx, &greengrass.ListGroupsInput{}); return err }, "ThrottlingException", 3, 400},
		{"iam query Throttling fails", edge.Fault{Service: "iam", Operation: "ListUsers", Times: 3},
			func() error { _, err := iamc.ListUsers(ctx, &iam.ListUsersInput{}); return err }, "Throttling", 3, 400},
		{"s3 SlowDown twice succeeds", edge.Fault{Service: "s3", Operation: "ListObjectsV2", Times: 2},
			func() error {
				_, err := s3c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("bucket")})
				return err
			}, "", 2, 503},
		{"s3 SlowDown fails", edge.Fault{Service: "s3", Operation: "ListObjectsV2", Times: 4},
			func() error {
				_, err := s3c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("bucket")})
				return err
			}, "SlowDown", 3, 503},
		{"non-retryable code fails at once", edge.Fault{Service: "greengrass", Operation: "ListGroups", Error: "BadRequestException", Message: "nope", Times: 2},
			func() error { _, err := ggc.ListGroups(ctx, &greengrass.ListGroupsInput{}); return err }, "BadRequestException", 1, 400},
		{"another operation is not failed", edge.Fault{Service: "greengrass", Operation: "CreateDeployment", Times: 2},
			func() error { _, err := ggc.ListGroups(ctx, &greengrass.ListGroupsInput{}); return err }, "", 0, 400},
		{"another caller is not failed", edge.Fault{Service: "greengrass", Operation: "*", Times: 2, As: "user/alice"},
			func() error { _, err := ggc.ListGroups(ctx, &greengrass.ListGroupsInput{}); return err }, "", 0, 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.Faults().Clear()
			f, err := e.Faults().Add(tt.fault)
			if err != nil {
				t.Fatal(err)
			}
			if f.Status != tt.wantState {
				t.Errorf("Add(%+v).Status = %d, want %d", tt.fault, f.Status, tt.wantState)
			}
			err = tt.call()
			var code string
			if err != nil {
				var ae smithy.APIError
				if !errors.As(err, &ae) {
					t.Fatalf("call: %v, not an AWS API error", err)
				}
				code = ae.ErrorCode()
			}
			if code != tt.wantCode {
				t.Errorf("call error code = %q (%v), want %q", code, err, tt.wantCode)
			}
			if got := e.Faults().List()[0].Injected; got != tt.wantUsed {
				t.Errorf("Injected = %d, want %d", got, tt.wantUsed)
			}
		})
	}
}

func TestFaultsAdd(t *testing.T) {
	tests := []struct {
		name    string
		in      edge.Fault
		want    edge.Fault // ID, Error, Message, Status compared
		wantErr string
	}{
		{"json default", edge.Fault{Service: "greengrass", Operation: "CreateDeployment", Times: 1},
			edge.Fault{ID: "fault-1", Error: "ThrottlingException", Message: "Rate exceeded", Status: 400}, ""},
		{"query default", edge.Fault{Service: "sts", Operation: "AssumeRole", Times: 1},
			edge.Fault{ID: "fault-2", Error: "Throttling", Message: "Rate exceeded", Status: 400}, ""},
		{"s3 default", edge.Fault{Service: "s3", Operation: "PutObject", Times: 1},
			edge.Fault{ID: "fault-3", Error: "SlowDown", Message: "Please reduce your request rate.", Status: 503}, ""},
		{"named code gets its status", edge.Fault{ID: "mine", Service: "iot", Operation: "*", Error: "ServiceUnavailableException", Times: 1},
			edge.Fault{ID: "mine", Error: "ServiceUnavailableException", Message: "injected by tgsim", Status: 503}, ""},
		{"iotdata throttles with 429", edge.Fault{Service: "iotdata", Operation: "Publish", Error: "ThrottlingException", Times: 1},
			edge.Fault{ID: "fault-5", Error: "ThrottlingException", Message: "injected by tgsim", Status: 429}, ""},
		{"unknown service", edge.Fault{Service: "lambda", Operation: "Invoke", Times: 1}, edge.Fault{}, `fault service "lambda": expected one of`},
		{"no operation", edge.Fault{Service: "iot", Times: 1}, edge.Fault{}, "fault operation: required"},
		{"zero times", edge.Fault{Service: "iot", Operation: "*"}, edge.Fault{}, "fault times: 0, expected at least 1"},
		{"bad status", edge.Fault{Service: "iot", Operation: "*", Times: 1, Status: 200}, edge.Fault{}, "fault status: 200"},
		{"duplicate id", edge.Fault{ID: "mine", Service: "iot", Operation: "*", Times: 1}, edge.Fault{}, `fault id "mine": already armed`},
	}
	fs := edge.New(edge.Options{}).Faults()
	for _, tt := range tests { // sequential: ids count up
		got, err := fs.Add(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%s: Add(%+v) error = %v, want %q", tt.name, tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: Add(%+v): %v", tt.name, tt.in, err)
		}
		if got.ID != tt.want.ID || got.Error != tt.want.Error || got.Message != tt.want.Message || got.Status != tt.want.Status {
			t.Errorf("%s: Add(%+v) = %+v, want %+v", tt.name, tt.in, got, tt.want)
		}
	}
	if !fs.Remove("mine") || fs.Remove("mine") {
		t.Error("Remove(mine) twice: want true then false")
	}
	if n := len(fs.List()); n != 4 {
		t.Errorf("List() has %d faults, want 4", n)
	}
}

// TestFaultsControlRoute drives /_tgsim/faults over HTTP: only the root
// may arm, the injected error reaches a client, metrics count it.
func TestFaultsControlRoute(t *testing.T) {
	e, url := faultWorld(t)
	ctx := context.Background()
	cfg := rootConfig(url)
	iamc := iam.NewFromConfig(cfg)
	if _, err := iamc.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("alice")}); err != nil {
		t.Fatal(err)
	}
	key, err := iamc.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("alice")})
	if err != nil {
		t.Fatal(err)
	}
	alice := aws.Credentials{AccessKeyID: aws.ToString(key.AccessKey.AccessKeyId), SecretAccessKey: aws.ToString(key.AccessKey.SecretAccessKey)}
	root := aws.Credentials{AccessKeyID: "test", SecretAccessKey: "test"}
	do := func(creds *aws.Credentials, method, path, body string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(method, url+path, strings.NewReader(body))
		if creds != nil {
			if err := v4.NewSigner().SignHTTP(ctx, *creds, req, sha256Hex([]byte(body)), "greengrass", "us-east-1", time.Now()); err != nil {
				t.Fatal(err)
			}
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	arm := `{"service":"greengrass","operation":"ListGroups","times":1,"error":"ThrottlingException","message":"Rate exceeded"}`
	for _, tt := range []struct {
		name       string
		creds      *aws.Credentials
		method     string
		path, body string
		wantStatus int
		wantBody   string
	}{
		{"unsigned", nil, http.MethodPost, edge.FaultsPath, arm, 403, "MissingAuthenticationTokenException"},
		{"a user", &alice, http.MethodPost, edge.FaultsPath, arm, 403, "AccessDeniedException"},
		{"bad body", &root, http.MethodPost, edge.FaultsPath, `{"service":"greengrass","times":1}`, 400, "fault operation: required"},
		{"root arms", &root, http.MethodPost, edge.FaultsPath, arm, 200, `"id":"fault-1"`},
		{"root lists", &root, http.MethodGet, edge.FaultsPath, "", 200, `"operation":"ListGroups"`},
		{"unknown id", &root, http.MethodDelete, edge.FaultsPath + "/nope", "", 404, "ResourceNotFoundException"},
		{"bad method", &root, http.MethodPut, edge.FaultsPath, "", 405, "UnknownOperationException"},
	} {
		status, body := do(tt.creds, tt.method, tt.path, tt.body)
		if status != tt.wantStatus || !strings.Contains(body, tt.wantBody) {
			t.Errorf("%s: %s %s = %d %s, want %d containing %q", tt.name, tt.method, tt.path, status, body, tt.wantStatus, tt.wantBody)
		}
	}
	// A client without retries sees the injected error as AWS sends it.
	ggc := greengrass.NewFromConfig(cfg, func(o *greengrass.Options) { o.Retryer = aws.NopRetryer{} })
	_, err = ggc.ListGroups(ctx, &greengrass.ListGroupsInput{})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "ThrottlingException" || ae.ErrorMessage() != "Rate exceeded" {
		t.Fatalf("ListGroups = %v, want ThrottlingException: Rate exceeded", err)
	}
	if _, err := ggc.ListGroups(ctx, &greengrass.ListGroupsInput{}); err != nil {
		t.Fatalf("ListGroups after the fault is used up: %v", err)
	}
	_, body := do(&root, http.MethodGet, edge.FaultsPath, "")
	var list struct{ Faults []edge.Fault }
	if err := json.Unmarshal([]byte(body), &list); err != nil || len(list.Faults) != 1 || list.Faults[0].Injected != 1 {
		t.Errorf("GET %s = %s (%v), want one fault injected once", edge.FaultsPath, body, err)
	}
	if status, _ := do(&root, http.MethodDelete, edge.FaultsPath, ""); status != 204 || len(e.Faults().List()) != 0 {
		t.Errorf("DELETE %s = %d with %d faults left, want 204 and none", edge.FaultsPath, status, len(e.Faults().List()))
	}
	resp, err := http.Get(url + edge.MetricsPath)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	m, _ := io.ReadAll(resp.Body)
	if want := `tgsim_injected_faults_total{service="greengrass",operation="ListGroups",error="ThrottlingException"} 1`; !strings.Contains(string(m), want) {
		t.Errorf("metrics lack %q:\n%s", want, m)
	}
}

// TestFaultsIAMOff: with IAM off the edge asks the service's Describer for
// the operation only when a fault is armed.
func TestFaultsIAMOff(t *testing.T) {
	gg, err := ggfake.New(ggfake.Options{})
	if err != nil {
		t.Fatal(err)
	}
	e := edge.New(edge.Options{Services: map[string]http.Handler{"greengrass": gg}})
	srv := httptest.NewServer(e)
	defer srv.Close()
	if _, err := e.Faults().Add(edge.Fault{Service: "greengrass", Operation: "CreateGroup", Times: 1, As: "root"}); err != nil {
		t.Fatal(err)
	}
	ggc := greengrass.NewFromConfig(rootConfig(srv.URL), func(o *greengrass.Options) { o.Retryer = aws.NopRetryer{} })
	ctx := context.Background()
	if _, err := ggc.ListGroups(ctx, &greengrass.ListGroupsInput{}); err != nil {
		t.Fatalf("ListGroups: %v (the fault names CreateGroup)", err)
	}
	_, err = ggc.CreateGroup(ctx, &greengrass.CreateGroupInput{Name: aws.String("g")})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "ThrottlingException" {
		t.Fatalf("CreateGroup = %v, want ThrottlingException", err)
	}
	if _, err := ggc.CreateGroup(ctx, &greengrass.CreateGroupInput{Name: aws.String("g")}); err != nil {
		t.Fatalf("CreateGroup after the fault: %v", err)
	}
}

// FuzzFaultsRoute posts arbitrary bodies to the control route (IAM off):
// it never panics, answers 200 with an armed fault or 400 with a
// ValidationException, and an armed fault is valid.
func FuzzFaultsRoute(f *testing.F) {
	f.Add(`{"service":"greengrass","operation":"CreateDeployment","times":2}`)
	f.Add(`{"service":"s3","operation":"*","times":1,"status":503,"error":"SlowDown","as":"user/a"}`)
	f.Add(`{"service":"iot","operation":"ListThings","times":-1}`)
	f.Add(`{"service":"iot","times":1e99}`)
	f.Add(`not json`)
	f.Fuzz(func(t *testing.T, body string) {
		e := edge.New(edge.Options{Services: map[string]http.Handler{}})
		w := httptest.NewRecorder()
		e.ServeHTTP(w, httptest.NewRequest(http.MethodPost, edge.FaultsPath, strings.NewReader(body)))
		switch w.Code {
		case http.StatusOK:
			var got edge.Fault
			if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
				t.Fatalf("200 with body %q: %v", w.Body, err)
			}
			if got.Times < 1 || got.Error == "" || got.Status < 400 || got.Status > 599 || got.ID == "" || got.Remaining() != got.Times {
				t.Fatalf("armed an invalid fault %+v from %q", got, body)
			}
		case http.StatusBadRequest:
			if !strings.Contains(w.Body.String(), "ValidationException") {
				t.Fatalf("400 without ValidationException: %s", w.Body)
			}
		default:
			t.Fatalf("POST %q = %d %s, want 200 or 400", body, w.Code, w.Body)
		}
	})
}
