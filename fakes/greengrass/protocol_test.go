package greengrass_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	ggsdk "github.com/aws/aws-sdk-go-v2/service/greengrass"

	"github.com/tgsim/tgsim/fakes/edge"
	"github.com/tgsim/tgsim/fakes/greengrass"
)

// TestProtocolEdges sends raw requests the SDK would never send.
func TestProtocolEdges(t *testing.T) {
	srv, _ := newServer(t, greengrass.Options{})

	tests := []struct {
		name        string
		method      string
		path        string
		body        string
		wantStatus  int
		wantCode    string
		wantMessage string // substring
	}{
		{"malformed JSON", "POST", "/greengrass/groups", "{\n  \"Name\": }", 400, "SerializationException", "line 2"},
		{"wrong member type", "POST", "/greengrass/groups", `{"Name": 7}`, 400, "SerializationException", "Name"},
		{"trailing data", "POST", "/greengrass/groups", `{"Name":"a"} {}`, 400, "SerializationException", "after the top-level value"},
		{"missing Name", "POST", "/greengrass/groups", `{}`, 400, greengrass.CodeBadRequest, "Name"},
		{"unknown path", "GET", "/greengrass/nothing-here", "", 404, greengrass.CodeUnknownOperation, "GET /greengrass/nothing-here"},
		{"wrong method", "PATCH", "/greengrass/groups", "", 404, greengrass.CodeUnknownOperation, "PATCH"},
		{"empty path label", "GET", "/greengrass/groups//versions", "", 404, greengrass.CodeUnknownOperation, ""},
		{"unimplemented operation", "GET", "/greengrass/things/core-1/runtimeconfig", "", 400, greengrass.CodeBadRequest, "GetThingRuntimeConfiguration"},
		{"bulk stop literal wins", "PUT", "/greengrass/bulk/deployments/b1/$stop", "", 400, greengrass.CodeBadRequest, "StopBulkDeployment"},
		{"missing required entry member", "POST", "/greengrass/definition/devices", `{"InitialVersion":{"Devices":[{"Id":"d"}]}}`, 400, greengrass.CodeBadRequest, "ThingArn is required"},
		{"missing required subscription members", "POST", "/greengrass/definition/subscriptions/x/versions", `{"Subscriptions":[{"Id":"s"}]}`, 400, greengrass.CodeBadRequest, "Source is required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, srv.URL+tt.path, strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatalf("%s %s: %v", tt.method, tt.path, err)
			}
			defer resp.Body.Close()
			raw, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.wantStatus {
				t.Errorf("status = %d, want %d (body %s)", resp.StatusCode, tt.wantStatus, raw)
			}
			if got := resp.Header.Get("X-Amzn-ErrorType"); got != tt.wantCode {
				t.Errorf("X-Amzn-ErrorType = %q, want %q", got, tt.wantCode)
			}
			if resp.Header.Get("X-Amzn-RequestId") == "" {
				t.Errorf("no X-Amzn-RequestId header")
			}
			var body struct {
				Type    string `json:"__type"`
				Message string
			}
			if err := json.Unmarshal(raw, &body); err != nil {
				t.Fatalf("error body %q is not JSON: %v", raw, err)
			}
			if body.Type != tt.wantCode || !strings.Contains(body.Message, tt.wantMessage) {
				t.Errorf("body = %+v, want __type %q and Message containing %q", body, tt.wantCode, tt.wantMessage)
			}
		})
	}
}

// TestBehindEdge serves the fake behind the shared edge: the region of the
// request's credential scope goes into ARNs.
func TestBehindEdge(t *testing.T) {
	svc, err := greengrass.New(greengrass.Options{})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	e := httptest.NewServer(edge.New(edge.Options{Services: map[string]http.Handler{"greengrass": svc}, AccountID: account}))
	t.Cleanup(e.Close)
	c := ggsdk.NewFromConfig(aws.Config{
		Region:      "eu-west-1",
		Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""),
	}, func(o *ggsdk.Options) { o.BaseEndpoint = aws.String(e.URL) })

	g, err := c.CreateGroup(context.Background(), &ggsdk.CreateGroupInput{Name: aws.String("g")})
	if err != nil {
		t.Fatalf("CreateGroup via edge: %v", err)
	}
	want := "arn:aws:greengrass:eu-west-1:" + account + ":/greengrass/groups/"
	if !strings.HasPrefix(aws.ToString(g.Arn), want) {
		t.Errorf("Arn = %q, want prefix %q", aws.ToString(g.Arn), want)
	}
}
