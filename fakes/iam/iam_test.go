package iam_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	iamsdk "github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"

	"github.com/tgsim/tgsim/fakes/iam"
)

const trust = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"iotthingsgraph.amazonaws.com"},"Action":"sts:AssumeRole"}]}`

var epoch = time.Date(2019, 3, 3, 20, 33, 9, 0, time.UTC)

func setup(t *testing.T) (*iam.Server, *iamsdk.Client, *sts.Client) {
	t.Helper()
	n := 0
	var mu sync.Mutex
	srv, err := iam.NewServer(iam.Options{
		AccountID: "123456789012",
		Now:       func() time.Time { return epoch },
		NewID: func() string {
			mu.Lock()
			defer mu.Unlock()
			n++
			return fmt.Sprintf("EXAMPLE%010d", n)
		},
	})
	if err != nil {
		t.Fatalf("NewServer: %v", err)
	}
	t.Cleanup(srv.Close)
	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("test", "test", "")}
	ic := iamsdk.NewFromConfig(cfg, func(o *iamsdk.Options) { o.BaseEndpoint = aws.String(srv.URL) })
	sc := sts.NewFromConfig(cfg, func(o *sts.Options) { o.BaseEndpoint = aws.String(srv.URL) })
	return srv, ic, sc
}

func TestGetCallerIdentity(t *testing.T) {
	_, _, sc := setup(t)
	out, err := sc.GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatalf("GetCallerIdentity: %v", err)
	}
	got := []string{aws.ToString(out.Account), aws.ToString(out.Arn), aws.ToString(out.UserId)}
	want := []string{"123456789012", "arn:aws:iam::123456789012:root", "123456789012"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("GetCallerIdentity (-want +got):\n%s", diff)
	}
}

func TestGetUserIsCaller(t *testing.T) {
	ctx := context.Background()
	_, ic, _ := setup(t)
	out, err := ic.GetUser(ctx, &iamsdk.GetUserInput{})
	if err != nil {
		t.Fatalf("GetUser: %v", err)
	}
	if aws.ToString(out.User.Arn) != "arn:aws:iam::123456789012:root" || aws.ToString(out.User.UserId) != "123456789012" || !aws.ToTime(out.User.CreateDate).Equal(epoch) {
		t.Errorf("GetUser = %+v", out.User)
	}
	var nse *iamtypes.NoSuchEntityException
	if _, err := ic.GetUser(ctx, &iamsdk.GetUserInput{UserName: aws.String("alice")}); !errors.As(err, &nse) {
		t.Errorf("GetUser(alice) = %v, want NoSuchEntityException", err)
	}
}

func TestRoles(t *testing.T) {
	ctx := context.Background()
	_, ic, _ := setup(t)
	out, err := ic.CreateRole(ctx, &iamsdk.CreateRoleInput{
		RoleName: aws.String("TGFlowRole"), AssumeRolePolicyDocument: aws.String(trust),
		Path: aws.String("/service-role/"), Description: aws.String("flow actions"),
		Tags: []iamtypes.Tag{{Key: aws.String("app"), Value: aws.String("tgsim")}},
	})
	if err != nil {
		t.Fatalf("CreateRole: %v", err)
	}
	r := out.Role
	if got, want := aws.ToString(r.Arn), "arn:aws:iam::123456789012:role/service-role/TGFlowRole"; got != want {
		t.Errorf("Arn = %q, want %q", got, want)
	}
	if got, want := aws.ToString(r.RoleId), "AROAEXAMPLE0000000001"; got != want {
		t.Errorf("RoleId = %q, want %q", got, want)
	}
	// IAM answers policy documents URL-encoded.
	if doc, err := url.QueryUnescape(aws.ToString(r.AssumeRolePolicyDocument)); err != nil || doc != trust {
		t.Errorf("AssumeRolePolicyDocument decodes to %q (%v), want %q", doc, err, trust)
	}

	got, err := ic.GetRole(ctx, &iamsdk.GetRoleInput{RoleName: aws.String("tgflowrole")})
	if err != nil {
		t.Fatalf("GetRole (other case): %v", err)
	}
	g := got.Role
	type view struct {
		Name, Path, Desc string
		Created          time.Time
		MaxSession       int32
		Tags             map[string]string
	}
	tags := map[string]string{}
	for _, tg := range g.Tags {
		tags[aws.ToString(tg.Key)] = aws.ToString(tg.Value)
	}
	wantView := view{"TGFlowRole", "/service-role/", "flow actions", epoch, 3600, map[string]string{"app": "tgsim"}}
	if diff := cmp.Diff(wantView, view{aws.ToString(g.RoleName), aws.ToString(g.Path), aws.ToString(g.Description), aws.ToTime(g.CreateDate), aws.ToInt32(g.MaxSessionDuration), tags}); diff != "" {
		t.Errorf("GetRole (-want +got):\n%s", diff)
	}

	for _, name := range []string{"b-role", "a-role", "c-role"} {
		if _, err := ic.CreateRole(ctx, &iamsdk.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(trust)}); err != nil {
			t.Fatalf("CreateRole(%s): %v", name, err)
		}
	}
	var names []string
	pages := 0
	p := iamsdk.NewListRolesPaginator(ic, &iamsdk.ListRolesInput{MaxItems: aws.Int32(3)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatalf("ListRoles: %v", err)
		}
		pages++
		for _, r := range page.Roles {
			names = append(names, aws.ToString(r.RoleName))
		}
	}
	if diff := cmp.Diff([]string{"a-role", "b-role", "c-role", "TGFlowRole"}, names); diff != "" || pages != 2 {
		t.Errorf("ListRoles in %d pages (-want +got):\n%s", pages, diff)
	}
	sr, err := ic.ListRoles(ctx, &iamsdk.ListRolesInput{PathPrefix: aws.String("/service-role/")})
	if err != nil || len(sr.Roles) != 1 {
		t.Errorf("ListRoles(/service-role/) = %d roles, %v; want 1", len(sr.Roles), err)
	}

	if _, err := ic.DeleteRole(ctx, &iamsdk.DeleteRoleInput{RoleName: aws.String("a-role")}); err != nil {
		t.Fatalf("DeleteRole: %v", err)
	}
	var nse *iamtypes.NoSuchEntityException
	_, err = ic.GetRole(ctx, &iamsdk.GetRoleInput{RoleName: aws.String("a-role")})
	if !errors.As(err, &nse) || aws.ToString(nse.Message) != "The role with name a-role cannot be found." {
		t.Errorf("GetRole after DeleteRole = %v, want NoSuchEntity", err)
	}
}

func TestRoleErrors(t *testing.T) {
	ctx := context.Background()
	_, ic, _ := setup(t)
	if _, err := ic.CreateRole(ctx, &iamsdk.CreateRoleInput{RoleName: aws.String("Existing"), AssumeRolePolicyDocument: aws.String(trust)}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		call     func() error
		wantCode string
	}{
		{"CreateRole same name other case", func() error {
			_, err := ic.CreateRole(ctx, &iamsdk.CreateRoleInput{RoleName: aws.String("EXISTING"), AssumeRolePolicyDocument: aws.String(trust)})
			return err
		}, "EntityAlreadyExists"},
		{"CreateRole policy not JSON", func() error {
			_, err := ic.CreateRole(ctx, &iamsdk.CreateRoleInput{RoleName: aws.String("r1"), AssumeRolePolicyDocument: aws.String("{not json")})
			return err
		}, "MalformedPolicyDocument"},
		{"CreateRole policy JSON array", func() error {
			_, err := ic.CreateRole(ctx, &iamsdk.CreateRoleInput{RoleName: aws.String("r1"), AssumeRolePolicyDocument: aws.String("[]")})
			return err
		}, "MalformedPolicyDocument"},
		{"CreateRole bad name", func() error {
			_, err := ic.CreateRole(ctx, &iamsdk.CreateRoleInput{RoleName: aws.String("has space"), AssumeRolePolicyDocument: aws.String(trust)})
			return err
		}, "ValidationError"},
		{"CreateRole name too long", func() error {
			_, err := ic.CreateRole(ctx, &iamsdk.CreateRoleInput{RoleName: aws.String(strings.Repeat("r", 65)), AssumeRolePolicyDocument: aws.String(trust)})
			return err
		}, "ValidationError"},
		{"CreateRole bad path", func() error {
			_, err := ic.CreateRole(ctx, &iamsdk.CreateRoleInput{RoleName: aws.String("r2"), Path: aws.String("no-slashes"), AssumeRolePolicyDocument: aws.String(trust)})
			return err
		}, "ValidationError"},
		{"CreateRole session too long", func() error {
			_, err := ic.CreateRole(ctx, &iamsdk.CreateRoleInput{RoleName: aws.String("r3"), MaxSessionDuration: aws.Int32(50000), AssumeRolePolicyDocument: aws.String(trust)})
			return err
		}, "ValidationError"},
		{"GetRole missing", func() error {
			_, err := ic.GetRole(ctx, &iamsdk.GetRoleInput{RoleName: aws.String("nope")})
			return err
		}, "NoSuchEntity"},
		{"DeleteRole missing", func() error {
			_, err := ic.DeleteRole(ctx, &iamsdk.DeleteRoleInput{RoleName: aws.String("nope")})
			return err
		}, "NoSuchEntity"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ae smithy.APIError
			if err := tt.call(); !errors.As(err, &ae) || ae.ErrorCode() != tt.wantCode {
				t.Errorf("error = %v, want %s", err, tt.wantCode)
			}
		})
	}
	// The typed exceptions the SDK knows.
	var exists *iamtypes.EntityAlreadyExistsException
	if _, err := ic.CreateRole(ctx, &iamsdk.CreateRoleInput{RoleName: aws.String("Existing"), AssumeRolePolicyDocument: aws.String(trust)}); !errors.As(err, &exists) {
		t.Errorf("CreateRole duplicate = %v, want EntityAlreadyExistsException", err)
	}
	var malformed *iamtypes.MalformedPolicyDocumentException
	if _, err := ic.CreateRole(ctx, &iamsdk.CreateRoleInput{RoleName: aws.String("x"), AssumeRolePolicyDocument: aws.String("nope")}); !errors.As(err, &malformed) {
		t.Errorf("CreateRole bad policy = %v, want MalformedPolicyDocumentException", err)
	}
}

// signedForm posts a form to srv signed-looking for service svc (the
// credential scope is all the router reads).
func signedForm(t *testing.T, srv *iam.Server, svc, method string, form url.Values) (int, string) {
	t.Helper()
	var req *http.Request
	if method == http.MethodGet {
		req, _ = http.NewRequest(method, srv.URL+"/?"+form.Encode(), nil)
	} else {
		req, _ = http.NewRequest(method, srv.URL+"/", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if svc != "" {
		req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=test/20190303/us-east-1/"+svc+"/aws4_request, SignedHeaders=host, Signature=00")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestQueryProtocol(t *testing.T) {
	srv, _, _ := setup(t)
	tests := []struct {
		name, svc, method string
		form              url.Values
		wantStatus        int
		wantBody          []string
	}{
		{name: "unknown action", svc: "iam", method: "POST", form: url.Values{"Action": {"Frobnicate"}, "Version": {"2010-05-08"}},
			wantStatus: 400, wantBody: []string{"<Code>InvalidAction</Code>", "Could not find operation Frobnicate for version 2010-05-08", "<Type>Sender</Type>", "<RequestId>"}},
		{name: "missing action", svc: "iam", method: "POST", form: url.Values{"Version": {"2010-05-08"}},
			wantStatus: 400, wantBody: []string{"<Code>MissingAction</Code>"}},
		{name: "wrong version", svc: "iam", method: "POST", form: url.Values{"Action": {"GetUser"}, "Version": {"2011-06-15"}},
			wantStatus: 400, wantBody: []string{"Could not find operation GetUser for version 2011-06-15"}},
		{name: "STS action on IAM", svc: "iam", method: "POST", form: url.Values{"Action": {"GetCallerIdentity"}, "Version": {"2010-05-08"}},
			wantStatus: 400, wantBody: []string{"<Code>InvalidAction</Code>"}},
		{name: "GET query", svc: "sts", method: "GET", form: url.Values{"Action": {"GetCallerIdentity"}, "Version": {"2011-06-15"}},
			wantStatus: 200, wantBody: []string{`<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">`, "<GetCallerIdentityResult>", "<Account>123456789012</Account>", "<ResponseMetadata><RequestId>"}},
		{name: "IAM namespace", svc: "iam", method: "POST", form: url.Values{"Action": {"GetUser"}, "Version": {"2010-05-08"}},
			wantStatus: 200, wantBody: []string{`<GetUserResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">`, "<CreateDate>2019-03-03T20:33:09Z</CreateDate>"}},
		{name: "missing required parameter", svc: "iam", method: "POST", form: url.Values{"Action": {"GetRole"}, "Version": {"2010-05-08"}},
			wantStatus: 400, wantBody: []string{"<Code>ValidationError</Code>", "Value null at &#39;roleName&#39;"}},
		{name: "unsigned", svc: "", method: "POST", form: url.Values{"Action": {"GetUser"}},
			wantStatus: 403, wantBody: []string{"<Code>MissingAuthenticationToken</Code>"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := signedForm(t, srv, tt.svc, tt.method, tt.form)
			if status != tt.wantStatus {
				t.Errorf("status = %d, want %d; body %s", status, tt.wantStatus, body)
			}
			for _, w := range tt.wantBody {
				if !strings.Contains(body, w) {
					t.Errorf("body lacks %q:\n%s", w, body)
				}
			}
		})
	}
}
