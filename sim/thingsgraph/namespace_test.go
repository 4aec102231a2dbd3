package thingsgraph_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	awsv1 "github.com/aws/aws-sdk-go/aws"
	tgsdk "github.com/aws/aws-sdk-go/service/iotthingsgraph"
	"github.com/google/go-cmp/cmp"

	"github.com/tgsim/tgsim/sim/harness"
	"github.com/tgsim/tgsim/sim/thingsgraph"
)

func describe(t *testing.T, tg *tgsdk.IoTThingsGraph, name string) *tgsdk.DescribeNamespaceOutput {
	t.Helper()
	in := &tgsdk.DescribeNamespaceInput{}
	if name != "" {
		in.NamespaceName = awsv1.String(name)
	}
	out, err := tg.DescribeNamespaceWithContext(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestNamespaceVersions(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	if _, err := w.tg.DescribeNamespaceWithContext(ctx, &tgsdk.DescribeNamespaceInput{}); code(err) != "ResourceNotFoundException" {
		t.Fatalf("DescribeNamespace before any upload = %v, want ResourceNotFoundException", err)
	}
	pub := describe(t, w.tg, "aws")
	if awsv1.StringValue(pub.NamespaceName) != "aws" || awsv1.Int64Value(pub.NamespaceVersion) != 1 {
		t.Errorf("DescribeNamespace(aws) = %v, want aws version 1", pub)
	}
	getText := func(id string, version *int64) (string, error) {
		out, err := w.tg.GetEntitiesWithContext(ctx, &tgsdk.GetEntitiesInput{Ids: []*string{awsv1.String(id)}, NamespaceVersion: version})
		if err != nil {
			return "", err
		}
		return awsv1.StringValue(out.Descriptions[0].Definition.Text), nil
	}
	steps := []struct {
		name    string
		upload  func() int64
		wantVer int64
		wantTrk int64
		checkFn func(t *testing.T)
	}{
		{name: "first upload creates version 1", upload: func() int64 { return w.upload(propertiesDoc("A")) }, wantVer: 1, wantTrk: 1},
		{name: "an addition keeps the version", upload: func() int64 { return w.upload(propertiesDoc("B")) }, wantVer: 1, wantTrk: 1},
		{name: "an unchanged re-upload keeps it", upload: func() int64 { return w.upload(propertiesDoc("A", "B")) }, wantVer: 1, wantTrk: 1},
		{name: "a changed entity makes version 2", upload: func() int64 {
			return w.upload(strings.Replace(propertiesDoc("A"), "STRING", "INT32", 1))
		}, wantVer: 2, wantTrk: 1, checkFn: func(t *testing.T) {
			v1, err := getText(ns+":property:A", awsv1.Int64(1))
			if err != nil || !strings.Contains(v1, "STRING") {
				t.Errorf("A at version 1 = %q, %v; want the STRING snapshot", v1, err)
			}
			v2, err := getText(ns+":property:A", nil)
			if err != nil || !strings.Contains(v2, "INT32") {
				t.Errorf("A at latest = %q, %v; want INT32", v2, err)
			}
		}},
		{name: "sync makes version 3 tracking the new public version", upload: func() int64 {
			if _, err := w.h.ThingsGraph.UpdatePublicNamespace(`{ type Lux @propertyType(id: "urn:tdm:aws:property:Lux", dataType: FLOAT) {ignore:void} }`); err != nil {
				t.Fatal(err)
			}
			out, err := w.tg.UploadEntityDefinitionsWithContext(ctx, &tgsdk.UploadEntityDefinitionsInput{SyncWithPublicNamespace: awsv1.Bool(true)})
			if err != nil {
				t.Fatal(err)
			}
			st, err := w.tg.GetUploadStatusWithContext(ctx, &tgsdk.GetUploadStatusInput{UploadId: out.UploadId})
			if err != nil {
				t.Fatal(err)
			}
			return awsv1.Int64Value(st.NamespaceVersion)
		}, wantVer: 3, wantTrk: 2, checkFn: func(t *testing.T) {
			if _, err := getText("urn:tdm:aws:property:Lux", nil); err != nil {
				t.Errorf("GetEntities(Lux) after sync = %v", err)
			}
			if _, err := getText("urn:tdm:aws:property:Lux", awsv1.Int64(2)); code(err) != "ResourceNotFoundException" {
				t.Errorf("GetEntities(Lux) at version 2 (tracking public 1) = %v, want ResourceNotFoundException", err)
			}
		}},
		{name: "deprecateExistingEntities makes version 4 with only the new document", upload: func() int64 {
			out, err := w.tg.UploadEntityDefinitionsWithContext(ctx, &tgsdk.UploadEntityDefinitionsInput{Document: doc(propertiesDoc("C")), DeprecateExistingEntities: awsv1.Bool(true)})
			if err != nil {
				t.Fatal(err)
			}
			st, err := w.tg.GetUploadStatusWithContext(ctx, &tgsdk.GetUploadStatusInput{UploadId: out.UploadId})
			if err != nil {
				t.Fatal(err)
			}
			return awsv1.Int64Value(st.NamespaceVersion)
		}, wantVer: 4, wantTrk: 2, checkFn: func(t *testing.T) {
			if _, err := getText(ns+":property:A", nil); code(err) != "ResourceNotFoundException" {
				t.Errorf("GetEntities(A) after deprecateExistingEntities = %v, want ResourceNotFoundException", err)
			}
			if _, err := getText(ns+":property:A", awsv1.Int64(3)); err != nil {
				t.Errorf("GetEntities(A) at version 3 = %v; earlier versions are kept", err)
			}
		}},
	}
	for _, s := range steps {
		got := s.upload()
		d := describe(t, w.tg, "")
		if got != s.wantVer || awsv1.Int64Value(d.NamespaceVersion) != s.wantVer || awsv1.Int64Value(d.TrackingNamespaceVersion) != s.wantTrk ||
			awsv1.StringValue(d.TrackingNamespaceName) != "aws" || awsv1.StringValue(d.NamespaceName) != "us-east-1/000000000000/default" {
			t.Fatalf("%s: upload version %d, DescribeNamespace %v; want version %d tracking aws %d", s.name, got, d, s.wantVer, s.wantTrk)
		}
		if s.checkFn != nil {
			s.checkFn(t)
		}
	}
	if v := awsv1.Int64Value(describe(t, w.tg, "aws").NamespaceVersion); v != 2 {
		t.Errorf("public namespace version = %d, want 2", v)
	}
}

func TestCompatibleNamespaceVersion(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	w.upload(lampDoc)
	// Version 2 removes the lamp model: a flow validated against 2 fails,
	// against 1 succeeds.
	out, err := w.tg.UploadEntityDefinitionsWithContext(ctx, &tgsdk.UploadEntityDefinitionsInput{Document: doc(propertiesDoc("Z")), DeprecateExistingEntities: awsv1.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	_ = out
	if _, err := w.tg.CreateFlowTemplateWithContext(ctx, &tgsdk.CreateFlowTemplateInput{Definition: doc(blinkFlow)}); code(err) != "InvalidRequestException" || !strings.Contains(err.Error(), "deviceModel:Lamp") {
		t.Errorf("CreateFlowTemplate against the latest version = %v, want InvalidRequestException naming the device model", err)
	}
	f, err := w.tg.CreateFlowTemplateWithContext(ctx, &tgsdk.CreateFlowTemplateInput{Definition: doc(blinkFlow), CompatibleNamespaceVersion: awsv1.Int64(1)})
	if err != nil {
		t.Fatal(err)
	}
	got, err := w.tg.GetFlowTemplateWithContext(ctx, &tgsdk.GetFlowTemplateInput{Id: f.Summary.Id})
	if err != nil {
		t.Fatal(err)
	}
	if v := awsv1.Int64Value(got.Description.ValidatedNamespaceVersion); v != 1 {
		t.Errorf("validatedNamespaceVersion = %d, want 1", v)
	}
	if _, err := w.tg.UpdateFlowTemplateWithContext(ctx, &tgsdk.UpdateFlowTemplateInput{Id: f.Summary.Id, Definition: doc(blinkFlow), CompatibleNamespaceVersion: awsv1.Int64(2)}); code(err) != "InvalidRequestException" {
		t.Errorf("UpdateFlowTemplate against version 2 = %v, want InvalidRequestException", err)
	}
	if _, err := w.tg.CreateSystemTemplateWithContext(ctx, &tgsdk.CreateSystemTemplateInput{Definition: doc(homeSystem), CompatibleNamespaceVersion: awsv1.Int64(1)}); err != nil {
		t.Errorf("CreateSystemTemplate against version 1 = %v", err)
	}
	if _, err := w.tg.UpdateSystemTemplateWithContext(ctx, &tgsdk.UpdateSystemTemplateInput{Id: awsv1.String(ns + ":system:Home"), Definition: doc(homeSystem), CompatibleNamespaceVersion: awsv1.Int64(2)}); code(err) != "InvalidRequestException" {
		t.Errorf("UpdateSystemTemplate against version 2 = %v, want InvalidRequestException", err)
	}
}

func TestDeleteNamespace(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	if _, err := w.tg.GetNamespaceDeletionStatusWithContext(ctx, &tgsdk.GetNamespaceDeletionStatusInput{}); code(err) != "InvalidRequestException" {
		t.Errorf("GetNamespaceDeletionStatus before any deletion = %v, want InvalidRequestException", err)
	}
	w.upload(lampDoc)
	if _, err := w.tg.CreateFlowTemplateWithContext(ctx, &tgsdk.CreateFlowTemplateInput{Definition: doc(blinkFlow)}); err != nil {
		t.Fatal(err)
	}
	del, err := w.tg.DeleteNamespaceWithContext(ctx, &tgsdk.DeleteNamespaceInput{})
	if err != nil {
		t.Fatal(err)
	}
	if awsv1.StringValue(del.NamespaceName) != "us-east-1/000000000000/default" || awsv1.StringValue(del.NamespaceArn) == "" {
		t.Errorf("DeleteNamespace = %v", del)
	}
	st, err := w.tg.GetNamespaceDeletionStatusWithContext(ctx, &tgsdk.GetNamespaceDeletionStatusInput{})
	if err != nil {
		t.Fatal(err)
	}
	if awsv1.StringValue(st.Status) != "FAILED" || awsv1.StringValue(st.ErrorCode) != "VALIDATION_FAILED" || !strings.Contains(awsv1.StringValue(st.ErrorMessage), "workflow:Blink") {
		t.Errorf("deletion status with a flow using the namespace = %v, want FAILED VALIDATION_FAILED naming the flow", st)
	}
	for _, op := range []func() error{
		func() error {
			_, err := w.tg.DeprecateFlowTemplateWithContext(ctx, &tgsdk.DeprecateFlowTemplateInput{Id: awsv1.String(ns + ":workflow:Blink")})
			return err
		},
		func() error {
			_, err := w.tg.DeleteFlowTemplateWithContext(ctx, &tgsdk.DeleteFlowTemplateInput{Id: awsv1.String(ns + ":workflow:Blink")})
			return err
		},
		func() error {
			_, err := w.tg.DeleteNamespaceWithContext(ctx, &tgsdk.DeleteNamespaceInput{})
			return err
		},
	} {
		if err := op(); err != nil {
			t.Fatal(err)
		}
	}
	st, err = w.tg.GetNamespaceDeletionStatusWithContext(ctx, &tgsdk.GetNamespaceDeletionStatusInput{})
	if err != nil || awsv1.StringValue(st.Status) != "SUCCEEDED" {
		t.Errorf("deletion status = %v, %v; want SUCCEEDED", st, err)
	}
	if _, err := w.tg.DescribeNamespaceWithContext(ctx, &tgsdk.DescribeNamespaceInput{}); code(err) != "ResourceNotFoundException" {
		t.Errorf("DescribeNamespace after deletion = %v, want ResourceNotFoundException", err)
	}
	if v := w.upload(propertiesDoc("A")); v != 1 {
		t.Errorf("first upload after deletion made version %d, want 1", v)
	}
}

func TestSearchEntitiesFilters(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	w.upload(lampDoc)
	w.upload(`{
type Brightness @propertyType(id: "` + ns + `:property:brightness", dataType: INT32) {ignore:void}
type BrightnessPct @propertyType(id: "` + ns + `:property:brightness/percent", dataType: INT32) {ignore:void}
type Dim @stateType(id: "` + ns + `:state:Dim") { level: Int @property(id: "` + ns + `:property:brightness") }
}`)
	f := func(name string, values ...string) *tgsdk.EntityFilter {
		return &tgsdk.EntityFilter{Name: awsv1.String(name), Value: awsv1.StringSlice(values)}
	}
	tests := []struct {
		name    string
		types   []string
		filters []*tgsdk.EntityFilter
		want    []string
	}{
		{name: "type only, account and public", types: []string{"DEVICE_MODEL"}, want: []string{
			"urn:tdm:aws/examples:deviceModel:Camera", "urn:tdm:aws/examples:deviceModel:MotionSensor", "urn:tdm:aws/examples:deviceModel:Screen", ns + ":deviceModel:Lamp"}},
		{name: "NAME", types: []string{"DEVICE_MODEL", "DEVICE"}, filters: []*tgsdk.EntityFilter{f("NAME", "Lamp", "AcmeLamp")}, want: []string{ns + ":device:AcmeLamp", ns + ":deviceModel:Lamp"}},
		{name: "NAMESPACE", types: []string{"DEVICE_MODEL"}, filters: []*tgsdk.EntityFilter{f("NAMESPACE", "us-east-1/000000000000/default")}, want: []string{ns + ":deviceModel:Lamp"}},
		{name: "SEMANTIC_TYPE_PATH includes children", types: []string{"PROPERTY"}, filters: []*tgsdk.EntityFilter{f("SEMANTIC_TYPE_PATH", "brightness")}, want: []string{ns + ":property:brightness", ns + ":property:brightness/percent"}},
		{name: "REFERENCED_ENTITY_ID", types: []string{"STATE", "CAPABILITY", "DEVICE_MODEL"}, filters: []*tgsdk.EntityFilter{f("REFERENCED_ENTITY_ID", ns+":state:LampState")}, want: []string{ns + ":capability:LampCap"}},
		{name: "AND between filters", types: []string{"PROPERTY"}, filters: []*tgsdk.EntityFilter{f("SEMANTIC_TYPE_PATH", "brightness"), f("NAME", "percent")}, want: []string{ns + ":property:brightness/percent"}},
		{name: "AND with no common entity", types: []string{"PROPERTY"}, filters: []*tgsdk.EntityFilter{f("NAME", "brightness"), f("NAMESPACE", "aws")}, want: nil},
		{name: "type excludes", types: []string{"STATE"}, filters: []*tgsdk.EntityFilter{f("NAME", "brightness")}, want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := w.tg.SearchEntitiesWithContext(ctx, &tgsdk.SearchEntitiesInput{EntityTypes: awsv1.StringSlice(tt.types), Filters: tt.filters})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, d := range out.Descriptions {
				got = append(got, awsv1.StringValue(d.Id))
				if awsv1.StringValue(d.Definition.Text) == "" || awsv1.StringValue(d.Arn) == "" || d.CreatedAt == nil {
					t.Errorf("description %v lacks definition, arn or createdAt", d)
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("SearchEntities (-want +got):\n%s", diff)
			}
		})
	}
	// GetEntities returns a definition that uploads again unchanged.
	ge, err := w.tg.GetEntitiesWithContext(ctx, &tgsdk.GetEntitiesInput{Ids: awsv1.StringSlice([]string{ns + ":deviceModel:Lamp", "urn:tdm:aws:property:Boolean"})})
	if err != nil {
		t.Fatal(err)
	}
	if len(ge.Descriptions) != 2 || awsv1.StringValue(ge.Descriptions[0].Type) != "DEVICE_MODEL" || awsv1.StringValue(ge.Descriptions[1].Type) != "PROPERTY" {
		t.Fatalf("GetEntities = %v", ge.Descriptions)
	}
	if v := w.upload(awsv1.StringValue(ge.Descriptions[0].Definition.Text)); v != 1 {
		t.Errorf("re-uploading GetEntities' definition made version %d, want 1 (unchanged)", v)
	}
	if _, err := w.tg.GetEntitiesWithContext(ctx, &tgsdk.GetEntitiesInput{Ids: awsv1.StringSlice([]string{ns + ":deviceModel:Nope"})}); code(err) != "ResourceNotFoundException" {
		t.Errorf("GetEntities(unknown) = %v, want ResourceNotFoundException", err)
	}
}

func TestTemplates(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	w.upload(lampDoc)
	tg := w.tg
	flowID := awsv1.String(ns + ":workflow:Blink")
	sysID := awsv1.String(ns + ":system:Home")
	if _, err := tg.CreateFlowTemplateWithContext(ctx, &tgsdk.CreateFlowTemplateInput{Definition: doc(blinkFlow)}); err != nil {
		t.Fatal(err)
	}
	if _, err := tg.CreateSystemTemplateWithContext(ctx, &tgsdk.CreateSystemTemplateInput{Definition: doc(homeSystem)}); err != nil {
		t.Fatal(err)
	}
	v2 := strings.Replace(blinkFlow, `step(name: "T")`, `step(name: "T2")`, 1)
	up, err := tg.UpdateFlowTemplateWithContext(ctx, &tgsdk.UpdateFlowTemplateInput{Id: flowID, Definition: doc(v2)})
	if err != nil || awsv1.Int64Value(up.Summary.RevisionNumber) != 2 {
		t.Fatalf("UpdateFlowTemplate = %v, %v; want revision 2", up, err)
	}
	for rev, want := range map[int64]string{1: `"T"`, 2: `"T2"`} {
		g, err := tg.GetFlowTemplateWithContext(ctx, &tgsdk.GetFlowTemplateInput{Id: flowID, RevisionNumber: awsv1.Int64(rev)})
		if err != nil || !strings.Contains(awsv1.StringValue(g.Description.Definition.Text), want) {
			t.Errorf("GetFlowTemplate revision %d = %v, %v; want step %s", rev, g, err, want)
		}
	}
	if _, err := tg.GetFlowTemplateWithContext(ctx, &tgsdk.GetFlowTemplateInput{Id: flowID, RevisionNumber: awsv1.Int64(9)}); code(err) != "ResourceNotFoundException" {
		t.Errorf("GetFlowTemplate revision 9 = %v, want ResourceNotFoundException", err)
	}
	other := strings.ReplaceAll(blinkFlow, ":workflow:Blink", ":workflow:Other")
	if _, err := tg.UpdateFlowTemplateWithContext(ctx, &tgsdk.UpdateFlowTemplateInput{Id: flowID, Definition: doc(other)}); code(err) != "InvalidRequestException" {
		t.Errorf("UpdateFlowTemplate with another id = %v, want InvalidRequestException", err)
	}
	if _, err := tg.UpdateSystemTemplateWithContext(ctx, &tgsdk.UpdateSystemTemplateInput{Id: awsv1.String(ns + ":system:Nope"), Definition: doc(homeSystem)}); code(err) != "ResourceNotFoundException" {
		t.Errorf("UpdateSystemTemplate(unknown) = %v, want ResourceNotFoundException", err)
	}
	g, err := tg.GetSystemTemplateWithContext(ctx, &tgsdk.GetSystemTemplateInput{Id: sysID})
	if err != nil || awsv1.Int64Value(g.Description.Summary.RevisionNumber) != 1 || awsv1.Int64Value(g.Description.ValidatedNamespaceVersion) != 1 {
		t.Errorf("GetSystemTemplate = %v, %v", g, err)
	}
	// Search filters.
	sf, err := tg.SearchFlowTemplatesWithContext(ctx, &tgsdk.SearchFlowTemplatesInput{Filters: []*tgsdk.FlowTemplateFilter{{Name: awsv1.String("DEVICE_MODEL_ID"), Value: awsv1.StringSlice([]string{ns + ":deviceModel:Lamp"})}}})
	if err != nil || len(sf.Summaries) != 1 {
		t.Errorf("SearchFlowTemplates(DEVICE_MODEL_ID Lamp) = %v, %v; want Blink", sf, err)
	}
	sf, err = tg.SearchFlowTemplatesWithContext(ctx, &tgsdk.SearchFlowTemplatesInput{Filters: []*tgsdk.FlowTemplateFilter{{Name: awsv1.String("DEVICE_MODEL_ID"), Value: awsv1.StringSlice([]string{"urn:tdm:aws/examples:deviceModel:Camera"})}}})
	if err != nil || len(sf.Summaries) != 0 {
		t.Errorf("SearchFlowTemplates(DEVICE_MODEL_ID Camera) = %v, %v; want none", sf, err)
	}
	ss, err := tg.SearchSystemTemplatesWithContext(ctx, &tgsdk.SearchSystemTemplatesInput{Filters: []*tgsdk.SystemTemplateFilter{{Name: awsv1.String("FLOW_TEMPLATE_ID"), Value: []*string{flowID}}}})
	if err != nil || len(ss.Summaries) != 1 || awsv1.StringValue(ss.Summaries[0].Id) != *sysID {
		t.Errorf("SearchSystemTemplates(FLOW_TEMPLATE_ID Blink) = %v, %v; want Home", ss, err)
	}
	// Deletion needs deprecation first.
	for _, tc := range []struct {
		noun      string
		deprecate func() error
		del       func() error
		get       func() error
		update    func() error
	}{
		{"flow",
			func() error {
				_, err := tg.DeprecateFlowTemplateWithContext(ctx, &tgsdk.DeprecateFlowTemplateInput{Id: flowID})
				return err
			},
			func() error {
				_, err := tg.DeleteFlowTemplateWithContext(ctx, &tgsdk.DeleteFlowTemplateInput{Id: flowID})
				return err
			},
			func() error {
				_, err := tg.GetFlowTemplateRevisionsWithContext(ctx, &tgsdk.GetFlowTemplateRevisionsInput{Id: flowID})
				return err
			},
			func() error {
				_, err := tg.UpdateFlowTemplateWithContext(ctx, &tgsdk.UpdateFlowTemplateInput{Id: flowID, Definition: doc(blinkFlow)})
				return err
			}},
		{"system",
			func() error {
				_, err := tg.DeprecateSystemTemplateWithContext(ctx, &tgsdk.DeprecateSystemTemplateInput{Id: sysID})
				return err
			},
			func() error {
				_, err := tg.DeleteSystemTemplateWithContext(ctx, &tgsdk.DeleteSystemTemplateInput{Id: sysID})
				return err
			},
			func() error {
				_, err := tg.GetSystemTemplateRevisionsWithContext(ctx, &tgsdk.GetSystemTemplateRevisionsInput{Id: sysID})
				return err
			},
			func() error {
				_, err := tg.UpdateSystemTemplateWithContext(ctx, &tgsdk.UpdateSystemTemplateInput{Id: sysID, Definition: doc(homeSystem)})
				return err
			}},
	} {
		if err := tc.del(); code(err) != "ResourceInUseException" {
			t.Errorf("delete %s before deprecation = %v, want ResourceInUseException", tc.noun, err)
		}
		if err := tc.deprecate(); err != nil {
			t.Fatal(err)
		}
		if err := tc.get(); err != nil {
			t.Errorf("revisions of a deprecated %s = %v, want them", tc.noun, err)
		}
		if err := tc.update(); code(err) != "InvalidRequestException" {
			t.Errorf("update of a deprecated %s = %v, want InvalidRequestException", tc.noun, err)
		}
		if err := tc.del(); err != nil {
			t.Errorf("delete deprecated %s = %v", tc.noun, err)
		}
		if err := tc.get(); code(err) != "ResourceNotFoundException" {
			t.Errorf("revisions of a deleted %s = %v, want ResourceNotFoundException", tc.noun, err)
		}
		if err := tc.deprecate(); code(err) != "ResourceNotFoundException" {
			t.Errorf("deprecate deleted %s = %v, want ResourceNotFoundException", tc.noun, err)
		}
		if err := tc.del(); code(err) != "InvalidRequestException" {
			t.Errorf("delete deleted %s = %v, want InvalidRequestException", tc.noun, err)
		}
	}
	// The id can be used again.
	if _, err := tg.CreateFlowTemplateWithContext(ctx, &tgsdk.CreateFlowTemplateInput{Definition: doc(blinkFlow)}); err != nil {
		t.Errorf("CreateFlowTemplate after deletion = %v", err)
	}
}

func TestRevisionsKeepLast100(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	w.upload(lampDoc)
	if _, err := w.tg.CreateFlowTemplateWithContext(ctx, &tgsdk.CreateFlowTemplateInput{Definition: doc(blinkFlow)}); err != nil {
		t.Fatal(err)
	}
	id := awsv1.String(ns + ":workflow:Blink")
	for i := 0; i < 101; i++ {
		if _, err := w.tg.UpdateFlowTemplateWithContext(ctx, &tgsdk.UpdateFlowTemplateInput{Id: id, Definition: doc(blinkFlow)}); err != nil {
			t.Fatal(err)
		}
	}
	out, err := w.tg.GetFlowTemplateRevisionsWithContext(ctx, &tgsdk.GetFlowTemplateRevisionsInput{Id: id, MaxResults: awsv1.Int64(250)})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(out.Summaries); n != 100 || awsv1.Int64Value(out.Summaries[0].RevisionNumber) != 102 || awsv1.Int64Value(out.Summaries[99].RevisionNumber) != 3 {
		t.Errorf("revisions: %d kept, newest %d, oldest %d; want 100, 102, 3", n, awsv1.Int64Value(out.Summaries[0].RevisionNumber), awsv1.Int64Value(out.Summaries[n-1].RevisionNumber))
	}
}

func TestThings(t *testing.T) {
	w, _ := lampWorld(t)
	ctx := context.Background()
	search := func(id string) ([]string, error) {
		out, err := w.tg.SearchThingsWithContext(ctx, &tgsdk.SearchThingsInput{EntityId: awsv1.String(id)})
		if err != nil {
			return nil, err
		}
		var names []string
		for _, th := range out.Things {
			names = append(names, awsv1.StringValue(th.ThingName))
			if want := "arn:aws:iot:us-east-1:000000000000:thing/" + awsv1.StringValue(th.ThingName); awsv1.StringValue(th.ThingArn) != want {
				t.Errorf("thingArn = %s, want %s", awsv1.StringValue(th.ThingArn), want)
			}
		}
		return names, nil
	}
	for _, id := range []string{ns + ":device:AcmeLamp", ns + ":deviceModel:Lamp"} {
		if got, err := search(id); err != nil || !cmp.Equal(got, []string{"Lamp1"}) {
			t.Errorf("SearchThings(%s) = %v, %v; want [Lamp1]", id, got, err)
		}
	}
	if got, err := search("urn:tdm:aws/examples:deviceModel:Camera"); err != nil || len(got) != 0 {
		t.Errorf("SearchThings(Camera) = %v, %v; want none", got, err)
	}
	if _, err := search(ns + ":device:Nope"); code(err) != "ResourceNotFoundException" {
		t.Errorf("SearchThings(unknown) = %v, want ResourceNotFoundException", err)
	}
	if _, err := w.tg.DissociateEntityFromThingWithContext(ctx, &tgsdk.DissociateEntityFromThingInput{ThingName: awsv1.String("Lamp1"), EntityType: awsv1.String("DEVICE")}); err != nil {
		t.Fatal(err)
	}
	if got, err := search(ns + ":device:AcmeLamp"); err != nil || len(got) != 0 {
		t.Errorf("SearchThings after dissociation = %v, %v; want none", got, err)
	}
	if _, err := w.tg.DissociateEntityFromThingWithContext(ctx, &tgsdk.DissociateEntityFromThingInput{ThingName: awsv1.String("Lamp1"), EntityType: awsv1.String("DEVICE")}); code(err) != "ResourceNotFoundException" {
		t.Errorf("second DissociateEntityFromThing = %v, want ResourceNotFoundException", err)
	}
}

// TestValidateDocumentsMatchesUpload checks the offline validation gives
// the service's own messages.
func TestValidateDocumentsMatchesUpload(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	bad := strings.Replace(lampDoc, `Action(name: "toggle")`, `Action(name: "flip")`, 1)
	bad = strings.Replace(bad, `on: Boolean @property(id: "urn:tdm:aws:property:Boolean")`, `on: Boolean @property(id: "urn:tdm:aws:property:Boolean")`, 1)
	out, err := w.tg.UploadEntityDefinitionsWithContext(ctx, &tgsdk.UploadEntityDefinitionsInput{Document: doc(bad)})
	if err != nil {
		t.Fatal(err)
	}
	st, err := w.tg.GetUploadStatusWithContext(ctx, &tgsdk.GetUploadStatusInput{UploadId: out.UploadId})
	if err != nil {
		t.Fatal(err)
	}
	problems := thingsgraph.ValidateDocuments([]thingsgraph.Document{{Name: "lamp.graphql", Text: bad}}, "us-east-1", "000000000000")
	var got []string
	for _, p := range problems {
		if !strings.HasPrefix(p.String(), "lamp.graphql:") {
			t.Errorf("Problem.String() = %q, want the document name first", p.String())
		}
		got = append(got, strings.TrimPrefix(p.String(), "lamp.graphql:"))
	}
	if len(got) == 0 {
		t.Fatal("ValidateDocuments found nothing wrong")
	}
	if diff := cmp.Diff(awsv1.StringValueSlice(st.FailureReason), got); diff != "" {
		t.Errorf("ValidateDocuments vs failureReason (-service +offline):\n%s", diff)
	}
	// A flow document is checked as CreateFlowTemplate would, against the
	// other documents; the same problem gives the same message.
	badFlow := strings.Replace(blinkFlow, "{ toggle }", "{ explode }", 1)
	w.upload(lampDoc)
	_, ferr := w.tg.CreateFlowTemplateWithContext(ctx, &tgsdk.CreateFlowTemplateInput{Definition: doc(badFlow)})
	problems = thingsgraph.ValidateDocuments([]thingsgraph.Document{{Name: "lamp.graphql", Text: lampDoc}, {Name: "blink.graphql", Text: badFlow}}, "us-east-1", "000000000000")
	if len(problems) != 1 || problems[0].Document != "blink.graphql" || ferr == nil || !strings.Contains(ferr.Error(), strings.TrimPrefix(problems[0].String(), "blink.graphql:")) {
		t.Errorf("ValidateDocuments(flow) = %v; CreateFlowTemplate = %v; want the same message", problems, ferr)
	}
	// Valid documents: no problems.
	if p := thingsgraph.ValidateDocuments([]thingsgraph.Document{{Name: "l", Text: lampDoc}, {Name: "f", Text: blinkFlow}, {Name: "s", Text: homeSystem}, {Name: "d", Text: deploymentDoc("D", "T")}}, "us-east-1", "000000000000"); len(p) != 0 {
		t.Errorf("ValidateDocuments(valid) = %v", p)
	}
	// A parse error names the position.
	p := thingsgraph.ValidateDocuments([]thingsgraph.Document{{Name: "x.graphql", Text: "{\n type X @propertyType(id: \"" + ns + ":property:X\" {ignore:void}\n}"}}, "us-east-1", "000000000000")
	if len(p) != 1 || !strings.HasPrefix(p[0].String(), "x.graphql:2:") {
		t.Errorf("ValidateDocuments(parse error) = %v, want x.graphql:2:...", p)
	}
}

// BenchmarkSearchEntities10k searches a namespace of 10,000 entities with a
// NAME filter and a type filter, one page, through the v1 client and the
// edge (SigV4 and IAM included).
func BenchmarkSearchEntities10k(b *testing.B) {
	h, err := harness.Start(harness.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { h.Close() })
	tg := benchClient(h)
	ctx := context.Background()
	// Two uploads: 10,000 definitions exceed one document's 1,048,576 characters.
	for part := 0; part < 2; part++ {
		var sb strings.Builder
		sb.WriteString("{\n")
		for i := part * 5000; i < (part+1)*5000; i++ {
			fmt.Fprintf(&sb, "type P%d @propertyType(id: \"%s:property:P%d\", dataType: STRING) {ignore:void}\n", i, ns, i)
		}
		sb.WriteString("}")
		if _, err := tg.UploadEntityDefinitionsWithContext(ctx, &tgsdk.UploadEntityDefinitionsInput{Document: doc(sb.String())}); err != nil {
			b.Fatal(err)
		}
	}
	if n := h.ThingsGraph.EntityCount(h.Region(), h.AccountID()); n != 10000 {
		b.Fatalf("namespace has %d entities, want 10000", n)
	}
	in := &tgsdk.SearchEntitiesInput{EntityTypes: awsv1.StringSlice([]string{"PROPERTY"}),
		Filters: []*tgsdk.EntityFilter{{Name: awsv1.String("NAME"), Value: awsv1.StringSlice([]string{"P4242"})}}, MaxResults: awsv1.Int64(250)}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		out, err := tg.SearchEntitiesWithContext(ctx, in)
		if err != nil || len(out.Descriptions) != 1 {
			b.Fatalf("SearchEntities = %v, %v", out, err)
		}
	}
}
