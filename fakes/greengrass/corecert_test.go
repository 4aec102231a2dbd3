package greengrass_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ggsdk "github.com/aws/aws-sdk-go-v2/service/greengrass"

	"github.com/tgsim/tgsim/fakes/greengrass"
)

func newCSR(t *testing.T) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{
		Subject:     pkix.Name{CommonName: "core-1"},
		DNSNames:    []string{"localhost", "core-1.local"},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP("10.0.0.7")},
	}, key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der})
}

func TestCoreCertificate(t *testing.T) {
	ctx := context.Background()
	srv, c := newServer(t, greengrass.Options{})
	f := mustCreateGroup(t, ctx, c)
	post := func(groupID string, body []byte) (int, []byte) {
		t.Helper()
		resp, err := http.Post(srv.URL+greengrass.CoreChannelPrefix+"groups/"+groupID+"/coreCertificate", greengrass.CoreCertificateContentType, strings.NewReader(string(body)))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}

	code, body := post(f.groupID, newCSR(t))
	if code != http.StatusOK {
		t.Fatalf("coreCertificate = %d %s, want 200", code, body)
	}
	leafBlock, rest := pem.Decode(body)
	caBlock, _ := pem.Decode(rest)
	if leafBlock == nil || caBlock == nil {
		t.Fatalf("answer is not two PEM certificates: %s", body)
	}
	leaf, err := x509.ParseCertificate(leafBlock.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	// The CA in the answer is the group's active CA, as GetGroupCertificateAuthority shows it.
	list, err := c.ListGroupCertificateAuthorities(ctx, &ggsdk.ListGroupCertificateAuthoritiesInput{GroupId: &f.groupID})
	if err != nil || len(list.GroupCertificateAuthorities) == 0 {
		t.Fatalf("ListGroupCertificateAuthorities: %v %v", list, err)
	}
	ca, err := c.GetGroupCertificateAuthority(ctx, &ggsdk.GetGroupCertificateAuthorityInput{GroupId: &f.groupID, CertificateAuthorityId: list.GroupCertificateAuthorities[0].GroupCertificateAuthorityId})
	if err != nil {
		t.Fatal(err)
	}
	if got := string(pem.EncodeToMemory(caBlock)); strings.TrimSpace(got) != strings.TrimSpace(aws.ToString(ca.PemEncodedCertificate)) {
		t.Errorf("chain CA differs from GetGroupCertificateAuthority")
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM([]byte(aws.ToString(ca.PemEncodedCertificate)))
	for _, host := range []string{"127.0.0.1", "10.0.0.7", "localhost", "core-1.local"} {
		if _, err := leaf.Verify(x509.VerifyOptions{Roots: roots, DNSName: host, CurrentTime: epoch, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}); err != nil {
			t.Errorf("verify for %s: %v", host, err)
		}
	}
	if d := leaf.NotAfter.Sub(epoch.Truncate(time.Second)); d != 7*24*time.Hour { // X.509 times have whole seconds
		t.Errorf("validity = %s, want 7 days (the default certificate expiry)", d)
	}
	if leaf.Subject.CommonName != "core-1" {
		t.Errorf("subject = %q, want the CSR's", leaf.Subject.CommonName)
	}

	// The group's certificate expiry configuration applies.
	if _, err := c.UpdateGroupCertificateConfiguration(ctx, &ggsdk.UpdateGroupCertificateConfigurationInput{GroupId: &f.groupID, CertificateExpiryInMilliseconds: aws.String("2592000000")}); err != nil {
		t.Fatal(err)
	}
	if code, body = post(f.groupID, newCSR(t)); code != http.StatusOK {
		t.Fatalf("coreCertificate after expiry update = %d %s", code, body)
	}
	b, _ := pem.Decode(body)
	if leaf, err = x509.ParseCertificate(b.Bytes); err != nil || leaf.NotAfter.Sub(epoch.Truncate(time.Second)) != 30*24*time.Hour {
		t.Errorf("validity after configuring 30 days = %v, %v", leaf.NotAfter.Sub(epoch), err)
	}

	for _, tt := range []struct {
		name, group string
		body        []byte
		code        int
	}{
		{"unknown group", "nope", newCSR(t), http.StatusNotFound},
		{"not PEM", f.groupID, []byte("hello"), http.StatusBadRequest},
		{"a certificate, not a request", f.groupID, []byte(aws.ToString(ca.PemEncodedCertificate)), http.StatusBadRequest},
		{"garbage request", f.groupID, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: []byte{1, 2, 3}}), http.StatusBadRequest},
	} {
		if code, body := post(tt.group, tt.body); code != tt.code {
			t.Errorf("%s: %d %s, want %d", tt.name, code, body, tt.code)
		}
	}
}

func TestDescribeCoreCertificate(t *testing.T) {
	svc, err := greengrass.New(greengrass.Options{AccountID: account})
	if err != nil {
		t.Fatal(err)
	}
	call, err := svc.Describe(httptest.NewRequest(http.MethodPost, greengrass.CoreChannelPrefix+"groups/g1/coreCertificate", nil))
	want := "arn:aws:greengrass:us-east-1:" + account + ":/greengrass/groups/g1"
	if err != nil || call.Action != "greengrass:CreateCertificate" || call.Operation != "CreateCertificate" || len(call.Resources) != 1 || call.Resources[0] != want {
		t.Errorf("Describe = %+v, %v; want greengrass:CreateCertificate on %s", call, err, want)
	}
}
