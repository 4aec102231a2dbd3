package main

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/greengrass"
	ggtypes "github.com/aws/aws-sdk-go-v2/service/greengrass/types"
	"github.com/aws/aws-sdk-go-v2/service/iot"
	iottypes "github.com/aws/aws-sdk-go-v2/service/iot/types"
	s3sdk "github.com/aws/aws-sdk-go-v2/service/s3"
	awsv1 "github.com/aws/aws-sdk-go/aws"
	credsv1 "github.com/aws/aws-sdk-go/aws/credentials"
	"github.com/aws/aws-sdk-go/aws/session"
	"github.com/aws/aws-sdk-go/service/iotthingsgraph"

	"github.com/tgsim/tgsim/sim/device"
	"github.com/tgsim/tgsim/sim/harness"
)

// TestCoreProcess runs the guide's motion → camera → screen flow through a
// Greengrass core that is its own process (`tgsim core`), against a
// harness that runs no core: the core gets its server certificate from the
// group CA over the core channel, follows the deployment, verifies the
// devices' certificates against the IoT registry through the SDK, hosts
// the Things Graph runtime and reports the execution.
func TestCoreProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping: builds and runs the tgsim binary")
	}
	bin := buildTgsim(t)
	h, err := harness.Start(harness.Options{CoreTLS: true}) // AutoCores off: no core in this process
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	const group, bucket = "remote", "remote-flows"

	// The core starts first and waits for its group, as a device booted
	// before provisioning does.
	mqttAddr := freeAddr(t)
	id, secret := h.Credentials()
	cmd := exec.Command(bin, "core", "--group", group, "--endpoint", h.URL, "--mqtt-addr", mqttAddr,
		"--access-key", id, "--secret-key", secret, "--region", h.Region(), "--log-level", "debug")
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-exited:
			if err != nil {
				t.Errorf("tgsim core after SIGTERM: %v\n%s", err, out.String())
			}
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			t.Errorf("tgsim core did not stop within 10s of SIGTERM\n%s", out.String())
		}
	})
	fail := func(format string, args ...any) {
		t.Helper()
		t.Fatalf(format+"\n--- tgsim core output:\n%s", append(args, out.String())...)
	}

	dir := filepath.Join("..", "..", "scenarios", "motion-camera")
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	sess, err := session.NewSession(&awsv1.Config{Region: awsv1.String(h.Region()), Endpoint: awsv1.String(h.URL),
		Credentials: credsv1.NewStaticCredentials(id, secret, ""), MaxRetries: awsv1.Int(0), Logger: awsv1.LoggerFunc(func(...any) {})})
	if err != nil {
		t.Fatal(err)
	}
	tg := iotthingsgraph.New(sess)
	ep := aws.String(h.URL)
	iotc := iot.NewFromConfig(h.AWS, func(o *iot.Options) { o.BaseEndpoint = ep })
	gg := greengrass.NewFromConfig(h.AWS, func(o *greengrass.Options) { o.BaseEndpoint = ep })
	s3c := s3sdk.NewFromConfig(h.AWS, func(o *s3sdk.Options) { o.BaseEndpoint = ep; o.UsePathStyle = true })

	certs := map[string]tls.Certificate{}
	thing := func(name string) (arn, certArn string) {
		th, err := iotc.CreateThing(ctx, &iot.CreateThingInput{ThingName: aws.String(name)})
		if err != nil {
			t.Fatal(err)
		}
		c, err := iotc.CreateKeysAndCertificate(ctx, &iot.CreateKeysAndCertificateInput{SetAsActive: true})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := iotc.AttachThingPrincipal(ctx, &iot.AttachThingPrincipalInput{ThingName: aws.String(name), Principal: c.CertificateArn}); err != nil {
			t.Fatal(err)
		}
		pair, err := tls.X509KeyPair([]byte(aws.ToString(c.CertificatePem)), []byte(aws.ToString(c.KeyPair.PrivateKey)))
		if err != nil {
			t.Fatal(err)
		}
		certs[name] = pair
		return aws.ToString(th.ThingArn), aws.ToString(c.CertificateArn)
	}
	if _, err := s3c.CreateBucket(ctx, &s3sdk.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	coreArn, coreCert := thing(group + "_Core")
	cd, err := gg.CreateCoreDefinition(ctx, &greengrass.CreateCoreDefinitionInput{InitialVersion: &ggtypes.CoreDefinitionVersion{Cores: []ggtypes.Core{
		{Id: aws.String("core"), ThingArn: aws.String(coreArn), CertificateArn: aws.String(coreCert)}}}})
	if err != nil {
		t.Fatal(err)
	}
	g, err := gg.CreateGroup(ctx, &greengrass.CreateGroupInput{Name: aws.String(group), InitialVersion: &ggtypes.GroupVersion{CoreDefinitionVersionArn: cd.LatestVersionArn}})
	if err != nil {
		t.Fatal(err)
	}
	groupID := aws.ToString(g.Id)
	doc := func(text string) *iotthingsgraph.DefinitionDocument {
		return &iotthingsgraph.DefinitionDocument{Language: awsv1.String("GRAPHQL"), Text: awsv1.String(text)}
	}
	if _, err := tg.CreateFlowTemplateWithContext(ctx, &iotthingsgraph.CreateFlowTemplateInput{Definition: doc(read("security-flow.workflow.graphql"))}); err != nil {
		t.Fatal(err)
	}
	if _, err := tg.CreateSystemTemplateWithContext(ctx, &iotthingsgraph.CreateSystemTemplateInput{Definition: doc(read("security-flow.system.graphql"))}); err != nil {
		t.Fatal(err)
	}
	for kind, entity := range map[string]string{"Motion": "urn:tdm:aws/examples:Device:HCSR501MotionSensor", "Camera": "urn:tdm:aws/examples:Device:RaspberryPiCamera", "Screen": "urn:tdm:aws/examples:Device:RaspberryPiScreen"} {
		thing("Room215" + kind)
		if _, err := tg.AssociateEntityToThingWithContext(ctx, &iotthingsgraph.AssociateEntityToThingInput{ThingName: awsv1.String("Room215" + kind), EntityId: awsv1.String(entity)}); err != nil {
			t.Fatal(err)
		}
	}
	si, err := tg.CreateSystemInstanceWithContext(ctx, &iotthingsgraph.CreateSystemInstanceInput{Definition: doc(read("room215.deployment.graphql")), Target: awsv1.String("GREENGRASS"),
		GreengrassGroupName: awsv1.String(group), S3BucketName: awsv1.String(bucket)})
	if err != nil {
		t.Fatal(err)
	}
	dep, err := tg.DeploySystemInstanceWithContext(ctx, &iotthingsgraph.DeploySystemInstanceInput{Id: si.Summary.Id})
	if err != nil {
		t.Fatal(err)
	}
	deploymentID := awsv1.StringValue(dep.GreengrassDeploymentId)

	// The core in the other process applies it and reports Success.
	for {
		st, err := gg.GetDeploymentStatus(ctx, &greengrass.GetDeploymentStatusInput{GroupId: &groupID, DeploymentId: &deploymentID})
		if err != nil {
			fail("GetDeploymentStatus: %v", err)
		}
		if s := aws.ToString(st.DeploymentStatus); s == "Success" {
			break
		} else if s == "Failure" {
			fail("deployment failed: %s", aws.ToString(st.ErrorMessage))
		}
		if ctx.Err() != nil {
			fail("deployment status still %q", aws.ToString(st.DeploymentStatus))
		}
		time.Sleep(50 * time.Millisecond)
	}
	if h.Core(group) != nil {
		t.Fatal("the harness started a core of its own")
	}

	// Discovery finds the core where it listens.
	host, port, _ := net.SplitHostPort(mqttAddr)
	for {
		ci, err := gg.GetConnectivityInfo(ctx, &greengrass.GetConnectivityInfoInput{ThingName: aws.String(group + "_Core")})
		if err == nil && len(ci.ConnectivityInfo) == 1 && aws.ToString(ci.ConnectivityInfo[0].HostAddress) == host &&
			strconv.Itoa(int(aws.ToInt32(ci.ConnectivityInfo[0].PortNumber))) == port {
			break
		}
		if ctx.Err() != nil {
			fail("connectivity info of the core thing: %v %v, want %s", ci, err, mqttAddr)
		}
		time.Sleep(50 * time.Millisecond)
	}

	// Devices trust the group CA and present their AWS IoT certificates.
	roots := x509.NewCertPool()
	cas, err := gg.ListGroupCertificateAuthorities(ctx, &greengrass.ListGroupCertificateAuthoritiesInput{GroupId: &groupID})
	if err != nil {
		t.Fatal(err)
	}
	for _, ca := range cas.GroupCertificateAuthorities {
		got, err := gg.GetGroupCertificateAuthority(ctx, &greengrass.GetGroupCertificateAuthorityInput{GroupId: &groupID, CertificateAuthorityId: ca.GroupCertificateAuthorityId})
		if err != nil {
			t.Fatal(err)
		}
		roots.AppendCertsFromPEM([]byte(aws.ToString(got.PemEncodedCertificate)))
	}
	connect := func(name string, o device.Options) *device.Device {
		o.ThingName, o.Broker = name, mqttAddr
		o.TLS = &tls.Config{RootCAs: roots, Certificates: []tls.Certificate{certs[name]}, MinVersion: tls.VersionTLS12}
		d, err := device.Connect(ctx, o)
		if err != nil {
			fail("connecting %s to the core: %v", name, err)
		}
		t.Cleanup(d.Close)
		return d
	}
	connect("Room215Camera", device.Options{Actions: []device.Action{{Name: "capture", RequestTopic: "Room215Camera/capture", ResponseTopic: "Room215Camera/capture/finished",
		Respond: func(int, []byte) []byte { return []byte(`{"lastClickedImage":"https://images.example/remote.jpg"}`) }}}})
	screen := connect("Room215Screen", device.Options{Actions: []device.Action{{Name: "display", RequestTopic: "Room215Screen/display"}}})
	motion := connect("Room215Motion", device.Options{Events: []device.Event{{Name: "StateChanged", Topic: "Room215Motion/motion"}}})

	// A device presenting another thing's certificate is refused.
	bad := &tls.Config{RootCAs: roots, Certificates: []tls.Certificate{certs["Room215Camera"]}, MinVersion: tls.VersionTLS12}
	if d, err := device.Connect(ctx, device.Options{ThingName: "Room215Motion", Broker: mqttAddr, TLS: bad, Timeout: 2 * time.Second}); err == nil {
		d.Close()
		fail("Room215Motion connected with Room215Camera's certificate")
	}

	if err := motion.Emit(ctx, "StateChanged", []byte(`{"isMotionDetected":true}`)); err != nil {
		t.Fatal(err)
	}
	wctx, wcancel := context.WithTimeout(ctx, 15*time.Second)
	defer wcancel()
	if err := screen.WaitReceived(wctx, func(r []device.Received) bool { return len(r) > 0 }); err != nil {
		fail("the screen got no display request: %v", err)
	}
	if got := screen.Received(); !strings.Contains(string(got[0].Payload), "https://images.example/remote.jpg") {
		t.Errorf("screen received %s, want the camera's image", got[0].Payload)
	}
	for {
		res, err := tg.SearchFlowExecutionsWithContext(ctx, &iotthingsgraph.SearchFlowExecutionsInput{SystemInstanceId: si.Summary.Id})
		if err != nil {
			t.Fatal(err)
		}
		var states []string
		for _, s := range res.Summaries {
			states = append(states, awsv1.StringValue(s.Status))
		}
		if len(states) == 1 && states[0] == "SUCCEEDED" {
			break
		}
		if ctx.Err() != nil {
			fail("SearchFlowExecutions: %v, want one SUCCEEDED", states)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// The core asks the registry at every CONNECT: a certificate made
	// INACTIVE is refused from the next connection on.
	sum := sha256.Sum256(certs["Room215Screen"].Certificate[0])
	if _, err := iotc.UpdateCertificate(ctx, &iot.UpdateCertificateInput{CertificateId: aws.String(hex.EncodeToString(sum[:])), NewStatus: iottypes.CertificateStatusInactive}); err != nil {
		t.Fatal(err)
	}
	again := &tls.Config{RootCAs: roots, Certificates: []tls.Certificate{certs["Room215Screen"]}, MinVersion: tls.VersionTLS12}
	if d, err := device.Connect(ctx, device.Options{ThingName: "Room215Screen", Broker: mqttAddr, TLS: again, Timeout: 2 * time.Second}); err == nil {
		d.Close()
		fail("Room215Screen connected with an INACTIVE certificate")
	}
	if !strings.Contains(out.String(), "certificate refused by the IoT registry") {
		t.Errorf("the core did not log the registry's refusal:\n%s", out.String())
	}
	// The process also reached AWS IoT Core, with the identity it
	// provisioned for the group's core thing.
	for !strings.Contains(out.String(), "connected to AWS IoT Core") {
		if ctx.Err() != nil {
			t.Fatalf("tgsim core never connected to AWS IoT Core:\n%s", out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !strings.Contains(out.String(), "client_id="+harness.CoreClientID(group)) {
		t.Errorf("tgsim core connected to AWS IoT Core under another client id:\n%s", out.String())
	}
	if !strings.Contains(out.String(), fmt.Sprintf("serving MQTT at %s", mqttAddr)) {
		t.Errorf("tgsim core did not say where it serves:\n%s", out.String())
	}
}
