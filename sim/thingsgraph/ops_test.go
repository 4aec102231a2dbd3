package thingsgraph_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awsv1 "github.com/aws/aws-sdk-go/aws"
	tgsdk "github.com/aws/aws-sdk-go/service/iotthingsgraph"
	"github.com/google/go-cmp/cmp"

	"github.com/tgsim/tgsim/sim/thingsgraph"
)

// pager is one paginated operation: a page of ids and the next token.
type pager func(maxResults int64, token *string) ([]string, *string, error)

// walk reads every page with the given page size, checking that asking
// for a page again returns the same token.
func walk(t *testing.T, p pager, size int64) []string {
	t.Helper()
	var all []string
	var token *string
	for i := 0; i < 1000; i++ {
		ids, next, err := p(size, token)
		if err != nil {
			t.Fatalf("page %d (maxResults %d): %v", i, size, err)
		}
		if int64(len(ids)) > size {
			t.Fatalf("page %d has %d items, maxResults %d", i, len(ids), size)
		}
		_, again, err := p(size, token)
		if err != nil || awsv1.StringValue(again) != awsv1.StringValue(next) {
			t.Fatalf("page %d asked twice: token %q then %q (%v); want stable tokens", i, awsv1.StringValue(next), awsv1.StringValue(again), err)
		}
		all = append(all, ids...)
		if awsv1.StringValue(next) == "" {
			return all
		}
		token = next
	}
	t.Fatal("pagination does not end")
	return nil
}

// checkPaging walks p with page sizes 1..3 against want (the one-page
// result), and checks that foreign's first token is refused by p.
func checkPaging(t *testing.T, name string, p, foreign pager, want []string) {
	t.Helper()
	t.Run(name, func(t *testing.T) {
		if len(want) < 4 {
			t.Fatalf("%s: only %d results; the test needs more than 3", name, len(want))
		}
		for size := int64(1); size <= 3; size++ {
			if diff := cmp.Diff(want, walk(t, p, size)); diff != "" {
				t.Errorf("%s with maxResults %d (-want +got):\n%s", name, size, diff)
			}
		}
		_, tok, err := foreign(1, nil)
		if err != nil || tok == nil {
			t.Fatalf("foreign query: token %v, %v", tok, err)
		}
		if _, _, err := p(1, tok); code(err) != "InvalidRequestException" || !strings.Contains(err.Error(), "nextToken") {
			t.Errorf("%s with a token of another query = %v, want InvalidRequestException naming nextToken", name, err)
		}
		if _, _, err := p(1, awsv1.String("garbage")); code(err) != "InvalidRequestException" {
			t.Errorf("%s with a garbage token = %v, want InvalidRequestException", name, err)
		}
	})
}

func TestPagination(t *testing.T) {
	w, _ := lampWorld(t)
	ctx := context.Background()
	tg := w.tg
	w.upload(propertiesDoc("P1", "P2", "P3", "P4", "P5"))
	// Flow revisions and more flows.
	for i := 0; i < 4; i++ {
		if _, err := tg.UpdateFlowTemplateWithContext(ctx, &tgsdk.UpdateFlowTemplateInput{Id: awsv1.String(ns + ":workflow:Blink"), Definition: doc(blinkFlow)}); err != nil {
			t.Fatal(err)
		}
		f := strings.ReplaceAll(blinkFlow, "Blink", fmt.Sprintf("Blink%d", i))
		if _, err := tg.CreateFlowTemplateWithContext(ctx, &tgsdk.CreateFlowTemplateInput{Definition: doc(f)}); err != nil {
			t.Fatal(err)
		}
		s := strings.ReplaceAll(homeSystem, "Home", fmt.Sprintf("Home%d", i))
		if _, err := tg.CreateSystemTemplateWithContext(ctx, &tgsdk.CreateSystemTemplateInput{Definition: doc(s)}); err != nil {
			t.Fatal(err)
		}
		if _, err := tg.UpdateSystemTemplateWithContext(ctx, &tgsdk.UpdateSystemTemplateInput{Id: awsv1.String(ns + ":system:Home"), Definition: doc(homeSystem)}); err != nil {
			t.Fatal(err)
		}
		thing := fmt.Sprintf("L%d", i)
		w.thing(thing)
		if _, err := tg.AssociateEntityToThingWithContext(ctx, &tgsdk.AssociateEntityToThingInput{ThingName: awsv1.String(thing), EntityId: awsv1.String(ns + ":device:AcmeLamp")}); err != nil {
			t.Fatal(err)
		}
		w.instance(fmt.Sprintf("S%d", i), thing)
	}
	inst := ns + ":deployment:S0"
	arn := "arn:aws:iotthingsgraph:us-east-1:000000000000:default#Deployment#S0"
	var tags []*tgsdk.Tag
	for i := 0; i < 5; i++ {
		tags = append(tags, &tgsdk.Tag{Key: awsv1.String(fmt.Sprintf("k%d", i)), Value: awsv1.String("v")})
	}
	if _, err := tg.TagResourceWithContext(ctx, &tgsdk.TagResourceInput{ResourceArn: awsv1.String(arn), Tags: tags}); err != nil {
		t.Fatal(err)
	}
	report(t, w, fmt.Sprintf(`{"executions":[
	  {"flowExecutionId":"e1","systemInstanceId":"%[1]s","flowTemplateId":"%[2]s","status":"SUCCEEDED","createdAt":1764000001,"updatedAt":1764000002,"messages":[
	    {"messageId":"m1","eventType":"EXECUTION_STARTED","timestamp":1764000001.1,"payload":"{}"},
	    {"messageId":"m2","eventType":"STEP_STARTED","timestamp":1764000001.2,"payload":"{}"},
	    {"messageId":"m3","eventType":"STEP_SUCCEEDED","timestamp":1764000001.3,"payload":"{}"},
	    {"messageId":"m4","eventType":"EXECUTION_SUCCEEDED","timestamp":1764000001.4,"payload":"{}"}]},
	  {"flowExecutionId":"e2","systemInstanceId":"%[1]s","status":"RUNNING","createdAt":1764000003,"updatedAt":1764000003},
	  {"flowExecutionId":"e3","systemInstanceId":"%[1]s","status":"RUNNING","createdAt":1764000004,"updatedAt":1764000004},
	  {"flowExecutionId":"e4","systemInstanceId":"%[1]s","status":"FAILED","createdAt":1764000005,"updatedAt":1764000006}]}`, inst, ns+":workflow:Blink"))

	types := []*string{awsv1.String("PROPERTY")}
	entities := func(mr int64, tok *string) ([]string, *string, error) {
		out, err := tg.SearchEntitiesWithContext(ctx, &tgsdk.SearchEntitiesInput{EntityTypes: types, NextToken: tok, MaxResults: awsv1.Int64(mr),
			Filters: []*tgsdk.EntityFilter{{Name: awsv1.String("NAMESPACE"), Value: []*string{awsv1.String("us-east-1/000000000000/default")}}}})
		if err != nil {
			return nil, nil, err
		}
		var ids []string
		for _, d := range out.Descriptions {
			ids = append(ids, awsv1.StringValue(d.Id))
		}
		return ids, out.NextToken, nil
	}
	allEntities := func(mr int64, tok *string) ([]string, *string, error) {
		out, err := tg.SearchEntitiesWithContext(ctx, &tgsdk.SearchEntitiesInput{EntityTypes: types, NextToken: tok, MaxResults: awsv1.Int64(mr)})
		if err != nil {
			return nil, nil, err
		}
		return nil, out.NextToken, nil
	}
	flowRevs := func(id string) pager {
		return func(mr int64, tok *string) ([]string, *string, error) {
			out, err := tg.GetFlowTemplateRevisionsWithContext(ctx, &tgsdk.GetFlowTemplateRevisionsInput{Id: awsv1.String(id), NextToken: tok, MaxResults: awsv1.Int64(mr)})
			if err != nil {
				return nil, nil, err
			}
			var ids []string
			for _, s := range out.Summaries {
				ids = append(ids, fmt.Sprint(awsv1.Int64Value(s.RevisionNumber)))
			}
			return ids, out.NextToken, nil
		}
	}
	sysRevs := func(mr int64, tok *string) ([]string, *string, error) {
		out, err := tg.GetSystemTemplateRevisionsWithContext(ctx, &tgsdk.GetSystemTemplateRevisionsInput{Id: awsv1.String(ns + ":system:Home"), NextToken: tok, MaxResults: awsv1.Int64(mr)})
		if err != nil {
			return nil, nil, err
		}
		var ids []string
		for _, s := range out.Summaries {
			ids = append(ids, fmt.Sprint(awsv1.Int64Value(s.RevisionNumber)))
		}
		return ids, out.NextToken, nil
	}
	flows := func(mr int64, tok *string) ([]string, *string, error) {
		out, err := tg.SearchFlowTemplatesWithContext(ctx, &tgsdk.SearchFlowTemplatesInput{NextToken: tok, MaxResults: awsv1.Int64(mr)})
		if err != nil {
			return nil, nil, err
		}
		var ids []string
		for _, s := range out.Summaries {
			ids = append(ids, awsv1.StringValue(s.Id))
		}
		return ids, out.NextToken, nil
	}
	systems := func(mr int64, tok *string) ([]string, *string, error) {
		out, err := tg.SearchSystemTemplatesWithContext(ctx, &tgsdk.SearchSystemTemplatesInput{NextToken: tok, MaxResults: awsv1.Int64(mr)})
		if err != nil {
			return nil, nil, err
		}
		var ids []string
		for _, s := range out.Summaries {
			ids = append(ids, awsv1.StringValue(s.Id))
		}
		return ids, out.NextToken, nil
	}
	instances := func(mr int64, tok *string) ([]string, *string, error) {
		out, err := tg.SearchSystemInstancesWithContext(ctx, &tgsdk.SearchSystemInstancesInput{NextToken: tok, MaxResults: awsv1.Int64(mr)})
		if err != nil {
			return nil, nil, err
		}
		var ids []string
		for _, s := range out.Summaries {
			ids = append(ids, awsv1.StringValue(s.Id))
		}
		return ids, out.NextToken, nil
	}
	things := func(mr int64, tok *string) ([]string, *string, error) {
		out, err := tg.SearchThingsWithContext(ctx, &tgsdk.SearchThingsInput{EntityId: awsv1.String(ns + ":deviceModel:Lamp"), NextToken: tok, MaxResults: awsv1.Int64(mr)})
		if err != nil {
			return nil, nil, err
		}
		var ids []string
		for _, s := range out.Things {
			ids = append(ids, awsv1.StringValue(s.ThingName))
		}
		return ids, out.NextToken, nil
	}
	tagsPager := func(mr int64, tok *string) ([]string, *string, error) {
		out, err := tg.ListTagsForResourceWithContext(ctx, &tgsdk.ListTagsForResourceInput{ResourceArn: awsv1.String(arn), NextToken: tok, MaxResults: awsv1.Int64(mr)})
		if err != nil {
			return nil, nil, err
		}
		var ids []string
		for _, s := range out.Tags {
			ids = append(ids, awsv1.StringValue(s.Key))
		}
		return ids, out.NextToken, nil
	}
	execs := func(mr int64, tok *string) ([]string, *string, error) {
		out, err := tg.SearchFlowExecutionsWithContext(ctx, &tgsdk.SearchFlowExecutionsInput{SystemInstanceId: awsv1.String(inst), NextToken: tok, MaxResults: awsv1.Int64(mr)})
		if err != nil {
			return nil, nil, err
		}
		var ids []string
		for _, s := range out.Summaries {
			ids = append(ids, awsv1.StringValue(s.FlowExecutionId))
		}
		return ids, out.NextToken, nil
	}
	msgs := func(mr int64, tok *string) ([]string, *string, error) {
		out, err := tg.ListFlowExecutionMessagesWithContext(ctx, &tgsdk.ListFlowExecutionMessagesInput{FlowExecutionId: awsv1.String("e1"), NextToken: tok, MaxResults: awsv1.Int64(mr)})
		if err != nil {
			return nil, nil, err
		}
		var ids []string
		for _, s := range out.Messages {
			ids = append(ids, awsv1.StringValue(s.MessageId))
		}
		return ids, out.NextToken, nil
	}
	for _, tt := range []struct {
		name    string
		filters []*tgsdk.SystemInstanceFilter
		want    int
	}{
		{"STATUS NOT_DEPLOYED", []*tgsdk.SystemInstanceFilter{{Name: awsv1.String("STATUS"), Value: awsv1.StringSlice([]string{"NOT_DEPLOYED"})}}, 4},
		{"STATUS DEPLOYED_IN_TARGET or FAILED", []*tgsdk.SystemInstanceFilter{{Name: awsv1.String("STATUS"), Value: awsv1.StringSlice([]string{"DEPLOYED_IN_TARGET", "FAILED"})}}, 0},
		{"group and system", []*tgsdk.SystemInstanceFilter{{Name: awsv1.String("GREENGRASS_GROUP_NAME"), Value: awsv1.StringSlice([]string{"home"})},
			{Name: awsv1.String("SYSTEM_TEMPLATE_ID"), Value: awsv1.StringSlice([]string{ns + ":system:Home"})}}, 4},
		{"other group", []*tgsdk.SystemInstanceFilter{{Name: awsv1.String("GREENGRASS_GROUP_NAME"), Value: awsv1.StringSlice([]string{"away"})}}, 0},
		{"other system", []*tgsdk.SystemInstanceFilter{{Name: awsv1.String("SYSTEM_TEMPLATE_ID"), Value: awsv1.StringSlice([]string{ns + ":system:Home0"})}}, 0},
	} {
		out, err := tg.SearchSystemInstancesWithContext(ctx, &tgsdk.SearchSystemInstancesInput{Filters: tt.filters})
		if err != nil || len(out.Summaries) != tt.want {
			t.Errorf("SearchSystemInstances(%s) = %d summaries, %v; want %d", tt.name, len(out.Summaries), err, tt.want)
		}
	}
	checkPaging(t, "SearchEntities", entities, allEntities, []string{ns + ":property:P1", ns + ":property:P2", ns + ":property:P3", ns + ":property:P4", ns + ":property:P5"})
	checkPaging(t, "GetFlowTemplateRevisions", flowRevs(ns+":workflow:Blink"), flows, []string{"5", "4", "3", "2", "1"})
	checkPaging(t, "GetSystemTemplateRevisions", sysRevs, flowRevs(ns+":workflow:Blink"), []string{"5", "4", "3", "2", "1"})
	checkPaging(t, "SearchFlowTemplates", flows, systems, []string{ns + ":workflow:Blink", ns + ":workflow:Blink0", ns + ":workflow:Blink1", ns + ":workflow:Blink2", ns + ":workflow:Blink3"})
	checkPaging(t, "SearchSystemTemplates", systems, flows, []string{ns + ":system:Home", ns + ":system:Home0", ns + ":system:Home1", ns + ":system:Home2", ns + ":system:Home3"})
	checkPaging(t, "SearchSystemInstances", instances, systems, []string{ns + ":deployment:S0", ns + ":deployment:S1", ns + ":deployment:S2", ns + ":deployment:S3"})
	checkPaging(t, "SearchThings", things, instances, []string{"L0", "L1", "L2", "L3", "Lamp1"})
	checkPaging(t, "ListTagsForResource", tagsPager, things, []string{"k0", "k1", "k2", "k3", "k4"})
	checkPaging(t, "SearchFlowExecutions", execs, tagsPager, []string{"e1", "e2", "e3", "e4"})
	checkPaging(t, "ListFlowExecutionMessages", msgs, execs, []string{"m1", "m2", "m3", "m4"})
}

// report posts an execution report to the internal route, signed.
func report(t *testing.T, w *world, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, w.h.URL+thingsgraph.ExecutionsPath, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	creds, err := w.h.AWS.Credentials.Retrieve(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256hex([]byte(body))
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, sum, "iotthingsgraph", w.h.Region(), time.Now()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(bytes.TrimSpace(b))
}

func TestExecutions(t *testing.T) {
	w, _ := lampWorld(t)
	ctx := context.Background()
	inst := w.instance("Site1", "Lamp1")
	flowID := ns + ":workflow:Blink"
	first := fmt.Sprintf(`{"executions":[{"flowExecutionId":"x1","systemInstanceId":"%s","flowTemplateId":"%s","status":"RUNNING","createdAt":1764000000.123,"updatedAt":1764000000.2,
	  "messages":[{"messageId":"b","eventType":"STEP_STARTED","timestamp":1764000000.3,"payload":"{\"stepId\":\"T\"}"},
	              {"messageId":"a","eventType":"EXECUTION_STARTED","timestamp":1764000000.124,"payload":"{}"}]},
	  {"flowExecutionId":"x2","systemInstanceId":"%[1]s","status":"RUNNING","createdAt":1764000100,"updatedAt":1764000100},
	  {"flowExecutionId":"lost","systemInstanceId":"%s:deployment:Unknown","status":"RUNNING","createdAt":1764000100,"updatedAt":1764000100}]}`, inst, flowID, ns)
	if st, body := report(t, w, first); st != 200 || body != "{}" {
		t.Fatalf("report = %d %s, want 200 {}", st, body)
	}
	// Upsert: status and updatedAt replaced, messages appended without duplicates.
	second := fmt.Sprintf(`{"executions":[{"flowExecutionId":"x1","systemInstanceId":"%s","status":"SUCCEEDED","createdAt":1764000000.123,"updatedAt":1764000001.5,
	  "messages":[{"messageId":"b","eventType":"STEP_STARTED","timestamp":1764000000.3,"payload":"{}"},
	              {"messageId":"c","eventType":"EXECUTION_SUCCEEDED","timestamp":1764000001.4,"payload":"{}"}]}]}`, inst)
	if st, body := report(t, w, second); st != 200 {
		t.Fatalf("second report = %d %s", st, body)
	}
	out, err := w.tg.SearchFlowExecutionsWithContext(ctx, &tgsdk.SearchFlowExecutionsInput{SystemInstanceId: awsv1.String(inst)})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Summaries) != 2 {
		t.Fatalf("SearchFlowExecutions = %v, want x1 and x2", out.Summaries)
	}
	x1 := out.Summaries[0]
	if awsv1.StringValue(x1.FlowExecutionId) != "x1" || awsv1.StringValue(x1.Status) != "SUCCEEDED" || awsv1.StringValue(x1.FlowTemplateId) != flowID ||
		awsv1.TimeValue(x1.UpdatedAt).Unix() != 1764000001 || awsv1.TimeValue(x1.CreatedAt).UnixMilli() != 1764000000123 {
		t.Errorf("x1 = %v, want SUCCEEDED, flow %s, createdAt 1764000000.123, updatedAt 1764000001.5", x1, flowID)
	}
	// Time bounds select by createdAt.
	tests := []struct {
		name       string
		start, end *time.Time
		id         *string
		want       []string
	}{
		{name: "startTime", start: awsv1.Time(time.Unix(1764000050, 0)), want: []string{"x2"}},
		{name: "endTime", end: awsv1.Time(time.Unix(1764000050, 0)), want: []string{"x1"}},
		{name: "both, inclusive", start: awsv1.Time(time.Unix(1764000000, 0)), end: awsv1.Time(time.Unix(1764000100, 0)), want: []string{"x1", "x2"}},
		{name: "flowExecutionId", id: awsv1.String("x2"), want: []string{"x2"}},
	}
	for _, tt := range tests {
		out, err := w.tg.SearchFlowExecutionsWithContext(ctx, &tgsdk.SearchFlowExecutionsInput{SystemInstanceId: awsv1.String(inst), StartTime: tt.start, EndTime: tt.end, FlowExecutionId: tt.id})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, s := range out.Summaries {
			got = append(got, awsv1.StringValue(s.FlowExecutionId))
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("SearchFlowExecutions %s (-want +got):\n%s", tt.name, diff)
		}
	}
	msgs, err := w.tg.ListFlowExecutionMessagesWithContext(ctx, &tgsdk.ListFlowExecutionMessagesInput{FlowExecutionId: awsv1.String("x1")})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range msgs.Messages {
		got = append(got, awsv1.StringValue(m.MessageId)+"/"+awsv1.StringValue(m.EventType))
	}
	if diff := cmp.Diff([]string{"a/EXECUTION_STARTED", "b/STEP_STARTED", "c/EXECUTION_SUCCEEDED"}, got); diff != "" {
		t.Errorf("ListFlowExecutionMessages (-want +got):\n%s", diff)
	}
	if p := awsv1.StringValue(msgs.Messages[1].Payload); p != `{"stepId":"T"}` {
		t.Errorf("payload = %s, want the first report's (deduplicated by messageId)", p)
	}
	if _, err := w.tg.ListFlowExecutionMessagesWithContext(ctx, &tgsdk.ListFlowExecutionMessagesInput{FlowExecutionId: awsv1.String("lost")}); code(err) != "ResourceNotFoundException" {
		t.Errorf("ListFlowExecutionMessages(execution of an unknown instance) = %v, want ResourceNotFoundException", err)
	}
	if _, err := w.tg.SearchFlowExecutionsWithContext(ctx, &tgsdk.SearchFlowExecutionsInput{SystemInstanceId: awsv1.String(ns + ":deployment:Unknown")}); code(err) != "ResourceNotFoundException" {
		t.Errorf("SearchFlowExecutions(unknown instance) = %v, want ResourceNotFoundException", err)
	}
	bad := []struct{ name, body, want string }{
		{"malformed JSON", `{"executions":[{"flowExecutionId":"x"` + "\n" + `,,]}`, "line 2, column 2"},
		{"wrong type", `{"executions":{}}`, "executions"},
		{"missing id", `{"executions":[{"systemInstanceId":"` + inst + `","status":"RUNNING"}]}`, "executions[0].flowExecutionId"},
		{"bad status", `{"executions":[{"flowExecutionId":"y","systemInstanceId":"` + inst + `","status":"DONE"}]}`, "executions[0].status"},
		{"bad event type", `{"executions":[{"flowExecutionId":"y","systemInstanceId":"` + inst + `","status":"RUNNING","messages":[{"messageId":"m","eventType":"NOPE"}]}]}`, "messages[0].eventType"},
	}
	for _, tt := range bad {
		st, body := report(t, w, tt.body)
		if st != 400 || !strings.Contains(body, "InvalidRequestException") || !strings.Contains(body, tt.want) {
			t.Errorf("report %s = %d %s, want 400 InvalidRequestException mentioning %q", tt.name, st, body, tt.want)
		}
	}
	// Executions die with their instance.
	if _, err := w.tg.DeleteSystemInstanceWithContext(ctx, &tgsdk.DeleteSystemInstanceInput{Id: awsv1.String(inst)}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.tg.GetSystemInstanceWithContext(ctx, &tgsdk.GetSystemInstanceInput{Id: awsv1.String(inst)}); code(err) != "ResourceNotFoundException" {
		t.Fatalf("GetSystemInstance after delete = %v", err)
	}
	if _, err := w.tg.ListFlowExecutionMessagesWithContext(ctx, &tgsdk.ListFlowExecutionMessagesInput{FlowExecutionId: awsv1.String("x1")}); code(err) != "ResourceNotFoundException" {
		t.Errorf("ListFlowExecutionMessages after the instance was deleted = %v, want ResourceNotFoundException", err)
	}
}

func TestTags(t *testing.T) {
	w, _ := lampWorld(t)
	ctx := context.Background()
	out, err := w.tg.CreateSystemInstanceWithContext(ctx, &tgsdk.CreateSystemInstanceInput{Definition: doc(deploymentDoc("Site1", "Lamp1")),
		Target: awsv1.String("GREENGRASS"), GreengrassGroupName: awsv1.String("home"), S3BucketName: awsv1.String("bkt"),
		Tags: []*tgsdk.Tag{{Key: awsv1.String("Owner"), Value: awsv1.String("ann")}}})
	if err != nil {
		t.Fatal(err)
	}
	arn := out.Summary.Arn
	list := func() map[string]string {
		t.Helper()
		l, err := w.tg.ListTagsForResourceWithContext(ctx, &tgsdk.ListTagsForResourceInput{ResourceArn: arn})
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]string{}
		for _, tg := range l.Tags {
			m[awsv1.StringValue(tg.Key)] = awsv1.StringValue(tg.Value)
		}
		return m
	}
	if _, err := w.tg.TagResourceWithContext(ctx, &tgsdk.TagResourceInput{ResourceArn: arn, Tags: []*tgsdk.Tag{
		{Key: awsv1.String("Owner"), Value: awsv1.String("bob")}, {Key: awsv1.String("env"), Value: awsv1.String("lab")}}}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]string{"Owner": "bob", "env": "lab"}, list()); diff != "" {
		t.Errorf("tags after TagResource (-want +got):\n%s", diff)
	}
	if _, err := w.tg.UntagResourceWithContext(ctx, &tgsdk.UntagResourceInput{ResourceArn: arn, TagKeys: []*string{awsv1.String("Owner"), awsv1.String("absent")}}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]string{"env": "lab"}, list()); diff != "" {
		t.Errorf("tags after UntagResource (-want +got):\n%s", diff)
	}
	// 50 tags at most, counting the ones already there.
	var many []*tgsdk.Tag
	for i := 0; i < 50; i++ {
		many = append(many, &tgsdk.Tag{Key: awsv1.String(fmt.Sprintf("t%02d", i)), Value: awsv1.String("v")})
	}
	if _, err := w.tg.TagResourceWithContext(ctx, &tgsdk.TagResourceInput{ResourceArn: arn, Tags: many}); code(err) != "InvalidRequestException" || !strings.Contains(err.Error(), "51") {
		t.Errorf("TagResource to 51 tags = %v, want InvalidRequestException", err)
	}
	for _, bad := range []string{"arn:aws:iotthingsgraph:us-east-1:000000000000:default#Deployment#Nope", "arn:aws:iotthingsgraph:us-east-1:000000000000:default#Workflow#Blink"} {
		if _, err := w.tg.ListTagsForResourceWithContext(ctx, &tgsdk.ListTagsForResourceInput{ResourceArn: awsv1.String(bad)}); code(err) != "InvalidRequestException" || !strings.Contains(err.Error(), bad) {
			t.Errorf("ListTagsForResource(%s) = %v, want InvalidRequestException naming the ARN", bad, err)
		}
	}
	if _, err := w.tg.CreateSystemInstanceWithContext(ctx, &tgsdk.CreateSystemInstanceInput{Definition: doc(deploymentDoc("Site2", "Lamp1")),
		Target: awsv1.String("GREENGRASS"), GreengrassGroupName: awsv1.String("home"), S3BucketName: awsv1.String("bkt"),
		Tags: []*tgsdk.Tag{{Key: awsv1.String("aws:owner"), Value: awsv1.String("x")}}}); code(err) != "InvalidRequestException" || !strings.Contains(err.Error(), "tags[0].key") {
		t.Errorf("CreateSystemInstance with an aws: tag = %v, want InvalidRequestException", err)
	}
}

func sortedStrings(in []string) []string {
	out := append([]string(nil), in...)
	sort.Strings(out)
	return out
}
