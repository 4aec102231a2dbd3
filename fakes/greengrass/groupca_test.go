package greengrass_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ggsdk "github.com/aws/aws-sdk-go-v2/service/greengrass"
	ggtypes "github.com/aws/aws-sdk-go-v2/service/greengrass/types"

	"github.com/tgsim/tgsim/fakes/greengrass"
)

func parsePEM(t *testing.T, s string) *x509.Certificate {
	t.Helper()
	block, _ := pem.Decode([]byte(s))
	if block == nil || block.Type != "CERTIFICATE" {
		t.Fatalf("not a PEM certificate: %q", s)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatalf("ParseCertificate: %v", err)
	}
	return cert
}

// issueServerCert signs a server certificate for host with a group CA, as a
// simulated core does.
func issueServerCert(t *testing.T, srv *greengrass.Server, groupID, host string) (certDER []byte, key *ecdsa.PrivateKey, caPEM []byte) {
	t.Helper()
	caPEM, signer, err := srv.GroupCA(groupID)
	if err != nil {
		t.Fatalf("GroupCA: %v", err)
	}
	ca := parsePEM(t, string(caPEM))
	key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: host},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(7 * 24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{host},
	}
	certDER, err = x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, signer)
	if err != nil {
		t.Fatalf("sign with group CA: %v", err)
	}
	return certDER, key, caPEM
}

func TestGroupCertificateAuthority(t *testing.T) {
	ctx := context.Background()
	srv, c := newServer(t, greengrass.Options{})
	g, err := c.CreateGroup(ctx, &ggsdk.CreateGroupInput{Name: aws.String("home")})
	if err != nil {
		t.Fatal(err)
	}
	gid := g.Id

	// Every group has a CA.
	list, err := c.ListGroupCertificateAuthorities(ctx, &ggsdk.ListGroupCertificateAuthoritiesInput{GroupId: gid})
	if err != nil {
		t.Fatalf("ListGroupCertificateAuthorities: %v", err)
	}
	if len(list.GroupCertificateAuthorities) != 1 {
		t.Fatalf("new group has %d CAs, want 1", len(list.GroupCertificateAuthorities))
	}
	first := list.GroupCertificateAuthorities[0]
	wantArn := "arn:aws:greengrass:us-east-1:" + account + ":/greengrass/groups/" + aws.ToString(gid) + "/certificateauthorities/" + aws.ToString(first.GroupCertificateAuthorityId)
	if aws.ToString(first.GroupCertificateAuthorityArn) != wantArn {
		t.Errorf("CA ARN = %q, want %q", aws.ToString(first.GroupCertificateAuthorityArn), wantArn)
	}
	got, err := c.GetGroupCertificateAuthority(ctx, &ggsdk.GetGroupCertificateAuthorityInput{GroupId: gid, CertificateAuthorityId: first.GroupCertificateAuthorityId})
	if err != nil {
		t.Fatalf("GetGroupCertificateAuthority: %v", err)
	}
	ca := parsePEM(t, aws.ToString(got.PemEncodedCertificate))
	if !ca.IsCA || ca.CheckSignatureFrom(ca) != nil {
		t.Errorf("group CA is not a self-signed CA (IsCA=%v)", ca.IsCA)
	}

	// GroupCA hands out the same certificate and a signer for its key; a
	// certificate it signs verifies against the PEM clients get.
	der, _, caPEM := issueServerCert(t, srv, aws.ToString(gid), "core.local")
	if string(caPEM) != aws.ToString(got.PemEncodedCertificate) {
		t.Errorf("GroupCA PEM differs from GetGroupCertificateAuthority's")
	}
	leaf, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: pool, DNSName: "core.local"}); err != nil {
		t.Errorf("core certificate does not verify against the group CA: %v", err)
	}

	// Creating a CA rotates: the new one is listed first and is what
	// GroupCA returns; the old one stays readable.
	created, err := c.CreateGroupCertificateAuthority(ctx, &ggsdk.CreateGroupCertificateAuthorityInput{GroupId: gid})
	if err != nil {
		t.Fatalf("CreateGroupCertificateAuthority: %v", err)
	}
	list, _ = c.ListGroupCertificateAuthorities(ctx, &ggsdk.ListGroupCertificateAuthoritiesInput{GroupId: gid})
	if len(list.GroupCertificateAuthorities) != 2 || aws.ToString(list.GroupCertificateAuthorities[0].GroupCertificateAuthorityArn) != aws.ToString(created.GroupCertificateAuthorityArn) {
		t.Fatalf("after rotation: %+v, want the new CA %s first", list.GroupCertificateAuthorities, aws.ToString(created.GroupCertificateAuthorityArn))
	}
	newPEM, _, err := srv.GroupCA(aws.ToString(gid))
	if err != nil {
		t.Fatal(err)
	}
	if parsePEM(t, string(newPEM)).Equal(ca) {
		t.Errorf("GroupCA still returns the rotated-out CA")
	}
	if _, err := c.GetGroupCertificateAuthority(ctx, &ggsdk.GetGroupCertificateAuthorityInput{GroupId: gid, CertificateAuthorityId: first.GroupCertificateAuthorityId}); err != nil {
		t.Errorf("old CA no longer readable: %v", err)
	}

	// Errors.
	if _, err := c.GetGroupCertificateAuthority(ctx, &ggsdk.GetGroupCertificateAuthorityInput{GroupId: gid, CertificateAuthorityId: aws.String("nope")}); errorCode(err) != greengrass.CodeIDNotFound {
		t.Errorf("unknown CA: %v, want %s", err, greengrass.CodeIDNotFound)
	}
	if _, err := c.ListGroupCertificateAuthorities(ctx, &ggsdk.ListGroupCertificateAuthoritiesInput{GroupId: aws.String("nope")}); errorCode(err) != greengrass.CodeIDNotFound {
		t.Errorf("unknown group: %v, want %s", err, greengrass.CodeIDNotFound)
	}
	if _, err := c.CreateGroupCertificateAuthority(ctx, &ggsdk.CreateGroupCertificateAuthorityInput{GroupId: aws.String("nope")}); errorCode(err) != greengrass.CodeIDNotFound {
		t.Errorf("create on unknown group: %v, want %s", err, greengrass.CodeIDNotFound)
	}
	if _, _, err := srv.GroupCA("nope"); errorCode(err) != greengrass.CodeIDNotFound {
		t.Errorf("GroupCA(unknown) = %v, want %s", err, greengrass.CodeIDNotFound)
	}
}

func TestGroupCertificateConfiguration(t *testing.T) {
	ctx := context.Background()
	_, c := newServer(t, greengrass.Options{})
	g, err := c.CreateGroup(ctx, &ggsdk.CreateGroupInput{Name: aws.String("home")})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := c.GetGroupCertificateConfiguration(ctx, &ggsdk.GetGroupCertificateConfigurationInput{GroupId: g.Id})
	if err != nil {
		t.Fatalf("GetGroupCertificateConfiguration: %v", err)
	}
	if aws.ToString(cfg.CertificateExpiryInMilliseconds) != "604800000" || aws.ToString(cfg.GroupId) != aws.ToString(g.Id) {
		t.Errorf("default configuration = %+v, want 7 days (604800000)", cfg)
	}
	// The CA runs 5 years from its NotBefore, the test clock truncated to
	// the second; the clock itself is 0.6 s later.
	if want := "157679999400"; aws.ToString(cfg.CertificateAuthorityExpiryInMilliseconds) != want {
		t.Errorf("CertificateAuthorityExpiryInMilliseconds = %q, want %q", aws.ToString(cfg.CertificateAuthorityExpiryInMilliseconds), want)
	}

	up, err := c.UpdateGroupCertificateConfiguration(ctx, &ggsdk.UpdateGroupCertificateConfigurationInput{GroupId: g.Id, CertificateExpiryInMilliseconds: aws.String("2592000000")})
	if err != nil {
		t.Fatalf("UpdateGroupCertificateConfiguration: %v", err)
	}
	if aws.ToString(up.CertificateExpiryInMilliseconds) != "2592000000" {
		t.Errorf("update answered %+v", up)
	}
	cfg, _ = c.GetGroupCertificateConfiguration(ctx, &ggsdk.GetGroupCertificateConfigurationInput{GroupId: g.Id})
	if aws.ToString(cfg.CertificateExpiryInMilliseconds) != "2592000000" {
		t.Errorf("after update: %+v", cfg)
	}

	for _, v := range []string{"604799999", "2592000001", "", "ten days", "-1"} {
		_, err := c.UpdateGroupCertificateConfiguration(ctx, &ggsdk.UpdateGroupCertificateConfigurationInput{GroupId: g.Id, CertificateExpiryInMilliseconds: aws.String(v)})
		var br *ggtypes.BadRequestException
		if !errors.As(err, &br) {
			t.Errorf("expiry %q: err = %v, want BadRequestException", v, err)
		}
	}
	if _, err := c.GetGroupCertificateConfiguration(ctx, &ggsdk.GetGroupCertificateConfigurationInput{GroupId: aws.String("nope")}); errorCode(err) != greengrass.CodeIDNotFound {
		t.Errorf("unknown group: %v", err)
	}
	if _, err := c.UpdateGroupCertificateConfiguration(ctx, &ggsdk.UpdateGroupCertificateConfigurationInput{GroupId: aws.String("nope"), CertificateExpiryInMilliseconds: aws.String("604800000")}); errorCode(err) != greengrass.CodeIDNotFound {
		t.Errorf("update unknown group: %v", err)
	}
}

func TestDescribeNewRoutes(t *testing.T) {
	svc, err := greengrass.New(greengrass.Options{AccountID: account})
	if err != nil {
		t.Fatal(err)
	}
	base := "arn:aws:greengrass:us-east-1:" + account + ":/greengrass/"
	for _, tt := range []struct{ method, path, action, resource string }{
		{"GET", "/greengrass/groups/g1/certificateauthorities/ca1", "greengrass:GetGroupCertificateAuthority", base + "groups/g1/certificateauthorities/ca1"},
		{"POST", "/greengrass/groups/g1/certificateauthorities", "greengrass:CreateGroupCertificateAuthority", base + "groups/g1"},
		{"GET", "/greengrass/groups/g1/certificateauthorities", "greengrass:ListGroupCertificateAuthorities", base + "groups/g1"},
		{"PUT", "/greengrass/groups/g1/certificateauthorities/configuration/expiry", "greengrass:UpdateGroupCertificateConfiguration", base + "groups/g1"},
		{"GET", "/greengrass/groups/g1/certificateauthorities/configuration/expiry", "greengrass:GetGroupCertificateConfiguration", base + "groups/g1"},
		{"PUT", "/greengrass/things/core-1/connectivityInfo", "greengrass:UpdateConnectivityInfo", base + "things/core-1/connectivityInfo"},
		{"GET", "/greengrass/things/core-1/connectivityInfo", "greengrass:GetConnectivityInfo", base + "things/core-1/connectivityInfo"},
	} {
		call, err := svc.Describe(httptest.NewRequest(tt.method, tt.path, nil))
		if err != nil || call.Action != tt.action || len(call.Resources) != 1 || call.Resources[0] != tt.resource {
			t.Errorf("%s %s: %+v, %v; want %s on %s", tt.method, tt.path, call, err, tt.action, tt.resource)
		}
	}
}
