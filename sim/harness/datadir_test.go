package harness_test

import (
	"context"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/greengrass"
	ggtypes "github.com/aws/aws-sdk-go-v2/service/greengrass/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iot"
	s3sdk "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	awsv1 "github.com/aws/aws-sdk-go/aws"
	credsv1 "github.com/aws/aws-sdk-go/aws/credentials"
	"github.com/aws/aws-sdk-go/aws/session"
	"github.com/aws/aws-sdk-go/service/iotthingsgraph"

	"github.com/tgsim/tgsim/sim/harness"
)

// clients are the official SDK clients pointed at a harness.
type clients struct {
	iam *iam.Client
	iot *iot.Client
	gg  *greengrass.Client
	s3  *s3sdk.Client
}

func newClients(h *harness.Harness, cfg aws.Config) clients {
	return clients{
		iam: iam.NewFromConfig(cfg, func(o *iam.Options) { o.BaseEndpoint = aws.String(h.URL) }),
		iot: iot.NewFromConfig(cfg, func(o *iot.Options) { o.BaseEndpoint = aws.String(h.URL) }),
		gg:  greengrass.NewFromConfig(cfg, func(o *greengrass.Options) { o.BaseEndpoint = aws.String(h.URL) }),
		s3:  s3sdk.NewFromConfig(cfg, func(o *s3sdk.Options) { o.BaseEndpoint = aws.String(h.URL); o.UsePathStyle = true }),
	}
}

// persisted names what TestDataDirKeepsState created.
type persisted struct {
	userKeyID, userSecret string
	policyArn             string
	certID, certPEM       string
	groupID, versionID    string
}

// snapshot reads back, through the SDK, everything the test created, as
// JSON per call (SDK outputs without their result metadata).
func snapshot(t *testing.T, c clients, p persisted) map[string]string {
	t.Helper()
	ctx := context.Background()
	out := map[string]string{}
	add := func(name string, v any, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		out[name] = string(b)
	}
	u, err := c.iam.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("alice")})
	add("iam GetUser", u.User, err)
	keys, err := c.iam.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String("alice")})
	add("iam ListAccessKeys", keys.AccessKeyMetadata, err)
	pol, err := c.iam.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(p.policyArn)})
	add("iam GetPolicy", pol.Policy, err)
	pv, err := c.iam.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: aws.String(p.policyArn), VersionId: pol.Policy.DefaultVersionId})
	add("iam GetPolicyVersion", pv.PolicyVersion, err)
	att, err := c.iam.ListAttachedUserPolicies(ctx, &iam.ListAttachedUserPoliciesInput{UserName: aws.String("alice")})
	add("iam ListAttachedUserPolicies", att.AttachedPolicies, err)

	th, err := c.iot.DescribeThing(ctx, &iot.DescribeThingInput{ThingName: aws.String("sensor")})
	add("iot DescribeThing", th, err)
	cert, err := c.iot.DescribeCertificate(ctx, &iot.DescribeCertificateInput{CertificateId: aws.String(p.certID)})
	add("iot DescribeCertificate", cert.CertificateDescription, err)
	pr, err := c.iot.ListThingPrincipals(ctx, &iot.ListThingPrincipalsInput{ThingName: aws.String("sensor")})
	add("iot ListThingPrincipals", pr.Principals, err)

	g, err := c.gg.GetGroup(ctx, &greengrass.GetGroupInput{GroupId: aws.String(p.groupID)})
	add("greengrass GetGroup", g, err)
	gv, err := c.gg.GetGroupVersion(ctx, &greengrass.GetGroupVersionInput{GroupId: aws.String(p.groupID), GroupVersionId: aws.String(p.versionID)})
	add("greengrass GetGroupVersion", gv, err)
	ci, err := c.gg.GetConnectivityInfo(ctx, &greengrass.GetConnectivityInfoInput{ThingName: aws.String("core")})
	add("greengrass GetConnectivityInfo", ci.ConnectivityInfo, err)

	buckets, err := c.s3.ListBuckets(ctx, &s3sdk.ListBucketsInput{})
	add("s3 ListBuckets", buckets.Buckets, err)
	obj, err := c.s3.GetObject(ctx, &s3sdk.GetObjectInput{Bucket: aws.String("keep"), Key: aws.String("dir/obj.txt")})
	if err != nil {
		t.Fatalf("s3 GetObject: %v", err)
	}
	body, err := io.ReadAll(obj.Body)
	obj.Body.Close()
	add("s3 GetObject", map[string]any{"body": string(body), "etag": obj.ETag, "type": obj.ContentType, "length": obj.ContentLength,
		"modified": obj.LastModified, "metadata": obj.Metadata}, err)
	return out
}

func TestDataDirKeepsState(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	ctx := context.Background()
	h, err := harness.Start(harness.Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	closed := false
	t.Cleanup(func() {
		if !closed {
			h.Close()
		}
	})
	c := newClients(h, h.AWS)
	var p persisted

	// IAM: a user with an access key and a managed policy.
	if _, err := c.iam.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("alice")}); err != nil {
		t.Fatal(err)
	}
	key, err := c.iam.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("alice")})
	if err != nil {
		t.Fatal(err)
	}
	p.userKeyID, p.userSecret = aws.ToString(key.AccessKey.AccessKeyId), aws.ToString(key.AccessKey.SecretAccessKey)
	pol, err := c.iam.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("list-buckets"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListAllMyBuckets","Resource":"*"}]}`)})
	if err != nil {
		t.Fatal(err)
	}
	p.policyArn = aws.ToString(pol.Policy.Arn)
	if _, err := c.iam.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("alice"), PolicyArn: pol.Policy.Arn}); err != nil {
		t.Fatal(err)
	}

	// IoT: a thing with a certificate attached.
	if _, err := c.iot.CreateThing(ctx, &iot.CreateThingInput{ThingName: aws.String("sensor")}); err != nil {
		t.Fatal(err)
	}
	kc, err := c.iot.CreateKeysAndCertificate(ctx, &iot.CreateKeysAndCertificateInput{SetAsActive: true})
	if err != nil {
		t.Fatal(err)
	}
	p.certID, p.certPEM = aws.ToString(kc.CertificateId), aws.ToString(kc.CertificatePem)
	if _, err := c.iot.AttachThingPrincipal(ctx, &iot.AttachThingPrincipalInput{ThingName: aws.String("sensor"), Principal: kc.CertificateArn}); err != nil {
		t.Fatal(err)
	}

	// Greengrass: a group, a group version and a core's connectivity info.
	g, err := c.gg.CreateGroup(ctx, &greengrass.CreateGroupInput{Name: aws.String("home")})
	if err != nil {
		t.Fatal(err)
	}
	p.groupID = aws.ToString(g.Id)
	gv, err := c.gg.CreateGroupVersion(ctx, &greengrass.CreateGroupVersionInput{GroupId: g.Id})
	if err != nil {
		t.Fatal(err)
	}
	p.versionID = aws.ToString(gv.Version)
	if _, err := c.gg.UpdateConnectivityInfo(ctx, &greengrass.UpdateConnectivityInfoInput{ThingName: aws.String("core"),
		ConnectivityInfo: []ggtypes.ConnectivityInfo{{Id: aws.String("c1"), HostAddress: aws.String("127.0.0.1"), PortNumber: aws.Int32(8883), Metadata: aws.String("m")}}}); err != nil {
		t.Fatal(err)
	}

	// S3: a bucket and an object.
	if _, err := c.s3.CreateBucket(ctx, &s3sdk.CreateBucketInput{Bucket: aws.String("keep")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.s3.PutObject(ctx, &s3sdk.PutObjectInput{Bucket: aws.String("keep"), Key: aws.String("dir/obj.txt"),
		Body: strings.NewReader("kept across restarts"), ContentType: aws.String("text/plain"), Metadata: map[string]string{"k": "v"}}); err != nil {
		t.Fatal(err)
	}

	// Things Graph (aws-sdk-go v1, the only client with the service): a
	// namespace synced with the public one, and a flow template in it.
	tg := thingsGraphClient(t, h)
	if _, err := tg.UploadEntityDefinitionsWithContext(ctx, &iotthingsgraph.UploadEntityDefinitionsInput{SyncWithPublicNamespace: awsv1.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	keptFlow, err := os.ReadFile("../../scenarios/motion-camera/security-flow.workflow.graphql")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tg.CreateFlowTemplateWithContext(ctx, &iotthingsgraph.CreateFlowTemplateInput{Definition: &iotthingsgraph.DefinitionDocument{
		Language: awsv1.String("GRAPHQL"), Text: awsv1.String(string(keptFlow))}}); err != nil {
		t.Fatal(err)
	}
	tgSnapshot := func(h *harness.Harness) string {
		tg := thingsGraphClient(t, h)
		ns, err := tg.DescribeNamespaceWithContext(ctx, &iotthingsgraph.DescribeNamespaceInput{})
		if err != nil {
			t.Fatal(err)
		}
		flows, err := tg.SearchFlowTemplatesWithContext(ctx, &iotthingsgraph.SearchFlowTemplatesInput{})
		if err != nil {
			t.Fatal(err)
		}
		if len(flows.Summaries) != 1 {
			t.Fatalf("SearchFlowTemplates = %d flows, want 1", len(flows.Summaries))
		}
		return ns.String() + flows.String()
	}
	tgBefore := tgSnapshot(h)

	before := snapshot(t, c, p)
	if err := h.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	closed = true

	h2, err := harness.Start(harness.Options{DataDir: dir})
	if err != nil {
		t.Fatalf("Start again: %v", err)
	}
	t.Cleanup(func() { h2.Close() })
	c2 := newClients(h2, h2.AWS)
	after := snapshot(t, c2, p)
	if got := tgSnapshot(h2); got != tgBefore {
		t.Errorf("Things Graph after restart:\n got %s\nwant %s", got, tgBefore)
	}
	for _, name := range slices.Sorted(maps.Keys(before)) {
		if before[name] != after[name] {
			t.Errorf("%s after restart:\n got %s\nwant %s", name, after[name], before[name])
		}
	}

	// The user's key still authenticates, and the managed policy applies.
	userCfg := h2.AWS.Copy()
	userCfg.Credentials = credentials.NewStaticCredentialsProvider(p.userKeyID, p.userSecret, "")
	id, err := sts.NewFromConfig(userCfg, func(o *sts.Options) { o.BaseEndpoint = aws.String(h2.URL) }).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatalf("GetCallerIdentity with alice's key after restart: %v", err)
	}
	if got, want := aws.ToString(id.Arn), "arn:aws:iam::000000000000:user/alice"; got != want {
		t.Errorf("caller = %s, want %s", got, want)
	}
	if _, err := newClients(h2, userCfg).s3.ListBuckets(ctx, &s3sdk.ListBucketsInput{}); err != nil {
		t.Errorf("ListBuckets as alice after restart: %v", err)
	}

	// The account CA was kept: the old certificate still verifies.
	blk, _ := pem.Decode([]byte(p.certPEM))
	if blk == nil {
		t.Fatal("certificate PEM does not decode")
	}
	things, certID, err := h2.IoT.VerifyClientCertificate(blk.Bytes)
	if err != nil {
		t.Fatalf("VerifyClientCertificate after restart: %v", err)
	}
	if certID != p.certID || !slices.Equal(things, []string{"sensor"}) {
		t.Errorf("VerifyClientCertificate = %v, %s; want [sensor], %s", things, certID, p.certID)
	}
}

func TestDataDirLockedBySecondHarness(t *testing.T) {
	dir := t.TempDir()
	h, err := harness.Start(harness.Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	start := time.Now()
	h2, err := harness.Start(harness.Options{DataDir: dir})
	if err == nil {
		h2.Close()
		t.Fatal("a second harness on the same DataDir started")
	}
	want := filepath.Join(dir, harness.IAMFile) + " is locked by another process"
	if !strings.Contains(err.Error(), want) {
		t.Errorf("error = %v, want it to contain %q", err, want)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("second Start took %s, want the one-second lock timeout", d)
	}
}

func TestDataDirCreatedPrivate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "b")
	h, err := harness.Start(harness.Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := st.Mode().Perm(); got != 0o700 {
		t.Errorf("data dir mode = %o, want 700", got)
	}
	for _, f := range []string{harness.IAMFile, harness.IoTFile, harness.GreengrassFile, harness.ThingsGraphFile, filepath.Join(harness.S3Dir, "s3.db")} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
	// Close released every file: the directory opens again.
	h2, err := harness.Start(harness.Options{DataDir: dir})
	if err != nil {
		t.Fatal(fmt.Errorf("Start after Close: %w", err))
	}
	h2.Close()
}

func TestDataDirRestartsDeployedCores(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	h, err := harness.Start(harness.Options{DataDir: dir, AutoCores: true})
	if err != nil {
		t.Fatal(err)
	}
	closed := false
	t.Cleanup(func() {
		if !closed {
			h.Close()
		}
	})
	iotc := iot.NewFromConfig(h.AWS, func(o *iot.Options) { o.BaseEndpoint = aws.String(h.URL) })
	gg := greengrass.NewFromConfig(h.AWS, func(o *greengrass.Options) { o.BaseEndpoint = aws.String(h.URL) })
	core := newThing(t, ctx, iotc, "home_Core")
	cd, err := gg.CreateCoreDefinition(ctx, &greengrass.CreateCoreDefinitionInput{InitialVersion: &ggtypes.CoreDefinitionVersion{Cores: []ggtypes.Core{
		{Id: aws.String("core"), ThingArn: aws.String(core.arn), CertificateArn: aws.String(core.certArn)}}}})
	if err != nil {
		t.Fatal(err)
	}
	g, err := gg.CreateGroup(ctx, &greengrass.CreateGroupInput{Name: aws.String("home"), InitialVersion: &ggtypes.GroupVersion{CoreDefinitionVersionArn: cd.LatestVersionArn}})
	if err != nil {
		t.Fatal(err)
	}
	// A group never deployed gets no core, before or after the restart.
	if _, err := gg.CreateGroup(ctx, &greengrass.CreateGroupInput{Name: aws.String("idle"), InitialVersion: &ggtypes.GroupVersion{CoreDefinitionVersionArn: cd.LatestVersionArn}}); err != nil {
		t.Fatal(err)
	}
	dep, err := gg.CreateDeployment(ctx, &greengrass.CreateDeploymentInput{GroupId: g.Id, GroupVersionId: g.LatestVersion, DeploymentType: ggtypes.DeploymentTypeNewDeployment})
	if err != nil {
		t.Fatal(err)
	}
	waitCoreDeployed := func(h *harness.Harness) {
		t.Helper()
		wctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		defer cancel()
		var rc *harness.RunningCore
		for rc = h.Core("home"); rc == nil; rc = h.Core("home") {
			select {
			case <-wctx.Done():
				t.Fatal("no core started for group home")
			case <-time.After(10 * time.Millisecond):
			}
		}
		if res, err := rc.WaitDeployment(wctx, aws.ToString(dep.DeploymentId)); err != nil || res.Status != "Success" {
			t.Fatalf("deployment on the core = %+v, %v", res, err)
		}
	}
	waitCoreDeployed(h)
	// The core's status report reaches the control plane before Close.
	for {
		st, err := gg.GetDeploymentStatus(ctx, &greengrass.GetDeploymentStatusInput{GroupId: g.Id, DeploymentId: dep.DeploymentId})
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToString(st.DeploymentStatus) == "Success" {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
	closed = true

	h2, err := harness.Start(harness.Options{DataDir: dir, AutoCores: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h2.Close() })
	waitCoreDeployed(h2)
	if c := h2.Core("idle"); c != nil {
		t.Errorf("group idle, never deployed, got a core after restart")
	}
}

// thingsGraphClient is the v1 Things Graph client, root credentials.
func thingsGraphClient(t *testing.T, h *harness.Harness) *iotthingsgraph.IoTThingsGraph {
	t.Helper()
	creds, err := h.AWS.Credentials.Retrieve(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	sess, err := session.NewSession(&awsv1.Config{
		Region: awsv1.String(h.AWS.Region), Endpoint: awsv1.String(h.URL), MaxRetries: awsv1.Int(0),
		// Not the "has been deprecated" line on every call.
		Logger:      awsv1.LoggerFunc(func(...any) {}),
		Credentials: credsv1.NewStaticCredentials(creds.AccessKeyID, creds.SecretAccessKey, ""),
	})
	if err != nil {
		t.Fatal(err)
	}
	return iotthingsgraph.New(sess)
}
