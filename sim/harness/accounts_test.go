package harness_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iot"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	awsv1 "github.com/aws/aws-sdk-go/aws"
	credsv1 "github.com/aws/aws-sdk-go/aws/credentials"
	"github.com/aws/aws-sdk-go/aws/session"
	"github.com/aws/aws-sdk-go/service/iotthingsgraph"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/tgsim/tgsim/fakes/edge"
	"github.com/tgsim/tgsim/sim/harness"
)

// TestSecondAccount: a second account's root is itself to STS, has a
// Things Graph namespace of its own that sees none of the first
// account's entities, and is refused by the services that hold one
// account's state.
func TestSecondAccount(t *testing.T) {
	other := edge.Account{ID: "111111111111", AccessKeyID: "OTHERKEY", SecretAccessKey: "othersecret"}
	h, err := harness.Start(harness.Options{Accounts: []edge.Account{other}})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	ctx := context.Background()

	const model = `{type Gadget @deviceModel(id: "urn:tdm:us-east-1/000000000000/default:deviceModel:Gadget", capability: "urn:tdm:aws/examples:capability:ScreenCapability") {ignore: void}}`
	mine := thingsGraphClient(t, h)
	upload(t, mine, model)

	sess := session.Must(session.NewSession(&awsv1.Config{
		Region: awsv1.String(h.AWS.Region), Endpoint: awsv1.String(h.URL), MaxRetries: awsv1.Int(0),
		Logger:      awsv1.LoggerFunc(func(...any) {}),
		Credentials: credsv1.NewStaticCredentials(other.AccessKeyID, other.SecretAccessKey, ""),
	}))
	theirs := iotthingsgraph.New(sess)
	if _, err := theirs.DescribeNamespace(&iotthingsgraph.DescribeNamespaceInput{}); err == nil {
		t.Error("the other account has a namespace before its first upload")
	}
	upload(t, theirs, strings.ReplaceAll(model, "000000000000", other.ID))
	ns, err := theirs.DescribeNamespace(&iotthingsgraph.DescribeNamespaceInput{})
	if err != nil {
		t.Fatal(err)
	}
	if got := awsv1.StringValue(ns.NamespaceArn); got != "arn:aws:iotthingsgraph:us-east-1:111111111111:Namespace/default" {
		t.Errorf("the other account's namespace ARN = %q", got)
	}
	if _, err := theirs.GetEntities(&iotthingsgraph.GetEntitiesInput{Ids: []*string{awsv1.String("urn:tdm:us-east-1/000000000000/default:deviceModel:Gadget")}}); err == nil {
		t.Error("the other account read the first account's entity")
	}
	found, err := theirs.SearchEntities(&iotthingsgraph.SearchEntitiesInput{EntityTypes: []*string{awsv1.String("DEVICE_MODEL")}})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range found.Descriptions {
		if id := awsv1.StringValue(d.Id); strings.Contains(id, "000000000000") {
			t.Errorf("the other account's SearchEntities lists %s", id)
		}
	}
	got, err := mine.GetEntities(&iotthingsgraph.GetEntitiesInput{Ids: []*string{awsv1.String("urn:tdm:us-east-1/000000000000/default:deviceModel:Gadget")}})
	if err != nil || len(got.Descriptions) != 1 {
		t.Errorf("the first account's own GetEntities = %v, %v", got, err)
	}

	cfg := h.AWS.Copy()
	cfg.Credentials = credentials.NewStaticCredentialsProvider(other.AccessKeyID, other.SecretAccessKey, "")
	id, err := sts.NewFromConfig(cfg, func(o *sts.Options) { o.BaseEndpoint = aws.String(h.URL) }).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(id.Account) != other.ID || aws.ToString(id.Arn) != "arn:aws:iam::111111111111:root" {
		t.Errorf("GetCallerIdentity = %s %s", aws.ToString(id.Account), aws.ToString(id.Arn))
	}
	_, err = iot.NewFromConfig(cfg, func(o *iot.Options) { o.BaseEndpoint = aws.String(h.URL) }).ListThings(ctx, &iot.ListThingsInput{})
	var api smithy.APIError
	var resp *smithyhttp.ResponseError
	if !errors.As(err, &api) || api.ErrorCode() != "NotImplemented" || !errors.As(err, &resp) || resp.HTTPStatusCode() != http.StatusNotImplemented {
		t.Errorf("the other account's iot ListThings = %v, want 501 NotImplemented", err)
	}
}

// upload uploads a TDM document and waits for it to succeed.
func upload(t *testing.T, tg *iotthingsgraph.IoTThingsGraph, doc string) {
	t.Helper()
	up, err := tg.UploadEntityDefinitions(&iotthingsgraph.UploadEntityDefinitionsInput{
		Document: &iotthingsgraph.DefinitionDocument{Language: awsv1.String("GRAPHQL"), Text: awsv1.String(doc)},
	})
	if err != nil {
		t.Fatal(err)
	}
	for {
		st, err := tg.GetUploadStatus(&iotthingsgraph.GetUploadStatusInput{UploadId: up.UploadId})
		if err != nil {
			t.Fatal(err)
		}
		if s := awsv1.StringValue(st.UploadStatus); s != "IN_PROGRESS" {
			if s != "SUCCEEDED" {
				t.Fatalf("upload %s: %v", s, awsv1.StringValueSlice(st.FailureReason))
			}
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
}
