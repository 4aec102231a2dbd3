package greengrass_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"errors"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ggsdk "github.com/aws/aws-sdk-go-v2/service/greengrass"
	ggtypes "github.com/aws/aws-sdk-go-v2/service/greengrass/types"

	"github.com/tgsim/tgsim/fakes/greengrass"
)

// deviceCert makes a self-signed client certificate, standing in for a
// device's AWS IoT certificate.
func deviceCert(t *testing.T, cn string) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

type discoveryDoc struct {
	GGGroups []struct {
		GGGroupID string `json:"GGGroupId"`
		Cores     []struct {
			ThingArn     string `json:"thingArn"`
			Connectivity []struct {
				ID          string `json:"id"`
				HostAddress string `json:"hostAddress"`
				PortNumber  int    `json:"portNumber"`
				Metadata    string `json:"metadata"`
			} `json:"Connectivity"`
		} `json:"Cores"`
		CAs []string `json:"CAs"`
	} `json:"GGGroups"`
}

func TestDiscovery(t *testing.T) {
	ctx := context.Background()
	srv, c := newServer(t, greengrass.Options{})
	f := mustCreateGroup(t, ctx, c) // core thing core-1, device thing camera

	camera, core, stranger, ghost := deviceCert(t, "camera"), deviceCert(t, "core-1"), deviceCert(t, "stranger"), deviceCert(t, "ghost")
	registry := map[string][]string{
		string(camera.Certificate[0]): {"camera"},
		string(core.Certificate[0]):   {"core-1"},
		string(ghost.Certificate[0]):  {"ghost"},
	}
	// The stub stands in for the IoT fake's VerifyClientCertificate.
	check := func(der []byte) ([]string, string, error) {
		things, ok := registry[string(der)]
		if !ok {
			return nil, "", errors.New("certificate not registered")
		}
		return things, "certid", nil
	}
	ts := httptest.NewUnstartedServer(srv.DiscoveryHandler(greengrass.ClientCertificateVerifier(check)))
	ts.TLS = &tls.Config{ClientAuth: tls.RequireAnyClientCert}
	ts.StartTLS()
	t.Cleanup(ts.Close)

	discover := func(t *testing.T, cert *tls.Certificate, method, thing string) (int, []byte) {
		t.Helper()
		tr := ts.Client().Transport.(*http.Transport).Clone()
		if cert != nil {
			tr.TLSClientConfig.Certificates = []tls.Certificate{*cert}
		}
		client := &http.Client{Transport: tr}
		req, _ := http.NewRequest(method, ts.URL+greengrass.DiscoveryPathPrefix+thing, nil)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, thing, err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, body
	}
	wantNotFound := func(t *testing.T, status int, body []byte) {
		t.Helper()
		if status != http.StatusNotFound || !strings.Contains(string(body), `"errorMessage":"The thing provided for discovery was not found"`) {
			t.Errorf("got %d %s, want 404 thing not found", status, body)
		}
	}

	// Nothing deployed yet: the device is in no deployed group.
	status, body := discover(t, &camera, "GET", "camera")
	wantNotFound(t, status, body)

	// Deployed, but the core has published no connectivity information.
	if _, err := c.CreateDeployment(ctx, &ggsdk.CreateDeploymentInput{GroupId: aws.String(f.groupID), GroupVersionId: aws.String(f.groupVersionID), DeploymentType: ggtypes.DeploymentTypeNewDeployment}); err != nil {
		t.Fatalf("CreateDeployment: %v", err)
	}
	status, body = discover(t, &camera, "GET", "camera")
	wantNotFound(t, status, body)

	if _, err := c.UpdateConnectivityInfo(ctx, &ggsdk.UpdateConnectivityInfoInput{ThingName: aws.String("core-1"), ConnectivityInfo: []ggtypes.ConnectivityInfo{
		{Id: aws.String("AUTOIP_127.0.0.1_0"), HostAddress: aws.String("127.0.0.1"), PortNumber: aws.Int32(8883), Metadata: aws.String("")},
	}}); err != nil {
		t.Fatalf("UpdateConnectivityInfo: %v", err)
	}

	for _, who := range []struct {
		name  string
		cert  tls.Certificate
		thing string
	}{{"device", camera, "camera"}, {"core itself", core, "core-1"}} {
		t.Run(who.name, func(t *testing.T) {
			status, body := discover(t, &who.cert, "GET", who.thing)
			if status != http.StatusOK {
				t.Fatalf("status %d %s", status, body)
			}
			var doc discoveryDoc
			if err := json.Unmarshal(body, &doc); err != nil {
				t.Fatalf("body %s: %v", body, err)
			}
			if len(doc.GGGroups) != 1 || doc.GGGroups[0].GGGroupID != f.groupID {
				t.Fatalf("GGGroups = %+v, want group %s", doc.GGGroups, f.groupID)
			}
			g := doc.GGGroups[0]
			if len(g.Cores) != 1 || g.Cores[0].ThingArn != thingArn {
				t.Fatalf("Cores = %+v, want %s", g.Cores, thingArn)
			}
			if conn := g.Cores[0].Connectivity; len(conn) != 1 || conn[0].ID != "AUTOIP_127.0.0.1_0" || conn[0].HostAddress != "127.0.0.1" || conn[0].PortNumber != 8883 {
				t.Errorf("Connectivity = %+v", conn)
			}
			caPEM, _, err := srv.GroupCA(f.groupID)
			if err != nil {
				t.Fatal(err)
			}
			if len(g.CAs) != 1 || g.CAs[0] != string(caPEM) || !strings.HasPrefix(g.CAs[0], "-----BEGIN CERTIFICATE-----") {
				t.Errorf("CAs = %q, want the group CA", g.CAs)
			}
		})
	}

	// What discovery is for: a device that trusts the discovered CAs
	// accepts the core's server certificate issued from the group CA.
	t.Run("core certificate verifies against discovered CA", func(t *testing.T) {
		_, body := discover(t, &camera, "GET", "camera")
		var doc discoveryDoc
		if err := json.Unmarshal(body, &doc); err != nil {
			t.Fatal(err)
		}
		der, key, _ := issueServerCert(t, srv, f.groupID, "core.local")
		coreSrv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "hello from core") }))
		coreSrv.TLS = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
		coreSrv.StartTLS()
		defer coreSrv.Close()
		pool := x509.NewCertPool()
		for _, ca := range doc.GGGroups[0].CAs {
			if !pool.AppendCertsFromPEM([]byte(ca)) {
				t.Fatalf("CA %q does not parse", ca)
			}
		}
		client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
		resp, err := client.Get(coreSrv.URL)
		if err != nil {
			t.Fatalf("TLS to core with discovered CA: %v", err)
		}
		resp.Body.Close()
	})

	t.Run("forbidden", func(t *testing.T) {
		for _, tt := range []struct {
			name  string
			cert  tls.Certificate
			thing string
		}{
			{"certificate of another thing", camera, "core-1"},
			{"unregistered certificate", stranger, "camera"},
		} {
			status, body := discover(t, &tt.cert, "GET", tt.thing)
			var e struct {
				Message *string `json:"message"`
				TraceID string  `json:"traceId"`
			}
			if err := json.Unmarshal(body, &e); err != nil || status != http.StatusForbidden || e.Message != nil || e.TraceID == "" || !strings.Contains(string(body), `"message":null`) {
				t.Errorf("%s: got %d %s, want 403 {\"message\":null,\"traceId\":...}", tt.name, status, body)
			}
		}
	})

	t.Run("no client certificate", func(t *testing.T) {
		tr := ts.Client().Transport.(*http.Transport).Clone()
		if _, err := (&http.Client{Transport: tr}).Get(ts.URL + greengrass.DiscoveryPathPrefix + "camera"); err == nil {
			t.Errorf("request without a client certificate succeeded")
		}
		verify := greengrass.ClientCertificateVerifier(check)
		if _, err := verify(httptest.NewRequest("GET", greengrass.DiscoveryPathPrefix+"camera", nil)); !errors.Is(err, greengrass.ErrNoClientCertificate) {
			t.Errorf("verify without TLS = %v, want ErrNoClientCertificate", err)
		}
	})

	t.Run("thing in no group", func(t *testing.T) {
		status, body := discover(t, &ghost, "GET", "ghost")
		wantNotFound(t, status, body)
	})

	t.Run("bad requests", func(t *testing.T) {
		if status, _ := discover(t, &camera, "POST", "camera"); status != http.StatusMethodNotAllowed {
			t.Errorf("POST: status %d, want 405", status)
		}
		status, body := discover(t, &camera, "GET", "camera/extra")
		wantNotFound(t, status, body)
	})

	// After a reset the group is no longer deployed.
	if _, err := c.ResetDeployments(ctx, &ggsdk.ResetDeploymentsInput{GroupId: aws.String(f.groupID)}); err != nil {
		t.Fatalf("ResetDeployments: %v", err)
	}
	status, body = discover(t, &camera, "GET", "camera")
	wantNotFound(t, status, body)
}

// TestDiscoveryFollowsDeployedVersion checks that a device added in a newer
// group version is discoverable only once that version is deployed.
func TestDiscoveryFollowsDeployedVersion(t *testing.T) {
	ctx := context.Background()
	srv, c := newServer(t, greengrass.Options{})
	f := mustCreateGroup(t, ctx, c)
	if _, err := c.UpdateConnectivityInfo(ctx, &ggsdk.UpdateConnectivityInfoInput{ThingName: aws.String("core-1"), ConnectivityInfo: []ggtypes.ConnectivityInfo{
		{Id: aws.String("lan"), HostAddress: aws.String("10.0.0.2"), PortNumber: aws.Int32(8883)},
	}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateDeployment(ctx, &ggsdk.CreateDeploymentInput{GroupId: aws.String(f.groupID), GroupVersionId: aws.String(f.groupVersionID), DeploymentType: ggtypes.DeploymentTypeNewDeployment}); err != nil {
		t.Fatal(err)
	}
	dv, err := c.CreateDeviceDefinitionVersion(ctx, &ggsdk.CreateDeviceDefinitionVersionInput{DeviceDefinitionId: aws.String(f.device.id), Devices: []ggtypes.Device{
		{Id: aws.String("camera"), ThingArn: aws.String("arn:aws:iot:us-east-1:123456789012:thing/camera"), CertificateArn: aws.String(certArn)},
		{Id: aws.String("lamp"), ThingArn: aws.String("arn:aws:iot:us-east-1:123456789012:thing/lamp"), CertificateArn: aws.String(certArn)},
	}})
	if err != nil {
		t.Fatal(err)
	}
	gv, err := c.CreateGroupVersion(ctx, &ggsdk.CreateGroupVersionInput{GroupId: aws.String(f.groupID),
		CoreDefinitionVersionArn: aws.String(f.core.versionArn), DeviceDefinitionVersionArn: dv.Arn})
	if err != nil {
		t.Fatal(err)
	}
	lamp := deviceCert(t, "lamp")
	ts := httptest.NewUnstartedServer(srv.DiscoveryHandler(func(*http.Request) ([]string, error) { return []string{"lamp"}, nil }))
	ts.TLS = &tls.Config{ClientAuth: tls.RequireAnyClientCert}
	ts.StartTLS()
	t.Cleanup(ts.Close)
	tr := ts.Client().Transport.(*http.Transport).Clone()
	tr.TLSClientConfig.Certificates = []tls.Certificate{lamp}
	get := func() int {
		resp, err := (&http.Client{Transport: tr}).Get(ts.URL + greengrass.DiscoveryPathPrefix + "lamp")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := get(); got != http.StatusNotFound {
		t.Errorf("lamp before its version is deployed: %d, want 404", got)
	}
	d, err := c.CreateDeployment(ctx, &ggsdk.CreateDeploymentInput{GroupId: aws.String(f.groupID), GroupVersionId: gv.Version, DeploymentType: ggtypes.DeploymentTypeNewDeployment})
	if err != nil {
		t.Fatal(err)
	}
	if got := get(); got != http.StatusOK {
		t.Errorf("lamp after deployment: %d, want 200", got)
	}
	// A failed deployment does not count: discovery falls back to the
	// previous one, which lacks the lamp.
	if _, err := srv.SetDeploymentStatus(ctx, f.groupID, aws.ToString(d.DeploymentId), greengrass.StatusFailure, "boom"); err != nil {
		t.Fatal(err)
	}
	if got := get(); got != http.StatusNotFound {
		t.Errorf("lamp after its deployment failed: %d, want 404", got)
	}
}
