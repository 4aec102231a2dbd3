package harness_test

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/greengrass"
	ggtypes "github.com/aws/aws-sdk-go-v2/service/greengrass/types"
	"github.com/aws/aws-sdk-go-v2/service/iot"
	iottypes "github.com/aws/aws-sdk-go-v2/service/iot/types"

	"github.com/tgsim/tgsim/sim/harness"
)

// TestRegistryVerifier asks the registry through the SDK what the IoT
// fake's VerifyClientCertificate answers in process.
func TestRegistryVerifier(t *testing.T) {
	h, err := harness.Start(harness.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	ctx := context.Background()
	iotc := iot.NewFromConfig(h.AWS, func(o *iot.Options) { o.BaseEndpoint = aws.String(h.URL) })
	if _, err := iotc.CreateThing(ctx, &iot.CreateThingInput{ThingName: aws.String("lamp")}); err != nil {
		t.Fatal(err)
	}
	c, err := iotc.CreateKeysAndCertificate(ctx, &iot.CreateKeysAndCertificateInput{SetAsActive: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := iotc.AttachThingPrincipal(ctx, &iot.AttachThingPrincipalInput{ThingName: aws.String("lamp"), Principal: c.CertificateArn}); err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode([]byte(aws.ToString(c.CertificatePem)))
	verify := harness.RegistryVerifier(h.AWS, h.URL)

	things, id, err := verify(block.Bytes)
	sum := sha256.Sum256(block.Bytes)
	if err != nil || id != hex.EncodeToString(sum[:]) || id != aws.ToString(c.CertificateId) || !slices.Equal(things, []string{"lamp"}) {
		t.Fatalf("verify = %v %s %v; want [lamp] %s", things, id, err, aws.ToString(c.CertificateId))
	}
	if inProc, _, err := h.IoT.VerifyClientCertificate(block.Bytes); err != nil || !slices.Equal(inProc, things) {
		t.Errorf("in process: %v %v", inProc, err)
	}

	// A certificate the registry does not hold: the group CA's, say.
	caBlock, _ := pem.Decode(h.IoTDataCAPEM())
	if _, _, err := verify(caBlock.Bytes); err == nil {
		t.Error("a certificate the registry does not hold was accepted")
	}

	if _, err := iotc.UpdateCertificate(ctx, &iot.UpdateCertificateInput{CertificateId: c.CertificateId, NewStatus: iottypes.CertificateStatusInactive}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := verify(block.Bytes); err == nil || !strings.Contains(err.Error(), "INACTIVE") {
		t.Errorf("INACTIVE certificate: %v, want refused as INACTIVE (nothing cached)", err)
	}
}

// TestStandaloneCore starts a core apart from the harness (in this
// process) and checks the certificate it serves and the address it
// publishes; the core channel's certificate route is authorized as
// greengrass:CreateCertificate.
func TestStandaloneCore(t *testing.T) {
	h, err := harness.Start(harness.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ep := aws.String(h.URL)
	iotc := iot.NewFromConfig(h.AWS, func(o *iot.Options) { o.BaseEndpoint = ep })
	gg := greengrass.NewFromConfig(h.AWS, func(o *greengrass.Options) { o.BaseEndpoint = ep })
	th, err := iotc.CreateThing(ctx, &iot.CreateThingInput{ThingName: aws.String("edge_Core")})
	if err != nil {
		t.Fatal(err)
	}
	cd, err := gg.CreateCoreDefinition(ctx, &greengrass.CreateCoreDefinitionInput{InitialVersion: &ggtypes.CoreDefinitionVersion{Cores: []ggtypes.Core{
		{Id: aws.String("core"), ThingArn: th.ThingArn, CertificateArn: aws.String("arn:aws:iot:us-east-1:000000000000:cert/00")}}}})
	if err != nil {
		t.Fatal(err)
	}
	g, err := gg.CreateGroup(ctx, &greengrass.CreateGroupInput{Name: aws.String("edge"), InitialVersion: &ggtypes.GroupVersion{CoreDefinitionVersionArn: cd.LatestVersionArn}})
	if err != nil {
		t.Fatal(err)
	}

	// Without greengrass:CreateCertificate the core gets no certificate.
	denied := userConfig(t, h, "nocert", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"greengrass:GetDeployment","Resource":"*"}]}`)
	if _, err := harness.RequestCoreCertificate(ctx, denied, h.URL, aws.ToString(g.Id), "x", []string{"127.0.0.1"}); err == nil || !strings.Contains(err.Error(), "greengrass:CreateCertificate") {
		t.Errorf("RequestCoreCertificate without greengrass:CreateCertificate: %v", err)
	}

	sc, err := harness.StartStandaloneCore(ctx, harness.StandaloneCoreOptions{Group: "edge", Endpoint: h.URL, AWS: h.AWS, MQTTAddr: "127.0.0.1:0", AdvertiseHost: "edge.local"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := sc.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	if sc.GroupID != aws.ToString(g.Id) {
		t.Errorf("GroupID = %s, want %s", sc.GroupID, aws.ToString(g.Id))
	}
	// The core serves a certificate of the group CA, valid for the
	// advertised host and loopback.
	caPEM, _, err := h.Greengrass.GroupCA(sc.GroupID)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(caPEM)
	for _, name := range []string{"edge.local", "127.0.0.1", "localhost"} {
		conn, err := tls.Dial("tcp", sc.MQTTAddr(), &tls.Config{RootCAs: roots, ServerName: name, MinVersion: tls.VersionTLS12})
		if err != nil {
			t.Errorf("TLS to the core as %s: %v", name, err)
			continue
		}
		if leaf := conn.ConnectionState().PeerCertificates[0]; leaf.NotAfter.Sub(leaf.NotBefore) < 7*24*time.Hour {
			t.Errorf("server certificate valid %s, want 7 days", leaf.NotAfter.Sub(leaf.NotBefore))
		}
		conn.Close()
	}
	for {
		ci, err := gg.GetConnectivityInfo(ctx, &greengrass.GetConnectivityInfoInput{ThingName: aws.String("edge_Core")})
		if err == nil && len(ci.ConnectivityInfo) == 1 && aws.ToString(ci.ConnectivityInfo[0].HostAddress) == "edge.local" {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("connectivity: %v %v", ci, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
