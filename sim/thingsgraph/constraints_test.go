package thingsgraph_test

import (
	"context"
	"strings"
	"testing"

	awsv1 "github.com/aws/aws-sdk-go/aws"
	"github.com/aws/aws-sdk-go/aws/request"
	tgsdk "github.com/aws/aws-sdk-go/service/iotthingsgraph"
)

// TestRequestConstraints sends requests that break a model constraint with
// the client's own validation off: the service must refuse each with
// InvalidRequestException naming the member.
func TestRequestConstraints(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	long := func(n int) string { return strings.Repeat("a", n) }
	urn161 := ns + ":property:" + long(161-len(ns+":property:"))
	arn := "arn:aws:iotthingsgraph:us-east-1:000000000000:default#Deployment#X"
	tags51 := make([]*tgsdk.Tag, 51)
	for i := range tags51 {
		tags51[i] = &tgsdk.Tag{Key: awsv1.String("k" + strings.Repeat("x", i)), Value: awsv1.String("v")}
	}
	keys51 := make([]*string, 51)
	for i := range keys51 {
		keys51[i] = awsv1.String("k")
	}
	ids26 := make([]*string, 26)
	for i := range ids26 {
		ids26[i] = awsv1.String(ns + ":property:P")
	}
	tg := w.raw
	tests := []struct {
		name   string
		call   func() error
		member string // the message must name it
	}{
		{"Urn too long", func() error {
			_, err := tg.GetFlowTemplateWithContext(ctx, &tgsdk.GetFlowTemplateInput{Id: awsv1.String(urn161)})
			return err
		}, "id"},
		{"Urn pattern", func() error {
			_, err := tg.GetSystemTemplateWithContext(ctx, &tgsdk.GetSystemTemplateInput{Id: awsv1.String("urn:tdm:x:y:a-b")})
			return err
		}, "id"},
		{"Urn required", func() error {
			_, err := tg.DeploySystemInstanceWithContext(ctx, &tgsdk.DeploySystemInstanceInput{})
			return err
		}, "id"},
		{"MaxResults 0", func() error {
			_, err := tg.SearchFlowTemplatesWithContext(ctx, &tgsdk.SearchFlowTemplatesInput{MaxResults: awsv1.Int64(0)})
			return err
		}, "maxResults"},
		{"MaxResults 251", func() error {
			_, err := tg.SearchSystemInstancesWithContext(ctx, &tgsdk.SearchSystemInstancesInput{MaxResults: awsv1.Int64(251)})
			return err
		}, "maxResults"},
		{"TagKey empty", func() error {
			_, err := tg.TagResourceWithContext(ctx, &tgsdk.TagResourceInput{ResourceArn: awsv1.String(arn), Tags: []*tgsdk.Tag{{Key: awsv1.String(""), Value: awsv1.String("v")}}})
			return err
		}, "tags[0].key"},
		{"TagKey too long", func() error {
			_, err := tg.TagResourceWithContext(ctx, &tgsdk.TagResourceInput{ResourceArn: awsv1.String(arn), Tags: []*tgsdk.Tag{{Key: awsv1.String(long(129)), Value: awsv1.String("v")}}})
			return err
		}, "tags[0].key"},
		{"TagKey pattern", func() error {
			_, err := tg.TagResourceWithContext(ctx, &tgsdk.TagResourceInput{ResourceArn: awsv1.String(arn), Tags: []*tgsdk.Tag{{Key: awsv1.String("a*b"), Value: awsv1.String("v")}}})
			return err
		}, "tags[0].key"},
		{"TagKey aws: reserved", func() error {
			_, err := tg.TagResourceWithContext(ctx, &tgsdk.TagResourceInput{ResourceArn: awsv1.String(arn), Tags: []*tgsdk.Tag{{Key: awsv1.String("aws:x"), Value: awsv1.String("v")}}})
			return err
		}, "tags[0].key"},
		{"TagValue too long", func() error {
			_, err := tg.TagResourceWithContext(ctx, &tgsdk.TagResourceInput{ResourceArn: awsv1.String(arn), Tags: []*tgsdk.Tag{{Key: awsv1.String("k"), Value: awsv1.String(long(257))}}})
			return err
		}, "tags[0].value"},
		{"TagValue empty", func() error {
			_, err := tg.TagResourceWithContext(ctx, &tgsdk.TagResourceInput{ResourceArn: awsv1.String(arn), Tags: []*tgsdk.Tag{{Key: awsv1.String("k"), Value: awsv1.String("")}}})
			return err
		}, "tags[0].value"},
		{"TagList 51", func() error {
			_, err := tg.TagResourceWithContext(ctx, &tgsdk.TagResourceInput{ResourceArn: awsv1.String(arn), Tags: tags51})
			return err
		}, "tags"},
		{"TagList required", func() error {
			_, err := tg.TagResourceWithContext(ctx, &tgsdk.TagResourceInput{ResourceArn: awsv1.String(arn)})
			return err
		}, "tags"},
		{"TagKeyList empty", func() error {
			_, err := tg.UntagResourceWithContext(ctx, &tgsdk.UntagResourceInput{ResourceArn: awsv1.String(arn), TagKeys: []*string{}})
			return err
		}, "tagKeys"},
		{"TagKeyList 51", func() error {
			_, err := tg.UntagResourceWithContext(ctx, &tgsdk.UntagResourceInput{ResourceArn: awsv1.String(arn), TagKeys: keys51})
			return err
		}, "tagKeys"},
		{"ThingName pattern", func() error {
			_, err := tg.AssociateEntityToThingWithContext(ctx, &tgsdk.AssociateEntityToThingInput{ThingName: awsv1.String("a b"), EntityId: awsv1.String(ns + ":device:D")})
			return err
		}, "thingName"},
		{"ThingName too long", func() error {
			_, err := tg.DissociateEntityFromThingWithContext(ctx, &tgsdk.DissociateEntityFromThingInput{ThingName: awsv1.String(long(129)), EntityType: awsv1.String("DEVICE")})
			return err
		}, "thingName"},
		{"ThingName empty", func() error {
			_, err := tg.DissociateEntityFromThingWithContext(ctx, &tgsdk.DissociateEntityFromThingInput{ThingName: awsv1.String(""), EntityType: awsv1.String("DEVICE")})
			return err
		}, "thingName"},
		{"EntityType enum", func() error {
			_, err := tg.DissociateEntityFromThingWithContext(ctx, &tgsdk.DissociateEntityFromThingInput{ThingName: awsv1.String("t"), EntityType: awsv1.String("FLOW")})
			return err
		}, "entityType"},
		{"RoleArn too short", func() error {
			_, err := tg.CreateSystemInstanceWithContext(ctx, &tgsdk.CreateSystemInstanceInput{Definition: doc("{}"), Target: awsv1.String("CLOUD"), FlowActionsRoleArn: awsv1.String("arn:short")})
			return err
		}, "flowActionsRoleArn"},
		{"RoleArn too long", func() error {
			_, err := tg.CreateSystemInstanceWithContext(ctx, &tgsdk.CreateSystemInstanceInput{Definition: doc("{}"), Target: awsv1.String("CLOUD"), FlowActionsRoleArn: awsv1.String(long(2049))})
			return err
		}, "flowActionsRoleArn"},
		{"metricRuleRoleArn too short", func() error {
			_, err := tg.CreateSystemInstanceWithContext(ctx, &tgsdk.CreateSystemInstanceInput{Definition: doc("{}"), Target: awsv1.String("CLOUD"),
				FlowActionsRoleArn: awsv1.String("arn:aws:iam::000000000000:role/R"), MetricsConfiguration: &tgsdk.MetricsConfiguration{MetricRuleRoleArn: awsv1.String("x")}})
			return err
		}, "metricRuleRoleArn"},
		{"ResourceArn empty", func() error {
			_, err := tg.ListTagsForResourceWithContext(ctx, &tgsdk.ListTagsForResourceInput{ResourceArn: awsv1.String("")})
			return err
		}, "resourceArn"},
		{"ResourceArn too long", func() error {
			_, err := tg.ListTagsForResourceWithContext(ctx, &tgsdk.ListTagsForResourceInput{ResourceArn: awsv1.String(long(2049))})
			return err
		}, "resourceArn"},
		{"UploadId too long", func() error {
			_, err := tg.GetUploadStatusWithContext(ctx, &tgsdk.GetUploadStatusInput{UploadId: awsv1.String(long(41))})
			return err
		}, "uploadId"},
		{"UploadId empty", func() error {
			_, err := tg.GetUploadStatusWithContext(ctx, &tgsdk.GetUploadStatusInput{UploadId: awsv1.String("")})
			return err
		}, "uploadId"},
		{"NamespaceName too long", func() error {
			_, err := tg.DescribeNamespaceWithContext(ctx, &tgsdk.DescribeNamespaceInput{NamespaceName: awsv1.String(long(129))})
			return err
		}, "namespaceName"},
		{"GetEntities 26 ids", func() error {
			_, err := tg.GetEntitiesWithContext(ctx, &tgsdk.GetEntitiesInput{Ids: ids26})
			return err
		}, "ids"},
		{"GetEntities ids required", func() error {
			_, err := tg.GetEntitiesWithContext(ctx, &tgsdk.GetEntitiesInput{})
			return err
		}, "ids"},
		{"GetEntities bad id", func() error {
			_, err := tg.GetEntitiesWithContext(ctx, &tgsdk.GetEntitiesInput{Ids: []*string{awsv1.String("nope")}})
			return err
		}, "ids[0]"},
		{"DefinitionText too long", func() error {
			_, err := tg.UploadEntityDefinitionsWithContext(ctx, &tgsdk.UploadEntityDefinitionsInput{Document: doc("{" + long(1048576) + "}")})
			return err
		}, "document.text"},
		{"DefinitionDocument language", func() error {
			_, err := tg.CreateFlowTemplateWithContext(ctx, &tgsdk.CreateFlowTemplateInput{Definition: &tgsdk.DefinitionDocument{Language: awsv1.String("JSON"), Text: awsv1.String("{}")}})
			return err
		}, "definition.language"},
		{"definition required", func() error {
			_, err := tg.CreateSystemTemplateWithContext(ctx, &tgsdk.CreateSystemTemplateInput{})
			return err
		}, "definition"},
		{"target required", func() error {
			_, err := tg.CreateSystemInstanceWithContext(ctx, &tgsdk.CreateSystemInstanceInput{Definition: doc("{}")})
			return err
		}, "target"},
		{"entityTypes required", func() error {
			_, err := tg.SearchEntitiesWithContext(ctx, &tgsdk.SearchEntitiesInput{})
			return err
		}, "entityTypes"},
		{"entityTypes enum", func() error {
			_, err := tg.SearchEntitiesWithContext(ctx, &tgsdk.SearchEntitiesInput{EntityTypes: []*string{awsv1.String("FLOW")}})
			return err
		}, "entityTypes[0]"},
		{"entity filter name", func() error {
			_, err := tg.SearchEntitiesWithContext(ctx, &tgsdk.SearchEntitiesInput{EntityTypes: []*string{awsv1.String("DEVICE")},
				Filters: []*tgsdk.EntityFilter{{Name: awsv1.String("COLOR"), Value: []*string{awsv1.String("x")}}}})
			return err
		}, "filters[0].name"},
		{"flow filter value pattern", func() error {
			_, err := tg.SearchFlowTemplatesWithContext(ctx, &tgsdk.SearchFlowTemplatesInput{Filters: []*tgsdk.FlowTemplateFilter{{Name: awsv1.String("DEVICE_MODEL_ID"), Value: []*string{awsv1.String("x")}}}})
			return err
		}, "filters[0].value[0]"},
		{"system filter name", func() error {
			_, err := tg.SearchSystemTemplatesWithContext(ctx, &tgsdk.SearchSystemTemplatesInput{Filters: []*tgsdk.SystemTemplateFilter{{Name: awsv1.String("DEVICE_MODEL_ID"), Value: []*string{awsv1.String(ns + ":workflow:W")}}}})
			return err
		}, "filters[0].name"},
		{"instance filter status", func() error {
			_, err := tg.SearchSystemInstancesWithContext(ctx, &tgsdk.SearchSystemInstancesInput{Filters: []*tgsdk.SystemInstanceFilter{{Name: awsv1.String("STATUS"), Value: []*string{awsv1.String("RUNNING")}}}})
			return err
		}, "filters[0].value[0]"},
		{"SearchThings entityId required", func() error {
			_, err := tg.SearchThingsWithContext(ctx, &tgsdk.SearchThingsInput{})
			return err
		}, "entityId"},
		{"SearchFlowExecutions systemInstanceId required", func() error {
			_, err := tg.SearchFlowExecutionsWithContext(ctx, &tgsdk.SearchFlowExecutionsInput{})
			return err
		}, "systemInstanceId"},
		{"ListFlowExecutionMessages flowExecutionId required", func() error {
			_, err := tg.ListFlowExecutionMessagesWithContext(ctx, &tgsdk.ListFlowExecutionMessagesInput{})
			return err
		}, "flowExecutionId"},
		{"UpdateFlowTemplate id required", func() error {
			_, err := tg.UpdateFlowTemplateWithContext(ctx, &tgsdk.UpdateFlowTemplateInput{Definition: doc("{}")})
			return err
		}, "id"},
		{"namespaceVersion unknown", func() error {
			_, err := tg.SearchEntitiesWithContext(ctx, &tgsdk.SearchEntitiesInput{EntityTypes: []*string{awsv1.String("DEVICE")}, NamespaceVersion: awsv1.Int64(7)})
			return err
		}, "namespaceVersion"},
		{"compatibleNamespaceVersion unknown", func() error {
			_, err := tg.CreateFlowTemplateWithContext(ctx, &tgsdk.CreateFlowTemplateInput{Definition: doc(blinkFlow), CompatibleNamespaceVersion: awsv1.Int64(7)})
			return err
		}, "compatibleNamespaceVersion"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			if code(err) != "InvalidRequestException" || !strings.Contains(err.Error(), tt.member) {
				t.Errorf("%s = %v, want InvalidRequestException naming %s", tt.name, err, tt.member)
			}
		})
	}
}

// TestClientValidationStillApplies shows the validating client refuses a
// minimum itself (so the server-side checks above are the only line for
// other clients).
func TestClientValidationStillApplies(t *testing.T) {
	_, tg := newClient(t)
	_, err := tg.SearchFlowTemplatesWithContext(context.Background(), &tgsdk.SearchFlowTemplatesInput{MaxResults: awsv1.Int64(0)})
	if code(err) != request.InvalidParameterErrCode {
		t.Errorf("validating client = %v, want %s", err, request.InvalidParameterErrCode)
	}
}
