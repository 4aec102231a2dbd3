package thingsgraph_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/tgsim/tgsim/sim/thingsgraph"
)

// fakeIoT answers DescribeThing for any thing: AssociateEntityToThing's
// only AWS call.
func fakeIoT(t testing.TB) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:]
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"thingName":%q,"thingArn":"arn:aws:iot:us-east-1:000000000000:thing/%s"}`, name, name)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// storeOpts is a service on file path with a deterministic clock and ids.
func storeOpts(path, endpoint string) thingsgraph.Options {
	var clock, ids atomic.Int64
	return thingsgraph.Options{
		DataFile: path,
		Endpoint: endpoint,
		AWS: aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""),
			RetryMaxAttempts: 1},
		Now:   func() time.Time { return time.Unix(1764000000+clock.Add(1), 0).UTC() },
		NewID: func() string { return fmt.Sprintf("id-%d", ids.Add(1)) },
	}
}

func openStoreSvc(t testing.TB, path, endpoint string) *thingsgraph.Service {
	t.Helper()
	s, err := thingsgraph.New(storeOpts(path, endpoint))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// call runs one operation by name with a JSON body.
func call(t testing.TB, s *thingsgraph.Service, op string, body string) any {
	t.Helper()
	out, err := callErr(s, op, body)
	if err != nil {
		t.Fatalf("%s %s: %v", op, body, err)
	}
	return out
}

func callErr(s *thingsgraph.Service, op string, body string) (any, error) {
	ctx := context.Background()
	m := map[string]func(context.Context, []byte) (any, error){
		"UploadEntityDefinitions": s.UploadEntityDefinitions, "CreateFlowTemplate": s.CreateFlowTemplate,
		"UpdateFlowTemplate": s.UpdateFlowTemplate, "CreateSystemTemplate": s.CreateSystemTemplate,
		"DeprecateFlowTemplate": s.DeprecateFlowTemplate, "DeleteFlowTemplate": s.DeleteFlowTemplate,
		"CreateSystemInstance": s.CreateSystemInstance, "AssociateEntityToThing": s.AssociateEntityToThing,
		"TagResource": s.TagResource, "UntagResource": s.UntagResource, "ReportFlowExecutions": s.ReportFlowExecutions,
		"DescribeNamespace": s.DescribeNamespace, "GetEntities": s.GetEntities, "SearchEntities": s.SearchEntities,
		"GetFlowTemplate": s.GetFlowTemplate, "GetFlowTemplateRevisions": s.GetFlowTemplateRevisions,
		"SearchFlowTemplates": s.SearchFlowTemplates, "GetSystemTemplate": s.GetSystemTemplate,
		"SearchSystemTemplates": s.SearchSystemTemplates, "GetSystemInstance": s.GetSystemInstance,
		"SearchSystemInstances": s.SearchSystemInstances, "SearchThings": s.SearchThings,
		"ListTagsForResource": s.ListTagsForResource, "GetUploadStatus": s.GetUploadStatus,
		"SearchFlowExecutions": s.SearchFlowExecutions, "ListFlowExecutionMessages": s.ListFlowExecutionMessages,
		"GetNamespaceDeletionStatus": s.GetNamespaceDeletionStatus, "GetSystemTemplateRevisions": s.GetSystemTemplateRevisions,
	}
	f, ok := m[op]
	if !ok {
		return nil, fmt.Errorf("test: unknown op %s", op)
	}
	return f(ctx, []byte(body))
}

func jsonBody(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func docBody(text string) map[string]string {
	return map[string]string{"language": "GRAPHQL", "text": text}
}

func flowDoc(name string) string {
	return `{ query ` + name + `($lamp: String!) @workflowType(id: "` + ns + `:workflow:` + name + `") {
  steps { step(name: "T") { DeviceActivity(deviceModel: "` + ns + `:deviceModel:Lamp", deviceId: "${lamp}") { toggle } } } } }`
}

// populate builds a namespace with two versions, flows (one updated, one
// deleted), the Home system, thing associations, instances with tags and
// executions; it returns the instance ids.
func populate(t testing.TB, s *thingsgraph.Service, flows, instances int) []string {
	t.Helper()
	call(t, s, "UploadEntityDefinitions", jsonBody(map[string]any{"document": docBody(lampDoc)}))
	// A changed entity makes version 2.
	call(t, s, "UploadEntityDefinitions", jsonBody(map[string]any{"document": docBody(strings.Replace(lampDoc, "topic: \"$macro(${systemRuntime.deviceId}/toggle)\"", "topic: \"$macro(${systemRuntime.deviceId}/t2)\"", 1))}))
	// A failed (but accepted) upload.
	call(t, s, "UploadEntityDefinitions", jsonBody(map[string]any{"document": docBody(`{ type X @stateType(id: "urn:tdm:us-east-1/000000000000/default:state:X") { a: Nope @property(id: "urn:tdm:aws:property:Nope") } }`)}))
	call(t, s, "CreateFlowTemplate", jsonBody(map[string]any{"definition": docBody(blinkFlow)}))
	call(t, s, "UpdateFlowTemplate", jsonBody(map[string]any{"id": ns + ":workflow:Blink", "definition": docBody(blinkFlow), "compatibleNamespaceVersion": 1}))
	for i := 0; i < flows; i++ {
		call(t, s, "CreateFlowTemplate", jsonBody(map[string]any{"definition": docBody(flowDoc(fmt.Sprintf("F%04d", i)))}))
	}
	call(t, s, "CreateFlowTemplate", jsonBody(map[string]any{"definition": docBody(flowDoc("Gone"))}))
	call(t, s, "DeprecateFlowTemplate", jsonBody(map[string]any{"id": ns + ":workflow:Gone"}))
	call(t, s, "DeleteFlowTemplate", jsonBody(map[string]any{"id": ns + ":workflow:Gone"}))
	call(t, s, "DeprecateFlowTemplate", jsonBody(map[string]any{"id": ns + ":workflow:F0000"}))
	call(t, s, "CreateSystemTemplate", jsonBody(map[string]any{"definition": docBody(homeSystem)}))
	call(t, s, "AssociateEntityToThing", jsonBody(map[string]any{"thingName": "Lamp1", "entityId": ns + ":device:AcmeLamp"}))
	call(t, s, "AssociateEntityToThing", jsonBody(map[string]any{"thingName": "Lamp2", "entityId": ns + ":device:AcmeLamp"}))
	var ids []string
	for i := 0; i < instances; i++ {
		out := call(t, s, "CreateSystemInstance", jsonBody(map[string]any{"definition": docBody(deploymentDoc(fmt.Sprintf("Site%03d", i), "Lamp1")),
			"target": "GREENGRASS", "greengrassGroupName": "home", "s3BucketName": "bkt",
			"tags": []map[string]string{{"key": "site", "value": fmt.Sprint(i)}}}))
		summary := out.(map[string]any)["summary"].(map[string]any)
		ids = append(ids, summary["id"].(string))
		if i == 0 {
			arn := summary["arn"].(string)
			call(t, s, "TagResource", jsonBody(map[string]any{"resourceArn": arn, "tags": []map[string]string{{"key": "a", "value": "1"}, {"key": "b", "value": "2"}}}))
			call(t, s, "UntagResource", jsonBody(map[string]any{"resourceArn": arn, "tagKeys": []string{"b"}}))
			call(t, s, "ReportFlowExecutions", fmt.Sprintf(`{"executions":[{"flowExecutionId":"x1","systemInstanceId":"%s","flowTemplateId":"%s:workflow:Blink","status":"RUNNING","createdAt":1764000000.123,"updatedAt":1764000000.2,
  "messages":[{"messageId":"b","eventType":"STEP_STARTED","timestamp":1764000000.3,"payload":"{}"},{"messageId":"a","eventType":"EXECUTION_STARTED","timestamp":1764000000.124,"payload":"{}"}]},
  {"flowExecutionId":"x2","systemInstanceId":"%[1]s","status":"SUCCEEDED","createdAt":1764000100,"updatedAt":1764000101}]}`, ids[0], ns))
		}
	}
	return ids
}

// answers collects the read operations' JSON answers (errors as text).
func answers(t testing.TB, s *thingsgraph.Service, ids []string) map[string]string {
	t.Helper()
	reads := [][2]string{
		{"DescribeNamespace", `{}`},
		{"DescribeNamespace", `{"namespaceName":"aws"}`},
		{"GetEntities", jsonBody(map[string]any{"ids": []string{ns + ":device:AcmeLamp", ns + ":deviceModel:Lamp"}})},
		{"GetEntities", jsonBody(map[string]any{"ids": []string{ns + ":device:AcmeLamp"}, "namespaceVersion": 1})},
		{"SearchEntities", `{"entityTypes":["DEVICE","DEVICE_MODEL","CAPABILITY","STATE","ACTION","PROPERTY"]}`},
		{"SearchEntities", `{"entityTypes":["DEVICE","STATE"],"namespaceVersion":1}`},
		{"GetFlowTemplate", jsonBody(map[string]any{"id": ns + ":workflow:Blink"})},
		{"GetFlowTemplate", jsonBody(map[string]any{"id": ns + ":workflow:Blink", "revisionNumber": 1})},
		{"GetFlowTemplate", jsonBody(map[string]any{"id": ns + ":workflow:Gone"})},
		{"GetFlowTemplateRevisions", jsonBody(map[string]any{"id": ns + ":workflow:Blink"})},
		{"SearchFlowTemplates", `{"maxResults":250}`},
		{"GetSystemTemplate", jsonBody(map[string]any{"id": ns + ":system:Home"})},
		{"GetSystemTemplateRevisions", jsonBody(map[string]any{"id": ns + ":system:Home"})},
		{"SearchSystemTemplates", `{}`},
		{"SearchSystemInstances", `{"maxResults":100}`},
		{"SearchThings", jsonBody(map[string]any{"entityId": ns + ":device:AcmeLamp"})},
		{"GetUploadStatus", `{"uploadId":"id-1"}`},
		{"GetUploadStatus", `{"uploadId":"id-2"}`},
		{"GetUploadStatus", `{"uploadId":"id-3"}`},
		{"GetNamespaceDeletionStatus", `{}`},
	}
	for i, id := range ids {
		if i >= 3 {
			break
		}
		reads = append(reads, [2]string{"GetSystemInstance", jsonBody(map[string]any{"id": id})},
			[2]string{"SearchFlowExecutions", jsonBody(map[string]any{"systemInstanceId": id})})
	}
	reads = append(reads, [2]string{"ListFlowExecutionMessages", `{"flowExecutionId":"x1"}`})
	out := map[string]string{}
	for _, r := range reads {
		v, err := callErr(s, r[0], r[1])
		var got string
		if err != nil {
			got = "error: " + err.Error()
		} else {
			got = jsonBody(v)
		}
		out[r[0]+" "+r[1]] = got
	}
	if len(ids) > 0 {
		sum, _ := callErr(s, "GetSystemInstance", jsonBody(map[string]any{"id": ids[0]}))
		arn := sum.(map[string]any)["description"].(map[string]any)["summary"].(map[string]any)["arn"].(string)
		v, err := callErr(s, "ListTagsForResource", jsonBody(map[string]any{"resourceArn": arn}))
		out["ListTagsForResource"] = fmt.Sprint(jsonBody(v), err)
	}
	return out
}

func TestStoreReopen(t *testing.T) {
	iotURL := fakeIoT(t)
	tests := []struct {
		name             string
		flows, instances int
		after            func(t *testing.T, s *thingsgraph.Service)
	}{
		{name: "empty"},
		{name: "populated", flows: 3, instances: 3},
		{name: "public update", flows: 1, instances: 1, after: func(t *testing.T, s *thingsgraph.Service) {
			if _, err := s.UpdatePublicNamespace(`{ type Extra @propertyType(id: "urn:tdm:aws:property:Extra", dataType: STRING) {ignore:void} }`); err != nil {
				t.Fatal(err)
			}
			call(t, s, "UploadEntityDefinitions", `{"syncWithPublicNamespace":true}`)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "tg.db")
			s := openStoreSvc(t, path, iotURL)
			var ids []string
			if tt.flows > 0 || tt.instances > 0 {
				ids = populate(t, s, tt.flows, tt.instances)
			}
			if tt.after != nil {
				tt.after(t, s)
			}
			before := answers(t, s, ids)
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			fi, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode().Perm() != 0o600 {
				t.Errorf("file mode %v, want 0600", fi.Mode().Perm())
			}
			s2 := openStoreSvc(t, path, iotURL)
			defer s2.Close()
			after := answers(t, s2, ids)
			if !reflect.DeepEqual(before, after) {
				for k := range before {
					if before[k] != after[k] {
						t.Errorf("%s:\nbefore %s\nafter  %s", k, before[k], after[k])
					}
				}
			}
			// The reopened service keeps working: a new revision numbers on.
			if tt.flows > 0 {
				out := call(t, s2, "UpdateFlowTemplate", jsonBody(map[string]any{"id": ns + ":workflow:Blink", "definition": docBody(blinkFlow)}))
				if n := out.(map[string]any)["summary"].(map[string]any)["revisionNumber"]; n != int64(3) {
					t.Errorf("revision after reopen = %v, want 3", n)
				}
			}
		})
	}
}

func TestStoreRefusedRequestWritesNothing(t *testing.T) {
	iotURL := fakeIoT(t)
	path := filepath.Join(t.TempDir(), "tg.db")
	s := openStoreSvc(t, path, iotURL)
	populate(t, s, 1, 1)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s = openStoreSvc(t, path, iotURL)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(path); !bytes.Equal(got, want) {
		t.Fatalf("opening and closing changed the file")
	}
	tests := []struct{ name, op, body string }{
		{"unparsable TDM", "UploadEntityDefinitions", jsonBody(map[string]any{"document": docBody(`{ type oops`)})},
		{"invalid flow", "CreateFlowTemplate", jsonBody(map[string]any{"definition": docBody(flowDoc("X")[:40])})},
		{"duplicate flow", "CreateFlowTemplate", jsonBody(map[string]any{"definition": docBody(blinkFlow)})},
		{"unknown system", "CreateSystemInstance", jsonBody(map[string]any{"definition": docBody(strings.Replace(deploymentDoc("Z", "Lamp1"), "system:Home", "system:Nope", 1)), "target": "GREENGRASS", "greengrassGroupName": "g", "s3BucketName": "b"})},
		{"reserved tag", "TagResource", jsonBody(map[string]any{"resourceArn": "arn:aws:iotthingsgraph:us-east-1:000000000000:Deployment/default/Site000", "tags": []map[string]string{{"key": "aws:x", "value": "1"}}})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openStoreSvc(t, path, iotURL)
			if _, err := callErr(s, tt.op, tt.body); err == nil {
				t.Fatalf("%s succeeded, want refused", tt.op)
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			if got, _ := os.ReadFile(path); !bytes.Equal(got, want) {
				t.Fatalf("refused %s changed the file", tt.op)
			}
		})
	}
}

func TestStoreLocked(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tg.db")
	s := openStoreSvc(t, path, "")
	defer s.Close()
	start := time.Now()
	_, err := thingsgraph.New(storeOpts(path, ""))
	if err == nil {
		t.Fatal("second open succeeded, want a lock error")
	}
	if !strings.Contains(err.Error(), "locked") || !strings.Contains(err.Error(), path) {
		t.Errorf("error %q does not say the file is locked", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("second open took %v, want about 1s", d)
	}
}

func BenchmarkReopen(b *testing.B) {
	iotURL := fakeIoT(b)
	path := filepath.Join(b.TempDir(), "tg.db")
	s := openStoreSvc(b, path, iotURL)
	populate(b, s, 1000, 100)
	if err := s.Close(); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s, err := thingsgraph.New(storeOpts(path, iotURL))
		if err != nil {
			b.Fatal(err)
		}
		s.Close()
	}
}

func TestStoreFailedWriteLeavesMemoryAsDisk(t *testing.T) {
	iotURL := fakeIoT(t)
	path := filepath.Join(t.TempDir(), "tg.db")
	s := openStoreSvc(t, path, iotURL)
	defer s.Close()
	ids := populate(t, s, 1, 1)
	before := answers(t, s, ids)
	thingsgraph.SetStoreTestHook(func() error { return fmt.Errorf("disk full") })
	tests := []struct{ name, op, body string }{
		{"create flow", "CreateFlowTemplate", jsonBody(map[string]any{"definition": docBody(flowDoc("New"))})},
		{"update flow", "UpdateFlowTemplate", jsonBody(map[string]any{"id": ns + ":workflow:Blink", "definition": docBody(blinkFlow)})},
		{"upload", "UploadEntityDefinitions", jsonBody(map[string]any{"document": docBody(strings.ReplaceAll(lampDoc, "Lamp", "Bulb"))})},
		{"tag", "TagResource", jsonBody(map[string]any{"resourceArn": "arn:aws:iotthingsgraph:us-east-1:000000000000:default#Deployment#Site000", "tags": []map[string]string{{"key": "z", "value": "1"}}})},
		{"associate", "AssociateEntityToThing", jsonBody(map[string]any{"thingName": "Lamp3", "entityId": ns + ":device:AcmeLamp"})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := callErr(s, tt.op, tt.body)
			if err == nil || !strings.Contains(err.Error(), "InternalFailureException") {
				t.Fatalf("%s with a failing disk = %v, want InternalFailureException", tt.op, err)
			}
		})
	}
	thingsgraph.SetStoreTestHook(nil)
	if after := answers(t, s, ids); !reflect.DeepEqual(before, after) {
		t.Errorf("memory changed by failed writes")
	}
	// And the service still works.
	call(t, s, "CreateFlowTemplate", jsonBody(map[string]any{"definition": docBody(flowDoc("New"))}))
}

// TestStoreInterruptedDeploy: a crash between DeploySystemInstance's two
// commits leaves DEPLOY_IN_PROGRESS with no Greengrass deployment. After a
// restart the instance reads FAILED with the reason, not in progress for
// ever (which would refuse every later deploy with "wait until it
// settles").
func TestStoreInterruptedDeploy(t *testing.T) {
	iotURL := fakeIoT(t)
	path := filepath.Join(t.TempDir(), "tg.db")
	s := openStoreSvc(t, path, iotURL)
	ids := populate(t, s, 1, 1)
	if err := thingsgraph.InterruptDeployForTest(s, ids[0]); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s2 := openStoreSvc(t, path, iotURL)
	defer s2.Close()
	out := call(t, s2, "GetSystemInstance", jsonBody(map[string]any{"id": ids[0]}))
	desc := out.(map[string]any)["description"].(map[string]any)
	summary := desc["summary"].(map[string]any)
	if summary["status"] != "FAILED" {
		t.Errorf("status after an interrupted deploy = %v, want FAILED", summary["status"])
	}
	// The reason is stored: it survives another restart.
	if err := s2.Close(); err != nil {
		t.Fatal(err)
	}
	s3 := openStoreSvc(t, path, iotURL)
	defer s3.Close()
	out = call(t, s3, "GetSystemInstance", jsonBody(map[string]any{"id": ids[0]}))
	if got := out.(map[string]any)["description"].(map[string]any)["summary"].(map[string]any)["status"]; got != "FAILED" {
		t.Errorf("status after a second restart = %v, want FAILED", got)
	}
}
