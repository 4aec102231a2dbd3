package greengrass_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ggsdk "github.com/aws/aws-sdk-go-v2/service/greengrass"
	ggtypes "github.com/aws/aws-sdk-go-v2/service/greengrass/types"

	"github.com/tgsim/tgsim/fakes/greengrass"
)

func pollNext(t *testing.T, base, groupID, after, wait string) (int, map[string]string) {
	t.Helper()
	resp, err := http.Get(base + greengrass.CoreChannelPrefix + "groups/" + groupID + "/deployments/next?after=" + after + "&wait=" + wait)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]string
	if resp.StatusCode == http.StatusOK {
		if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
			t.Fatal(err)
		}
	}
	return resp.StatusCode, body
}

func TestCoreChannel(t *testing.T) {
	ctx := context.Background()
	srv, c := newServer(t, greengrass.Options{})
	f := mustCreateGroup(t, ctx, c)

	// No deployment yet: a short wait ends with 204.
	if code, _ := pollNext(t, srv.URL, f.groupID, "", "50ms"); code != http.StatusNoContent {
		t.Fatalf("next with no deployment = %d, want 204", code)
	}

	// A poll that is waiting wakes up when a deployment is created.
	type result struct {
		code int
		body map[string]string
	}
	got := make(chan result, 1)
	go func() {
		code, body := pollNext(t, srv.URL, f.groupID, "", "10s")
		got <- result{code, body}
	}()
	time.Sleep(50 * time.Millisecond) // let the poll start waiting; correctness does not depend on it
	dep, err := c.CreateDeployment(ctx, &ggsdk.CreateDeploymentInput{GroupId: &f.groupID, GroupVersionId: &f.groupVersionID, DeploymentType: ggtypes.DeploymentTypeNewDeployment})
	if err != nil {
		t.Fatal(err)
	}
	var r result
	select {
	case r = <-got:
	case <-time.After(5 * time.Second):
		t.Fatal("waiting poll did not return after CreateDeployment")
	}
	if r.code != http.StatusOK || r.body["DeploymentId"] != aws.ToString(dep.DeploymentId) || r.body["GroupVersionId"] != f.groupVersionID {
		t.Fatalf("next = %d %v, want 200 with deployment %s", r.code, r.body, aws.ToString(dep.DeploymentId))
	}
	// After that deployment, nothing new.
	if code, _ := pollNext(t, srv.URL, f.groupID, aws.ToString(dep.DeploymentId), "50ms"); code != http.StatusNoContent {
		t.Fatalf("next after the newest = %d, want 204", code)
	}

	// The core reports; GetDeploymentStatus shows it.
	post := func(body string) int {
		resp, err := http.Post(srv.URL+greengrass.CoreChannelPrefix+"groups/"+f.groupID+"/deployments/"+aws.ToString(dep.DeploymentId)+"/status", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := post(`{"Status":"Failure","ErrorMessage":"function X missing"}`); code != http.StatusOK {
		t.Fatalf("report status = %d, want 200", code)
	}
	st, err := c.GetDeploymentStatus(ctx, &ggsdk.GetDeploymentStatusInput{GroupId: &f.groupID, DeploymentId: dep.DeploymentId})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(st.DeploymentStatus) != "Failure" || !strings.Contains(aws.ToString(st.ErrorMessage), "function X missing") {
		t.Errorf("GetDeploymentStatus = %s %q, want Failure with the core's message", aws.ToString(st.DeploymentStatus), aws.ToString(st.ErrorMessage))
	}
	if code := post(`{"Status":"Exploded"}`); code != http.StatusBadRequest {
		t.Errorf("report bad status = %d, want 400", code)
	}
	if code, _ := pollNext(t, srv.URL, "no-such-group", "", "10ms"); code != http.StatusNotFound {
		t.Errorf("next for unknown group = %d, want 404", code)
	}
}
