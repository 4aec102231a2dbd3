package thingsgraph_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/greengrass"
	ggtypes "github.com/aws/aws-sdk-go-v2/service/greengrass/types"
	"github.com/aws/aws-sdk-go-v2/service/iot"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	awsv1 "github.com/aws/aws-sdk-go/aws"
	credsv1 "github.com/aws/aws-sdk-go/aws/credentials"
	"github.com/aws/aws-sdk-go/aws/session"
	tgsdk "github.com/aws/aws-sdk-go/service/iotthingsgraph"

	ggfake "github.com/tgsim/tgsim/fakes/greengrass"
	"github.com/tgsim/tgsim/sim/harness"
)

// world is a started harness with the clients the tests use.
type world struct {
	t   *testing.T
	h   *harness.Harness
	tg  *tgsdk.IoTThingsGraph // the v1 client, validating as usual
	raw *tgsdk.IoTThingsGraph // the v1 client with its parameter validation off
	gg  *greengrass.Client
	iot *iot.Client
	s3  *s3.Client
}

func newWorld(t *testing.T) *world {
	t.Helper()
	h, tg := newClient(t)
	id, secret := h.Credentials()
	raw := tgsdk.New(session.Must(session.NewSession(&awsv1.Config{
		Region: awsv1.String(h.Region()), Endpoint: awsv1.String(h.URL),
		Credentials: credsv1.NewStaticCredentials(id, secret, ""),
		MaxRetries:  awsv1.Int(0), DisableParamValidation: awsv1.Bool(true),
		Logger: awsv1.LoggerFunc(func(...any) {}),
	})))
	return &world{t: t, h: h, tg: tg, raw: raw,
		gg:  greengrass.NewFromConfig(h.AWS, func(o *greengrass.Options) { o.BaseEndpoint = aws.String(h.URL) }),
		iot: iot.NewFromConfig(h.AWS, func(o *iot.Options) { o.BaseEndpoint = aws.String(h.URL) }),
		s3: s3.NewFromConfig(h.AWS, func(o *s3.Options) {
			o.BaseEndpoint = aws.String(h.URL)
			o.UsePathStyle = true
		}),
	}
}

// thing creates a thing with an active certificate.
func (w *world) thing(name string) (thingArn, certArn string) {
	w.t.Helper()
	ctx := context.Background()
	th, err := w.iot.CreateThing(ctx, &iot.CreateThingInput{ThingName: aws.String(name)})
	if err != nil {
		w.t.Fatal(err)
	}
	cert, err := w.iot.CreateKeysAndCertificate(ctx, &iot.CreateKeysAndCertificateInput{SetAsActive: true})
	if err != nil {
		w.t.Fatal(err)
	}
	if _, err := w.iot.AttachThingPrincipal(ctx, &iot.AttachThingPrincipalInput{ThingName: aws.String(name), Principal: cert.CertificateArn}); err != nil {
		w.t.Fatal(err)
	}
	return aws.ToString(th.ThingArn), aws.ToString(cert.CertificateArn)
}

// group creates a Greengrass group with a core definition and returns its id.
func (w *world) group(name string) string {
	w.t.Helper()
	ctx := context.Background()
	thingArn, certArn := w.thing(name + "_Core")
	cd, err := w.gg.CreateCoreDefinition(ctx, &greengrass.CreateCoreDefinitionInput{Name: aws.String(name + "-core"),
		InitialVersion: &ggtypes.CoreDefinitionVersion{Cores: []ggtypes.Core{{Id: aws.String("core"), ThingArn: aws.String(thingArn), CertificateArn: aws.String(certArn)}}}})
	if err != nil {
		w.t.Fatal(err)
	}
	g, err := w.gg.CreateGroup(ctx, &greengrass.CreateGroupInput{Name: aws.String(name), InitialVersion: &ggtypes.GroupVersion{CoreDefinitionVersionArn: cd.LatestVersionArn}})
	if err != nil {
		w.t.Fatal(err)
	}
	return aws.ToString(g.Id)
}

func (w *world) bucket(name string) {
	w.t.Helper()
	if _, err := w.s3.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		w.t.Fatal(err)
	}
}

// upload uploads a document and insists on SUCCEEDED; it returns the
// namespace version.
func (w *world) upload(text string) int64 {
	w.t.Helper()
	ctx := context.Background()
	out, err := w.tg.UploadEntityDefinitionsWithContext(ctx, &tgsdk.UploadEntityDefinitionsInput{Document: doc(text)})
	if err != nil {
		w.t.Fatal(err)
	}
	st, err := w.tg.GetUploadStatusWithContext(ctx, &tgsdk.GetUploadStatusInput{UploadId: out.UploadId})
	if err != nil {
		w.t.Fatal(err)
	}
	if awsv1.StringValue(st.UploadStatus) != "SUCCEEDED" {
		w.t.Fatalf("upload %s: %v", awsv1.StringValue(st.UploadStatus), awsv1.StringValueSlice(st.FailureReason))
	}
	return awsv1.Int64Value(st.NamespaceVersion)
}

// Flow, system and deployment of the lamp model.
var (
	blinkFlow = `{ query Blink($lamp: String!) @workflowType(id: "` + ns + `:workflow:Blink") {
  steps { step(name: "T") { DeviceActivity(deviceModel: "` + ns + `:deviceModel:Lamp", deviceId: "${lamp}") { toggle } } } } }`
	homeSystem = `{ type Home @systemType(id: "` + ns + `:system:Home") {
  lamp: Lamp @thing(id: "` + ns + `:deviceModel:Lamp")
  Blink: Blink @workflow(id: "` + ns + `:workflow:Blink") } }`
)

func deploymentDoc(name, thing string) string {
	return `{ query ` + name + ` @deployment(id: "` + ns + `:deployment:` + name + `", systemId: "` + ns + `:system:Home") { lamp(deviceId: "` + thing + `") } }`
}

// lampWorld uploads the lamp model, creates the flow and system, a
// Greengrass group "home" with a core, bucket "bkt" and thing Lamp1
// associated with AcmeLamp.
func lampWorld(t *testing.T) (*world, string) {
	w := newWorld(t)
	ctx := context.Background()
	w.upload(lampDoc)
	if _, err := w.tg.CreateFlowTemplateWithContext(ctx, &tgsdk.CreateFlowTemplateInput{Definition: doc(blinkFlow)}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.tg.CreateSystemTemplateWithContext(ctx, &tgsdk.CreateSystemTemplateInput{Definition: doc(homeSystem)}); err != nil {
		t.Fatal(err)
	}
	groupID := w.group("home")
	w.bucket("bkt")
	w.thing("Lamp1")
	if _, err := w.tg.AssociateEntityToThingWithContext(ctx, &tgsdk.AssociateEntityToThingInput{ThingName: awsv1.String("Lamp1"), EntityId: awsv1.String(ns + ":device:AcmeLamp")}); err != nil {
		t.Fatal(err)
	}
	return w, groupID
}

// instance creates a GREENGRASS instance named name bound to thing.
func (w *world) instance(name, thing string) string {
	w.t.Helper()
	out, err := w.tg.CreateSystemInstanceWithContext(context.Background(), &tgsdk.CreateSystemInstanceInput{Definition: doc(deploymentDoc(name, thing)),
		Target: awsv1.String("GREENGRASS"), GreengrassGroupName: awsv1.String("home"), S3BucketName: awsv1.String("bkt")})
	if err != nil {
		w.t.Fatal(err)
	}
	return awsv1.StringValue(out.Summary.Id)
}

// status reads an instance's status through GetSystemInstance.
func (w *world) status(id string) string {
	w.t.Helper()
	out, err := w.tg.GetSystemInstanceWithContext(context.Background(), &tgsdk.GetSystemInstanceInput{Id: awsv1.String(id)})
	if err != nil {
		w.t.Fatalf("GetSystemInstance(%s): %v", id, err)
	}
	return awsv1.StringValue(out.Description.Summary.Status)
}

// finishPending reports the outcome of the group's in-progress
// deployments, as a core would.
func (w *world) finishPending(groupID string, status ggfake.DeploymentStatus) {
	w.t.Helper()
	ctx := context.Background()
	deps, err := w.h.Greengrass.Deployments(ctx, groupID)
	if err != nil {
		w.t.Fatal(err)
	}
	n := 0
	for _, d := range deps {
		if d.Status == ggfake.StatusInProgress {
			if _, err := w.h.Greengrass.SetDeploymentStatus(ctx, groupID, d.DeploymentID, status, ""); err != nil {
				w.t.Fatal(err)
			}
			n++
		}
	}
	if n == 0 {
		w.t.Fatalf("group %s has no deployment in progress", groupID)
	}
}

// groupSubscriptions returns the subscriptions of the group's latest version.
func (w *world) groupSubscriptions(groupID string) []ggtypes.Subscription {
	w.t.Helper()
	gv := w.latestGroupVersion(groupID)
	arn := aws.ToString(gv.SubscriptionDefinitionVersionArn)
	if arn == "" {
		return nil
	}
	id, vid := defIDs(w.t, arn, "subscriptions")
	out, err := w.gg.GetSubscriptionDefinitionVersion(context.Background(), &greengrass.GetSubscriptionDefinitionVersionInput{SubscriptionDefinitionId: &id, SubscriptionDefinitionVersionId: &vid})
	if err != nil {
		w.t.Fatal(err)
	}
	return out.Definition.Subscriptions
}

func (w *world) groupFunctions(groupID string) []ggtypes.Function {
	w.t.Helper()
	gv := w.latestGroupVersion(groupID)
	arn := aws.ToString(gv.FunctionDefinitionVersionArn)
	if arn == "" {
		return nil
	}
	id, vid := defIDs(w.t, arn, "functions")
	out, err := w.gg.GetFunctionDefinitionVersion(context.Background(), &greengrass.GetFunctionDefinitionVersionInput{FunctionDefinitionId: &id, FunctionDefinitionVersionId: &vid})
	if err != nil {
		w.t.Fatal(err)
	}
	return out.Definition.Functions
}

func (w *world) latestGroupVersion(groupID string) *ggtypes.GroupVersion {
	w.t.Helper()
	ctx := context.Background()
	g, err := w.gg.GetGroup(ctx, &greengrass.GetGroupInput{GroupId: &groupID})
	if err != nil {
		w.t.Fatal(err)
	}
	gv, err := w.gg.GetGroupVersion(ctx, &greengrass.GetGroupVersionInput{GroupId: &groupID, GroupVersionId: g.LatestVersion})
	if err != nil {
		w.t.Fatal(err)
	}
	return gv.Definition
}

func defIDs(t *testing.T, arn, kind string) (string, string) {
	_, rest, ok := strings.Cut(arn, "/greengrass/definition/"+kind+"/")
	id, vid, ok2 := strings.Cut(rest, "/versions/")
	if !ok || !ok2 {
		t.Fatalf("%q is not a %s definition version ARN", arn, kind)
	}
	return id, vid
}

func propertiesDoc(names ...string) string {
	var b strings.Builder
	b.WriteString("{\n")
	for _, n := range names {
		fmt.Fprintf(&b, "type %s @propertyType(id: \"%s:property:%s\", dataType: STRING) {ignore:void}\n", n, ns, n)
	}
	b.WriteString("}")
	return b.String()
}

func sha256hex(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

func benchClient(h *harness.Harness) *tgsdk.IoTThingsGraph {
	id, secret := h.Credentials()
	return tgsdk.New(session.Must(session.NewSession(&awsv1.Config{
		Region: awsv1.String(h.Region()), Endpoint: awsv1.String(h.URL),
		Credentials: credsv1.NewStaticCredentials(id, secret, ""),
		MaxRetries:  awsv1.Int(0), Logger: awsv1.LoggerFunc(func(...any) {}),
	})))
}
