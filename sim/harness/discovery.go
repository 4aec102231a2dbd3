package harness

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/greengrass"
	ggtypes "github.com/aws/aws-sdk-go-v2/service/greengrass/types"

	ggfake "github.com/tgsim/tgsim/fakes/greengrass"
)

// startDiscovery serves the Greengrass discovery API over mutual TLS, as
// AWS serves it on port 8443 of the data endpoint: a device authenticates
// with its AWS IoT certificate and learns its groups' cores and CAs.
// The server certificate chains to the data plane's root CA (the stand-in
// for Amazon Root CA 1, which AWS's discovery certificate chains to too),
// valid for loopback and the IoTDataAdvertise host: AWS serves discovery
// on the data endpoint's host name, so a device on another host reaches
// both by the same name. DiscoveryCAPEM is that CA.
func (h *Harness) startDiscovery(addr string) error {
	cert, err := h.dataPlaneCA.serverCert(advertisedHost(h.opts.IoTDataAdvertise))
	if err != nil {
		return err
	}
	pemBytes := h.dataPlaneCA.certPEM
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("harness: discovery listen %s: %w", addr, err)
	}
	h.discoveryCA = pemBytes
	h.discovery = &http.Server{
		Handler:           h.Greengrass.DiscoveryHandler(ggfake.ClientCertificateVerifier(h.IoT.VerifyClientCertificate)),
		ReadHeaderTimeout: 10 * time.Second,
		TLSConfig:         &tls.Config{Certificates: []tls.Certificate{cert}, ClientAuth: tls.RequireAnyClientCert, MinVersion: tls.VersionTLS12},
	}
	h.DiscoveryURL = "https://" + ln.Addr().String()
	go func() { _ = h.discovery.ServeTLS(ln, "", "") }()
	return nil
}

// DiscoveryCAPEM is the certificate a discovery client must trust.
func (h *Harness) DiscoveryCAPEM() []byte { return append([]byte(nil), h.discoveryCA...) }

// publishConnectivity tells Greengrass where a core listens, as a real
// core's IP detector does (UpdateConnectivityInfo on the core's thing), so
// discovery returns the core's actual address. Best effort: a group
// without a core definition has no core thing to update.
func (h *Harness) publishConnectivity(ctx context.Context, group, mqttAddr string) error {
	return PublishConnectivity(ctx, h.AWS, h.URL, group, mqttAddr)
}

// PublishConnectivity tells the Greengrass control plane at endpoint that
// the core of the named group listens at mqttAddr (host:port), through
// UpdateConnectivityInfo on the thing of the group's core definition, as a
// core's IP detector does. It fails when the group has no version with a
// core definition yet.
func PublishConnectivity(ctx context.Context, cfg aws.Config, endpoint, group, mqttAddr string) error {
	gg := greengrass.NewFromConfig(cfg, func(o *greengrass.Options) { o.BaseEndpoint = aws.String(endpoint) })
	var groupID, version string
	var token *string
	for done := false; !done; {
		out, err := gg.ListGroups(ctx, &greengrass.ListGroupsInput{NextToken: token})
		if err != nil {
			return err
		}
		for _, g := range out.Groups {
			if aws.ToString(g.Name) == group {
				groupID, version = aws.ToString(g.Id), aws.ToString(g.LatestVersion)
			}
		}
		token = out.NextToken
		done = aws.ToString(token) == ""
	}
	if groupID == "" || version == "" {
		return fmt.Errorf("group %q has no version yet", group)
	}
	gv, err := gg.GetGroupVersion(ctx, &greengrass.GetGroupVersionInput{GroupId: &groupID, GroupVersionId: &version})
	if err != nil {
		return err
	}
	arn := ""
	if gv.Definition != nil {
		arn = aws.ToString(gv.Definition.CoreDefinitionVersionArn)
	}
	_, rest, ok := strings.Cut(arn, ":/greengrass/definition/cores/")
	id, vid, ok2 := strings.Cut(rest, "/versions/")
	if !ok || !ok2 {
		return errors.New("the group has no core definition")
	}
	cd, err := gg.GetCoreDefinitionVersion(ctx, &greengrass.GetCoreDefinitionVersionInput{CoreDefinitionId: &id, CoreDefinitionVersionId: &vid})
	if err != nil {
		return err
	}
	if cd.Definition == nil || len(cd.Definition.Cores) == 0 {
		return errors.New("the core definition lists no core")
	}
	_, thing, _ := strings.Cut(aws.ToString(cd.Definition.Cores[0].ThingArn), ":thing/")
	host, portText, err := net.SplitHostPort(mqttAddr)
	if err != nil {
		return err
	}
	port, _ := strconv.Atoi(portText)
	_, err = gg.UpdateConnectivityInfo(ctx, &greengrass.UpdateConnectivityInfoInput{ThingName: &thing, ConnectivityInfo: []ggtypes.ConnectivityInfo{
		{Id: aws.String("tgsim-mqtt"), HostAddress: aws.String(host), PortNumber: aws.Int32(int32(port)), Metadata: aws.String("")},
	}})
	return err
}

// coreServerCert issues a core's MQTT server certificate from its group's
// certificate authority, valid for the loopback addresses. Divergence: a
// real core sends a CSR over its MQTT channel and the cloud signs it; the
// harness asks the Greengrass fake's CA directly.
func (h *Harness) coreServerCert(group string) (tls.Certificate, error) {
	groupID := ""
	groups, err := h.Greengrass.Backend().ListGroups(context.Background())
	if err != nil {
		return tls.Certificate{}, err
	}
	for _, g := range groups {
		if g.Name == group {
			groupID = g.ID
		}
	}
	if groupID == "" {
		return tls.Certificate{}, fmt.Errorf("group %q does not exist", group)
	}
	caPEM, signer, err := h.Greengrass.GroupCA(groupID)
	if err != nil {
		return tls.Certificate{}, err
	}
	block, _ := pem.Decode(caPEM)
	if block == nil {
		return tls.Certificate{}, errors.New("group CA is not PEM")
	}
	ca, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return tls.Certificate{}, err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: group + " core"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(7 * 24 * time.Hour), // Greengrass's default core certificate expiry
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP("::1")},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, signer)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der, ca.Raw}, PrivateKey: key}, nil
}
