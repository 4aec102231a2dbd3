package harness_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/greengrass"
	ggtypes "github.com/aws/aws-sdk-go-v2/service/greengrass/types"
	"github.com/aws/aws-sdk-go-v2/service/iot"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/tgsim/tgsim/sim/device"
	"github.com/tgsim/tgsim/sim/harness"
)

type thingCert struct {
	arn, certArn string
	pair         tls.Certificate
}

func newThing(t *testing.T, ctx context.Context, c *iot.Client, name string) thingCert {
	t.Helper()
	th, err := c.CreateThing(ctx, &iot.CreateThingInput{ThingName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	cert, err := c.CreateKeysAndCertificate(ctx, &iot.CreateKeysAndCertificateInput{SetAsActive: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.AttachThingPrincipal(ctx, &iot.AttachThingPrincipalInput{ThingName: aws.String(name), Principal: cert.CertificateArn}); err != nil {
		t.Fatal(err)
	}
	pair, err := tls.X509KeyPair([]byte(aws.ToString(cert.CertificatePem)), []byte(aws.ToString(cert.KeyPair.PrivateKey)))
	if err != nil {
		t.Fatal(err)
	}
	return thingCert{arn: aws.ToString(th.ThingArn), certArn: aws.ToString(cert.CertificateArn), pair: pair}
}

// discover calls the discovery API as a device with the given certificate.
func discover(t *testing.T, h *harness.Harness, thing string, cert tls.Certificate) (int, []byte) {
	t.Helper()
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(h.DiscoveryCAPEM())
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{
		RootCAs: roots, Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12,
	}}}
	resp, err := client.Get(h.DiscoveryURL + "/greengrass/discover/thing/" + thing)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func TestDevicesDiscoverTheirCore(t *testing.T) {
	h, err := harness.Start(harness.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	ctx := context.Background()
	iotc := iot.NewFromConfig(h.AWS, func(o *iot.Options) { o.BaseEndpoint = aws.String(h.URL) })
	gg := greengrass.NewFromConfig(h.AWS, func(o *greengrass.Options) { o.BaseEndpoint = aws.String(h.URL) })
	core := newThing(t, ctx, iotc, "home_Core")
	lamp := newThing(t, ctx, iotc, "Lamp1")
	stranger := newThing(t, ctx, iotc, "Stranger")

	cd, err := gg.CreateCoreDefinition(ctx, &greengrass.CreateCoreDefinitionInput{InitialVersion: &ggtypes.CoreDefinitionVersion{Cores: []ggtypes.Core{
		{Id: aws.String("core"), ThingArn: aws.String(core.arn), CertificateArn: aws.String(core.certArn)}}}})
	if err != nil {
		t.Fatal(err)
	}
	dd, err := gg.CreateDeviceDefinition(ctx, &greengrass.CreateDeviceDefinitionInput{InitialVersion: &ggtypes.DeviceDefinitionVersion{Devices: []ggtypes.Device{
		{Id: aws.String("lamp"), ThingArn: aws.String(lamp.arn), CertificateArn: aws.String(lamp.certArn)}}}})
	if err != nil {
		t.Fatal(err)
	}
	g, err := gg.CreateGroup(ctx, &greengrass.CreateGroupInput{Name: aws.String("home"), InitialVersion: &ggtypes.GroupVersion{
		CoreDefinitionVersionArn: cd.LatestVersionArn, DeviceDefinitionVersionArn: dd.LatestVersionArn}})
	if err != nil {
		t.Fatal(err)
	}
	rc, err := h.StartCore("home", "")
	if err != nil {
		t.Fatal(err)
	}
	dep, err := gg.CreateDeployment(ctx, &greengrass.CreateDeploymentInput{GroupId: g.Id, GroupVersionId: g.LatestVersion, DeploymentType: ggtypes.DeploymentTypeNewDeployment})
	if err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if res, err := rc.WaitDeployment(wctx, aws.ToString(dep.DeploymentId)); err != nil || res.Status != "Success" {
		t.Fatalf("deployment = %+v, %v", res, err)
	}

	code, body := discover(t, h, "Lamp1", lamp.pair)
	if code != http.StatusOK {
		t.Fatalf("discover(Lamp1) = %d %s", code, body)
	}
	var got struct {
		GGGroups []struct {
			GGGroupID string `json:"GGGroupId"`
			Cores     []struct {
				ThingArn     string `json:"thingArn"`
				Connectivity []struct {
					HostAddress string `json:"hostAddress"`
					PortNumber  int    `json:"portNumber"`
				}
			}
			CAs []string
		}
	}
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(rc.MQTTAddr())
	if len(got.GGGroups) != 1 || got.GGGroups[0].GGGroupID != aws.ToString(g.Id) || len(got.GGGroups[0].Cores) != 1 ||
		got.GGGroups[0].Cores[0].ThingArn != core.arn || len(got.GGGroups[0].Cores[0].Connectivity) != 1 ||
		strconv.Itoa(got.GGGroups[0].Cores[0].Connectivity[0].PortNumber) != port || len(got.GGGroups[0].CAs) == 0 {
		t.Errorf("discover(Lamp1) = %s, want group %s with core %s at port %s and its CA", body, aws.ToString(g.Id), core.arn, port)
	}
	// Another thing's certificate may not ask for Lamp1; a thing in no group finds nothing.
	if code, body := discover(t, h, "Lamp1", stranger.pair); code != http.StatusForbidden {
		t.Errorf("discover(Lamp1) with Stranger's certificate = %d %s, want 403", code, body)
	}
	if code, body := discover(t, h, "Stranger", stranger.pair); code != http.StatusNotFound {
		t.Errorf("discover(Stranger) = %d %s, want 404", code, body)
	}

	// /metrics counts what happened: a message with no subscription is
	// dropped, a denied call is a decision, both are requests.
	d, err := device.Connect(ctx, device.Options{ThingName: "Lamp1", Broker: rc.MQTTAddr()})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Publish(ctx, "Lamp1/unlisted", []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	d.Close()
	s3c := s3.NewFromConfig(userConfig(t, h, "nos3", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iot:*","Resource":"*"}]}`),
		func(o *s3.Options) { o.BaseEndpoint = aws.String(h.URL); o.UsePathStyle = true })
	if _, err := s3c.ListBuckets(ctx, &s3.ListBucketsInput{}); err == nil {
		t.Fatal("ListBuckets without s3 permissions succeeded")
	}
	resp, err := http.Get(h.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		`tgsim_core_messages_dropped_total{group="home",reason="no subscription"} 1`,
		`tgsim_requests_total{service="s3",status="403"} 1`,
		`tgsim_authorization_decisions_total{decision="implicitDeny",enforced="true"} 1`,
		`# TYPE tgsim_requests_total counter`,
	} {
		if !strings.Contains(string(metrics), want) {
			t.Errorf("/metrics lacks %q:\n%s", want, metrics)
		}
	}
	if n := strings.Count(string(metrics), "# TYPE tgsim_requests_total "); n != 1 {
		t.Errorf("/metrics has %d TYPE lines for tgsim_requests_total, want 1", n)
	}
}
