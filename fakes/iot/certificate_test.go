package iot_test

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
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	iotsdk "github.com/aws/aws-sdk-go-v2/service/iot"
	"github.com/aws/aws-sdk-go-v2/service/iot/types"
	"github.com/google/go-cmp/cmp"

	"github.com/tgsim/tgsim/fakes/iot"
)

// selfSigned returns a self-signed certificate PEM valid from nb to na.
func selfSigned(t *testing.T, nb, na time.Time) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "device"}, NotBefore: nb, NotAfter: na}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

func derOf(t *testing.T, p string) []byte {
	t.Helper()
	b, _ := pem.Decode([]byte(p))
	if b == nil {
		t.Fatalf("no PEM block in %q", p)
	}
	return b.Bytes
}

func TestRegisterAndDeleteCertificate(t *testing.T) {
	ctx := context.Background()
	srv, c := newClient(t, iot.Options{AccountID: "123456789012"})

	// A certificate the CA issued: delete it, then register its PEM again.
	created, err := c.CreateKeysAndCertificate(ctx, &iotsdk.CreateKeysAndCertificateInput{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteCertificate(ctx, &iotsdk.DeleteCertificateInput{CertificateId: created.CertificateId}); err != nil {
		t.Fatalf("DeleteCertificate: %v", err)
	}
	if _, ok := srv.CertificateStatus(aws.ToString(created.CertificateId)); ok {
		t.Fatalf("certificate still there after DeleteCertificate")
	}
	reg, err := c.RegisterCertificate(ctx, &iotsdk.RegisterCertificateInput{CertificatePem: created.CertificatePem,
		CaCertificatePem: aws.String(string(srv.CACertPEM())), Status: types.CertificateStatusActive})
	if err != nil {
		t.Fatalf("RegisterCertificate: %v", err)
	}
	if aws.ToString(reg.CertificateId) != aws.ToString(created.CertificateId) || aws.ToString(reg.CertificateArn) != aws.ToString(created.CertificateArn) {
		t.Errorf("RegisterCertificate = %s %s, want the id and ARN of the issued certificate", aws.ToString(reg.CertificateId), aws.ToString(reg.CertificateArn))
	}
	if st, _ := srv.CertificateStatus(aws.ToString(reg.CertificateId)); st != iot.StatusActive {
		t.Errorf("registered status = %s, want ACTIVE", st)
	}

	// Without a CA: any valid certificate, SNI_ONLY mode.
	other := selfSigned(t, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	noCA, err := c.RegisterCertificateWithoutCA(ctx, &iotsdk.RegisterCertificateWithoutCAInput{CertificatePem: aws.String(other)})
	if err != nil {
		t.Fatalf("RegisterCertificateWithoutCA: %v", err)
	}
	d, err := c.DescribeCertificate(ctx, &iotsdk.DescribeCertificateInput{CertificateId: noCA.CertificateId})
	if err != nil {
		t.Fatal(err)
	}
	if d.CertificateDescription.CertificateMode != types.CertificateModeSniOnly || d.CertificateDescription.Status != types.CertificateStatusInactive {
		t.Errorf("DescribeCertificate(without CA) mode %s status %s, want SNI_ONLY INACTIVE", d.CertificateDescription.CertificateMode, d.CertificateDescription.Status)
	}

	// forceDelete detaches policies but not things.
	if _, err := c.CreatePolicy(ctx, &iotsdk.CreatePolicyInput{PolicyName: aws.String("p"), PolicyDocument: aws.String(allowAll)}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.AttachPolicy(ctx, &iotsdk.AttachPolicyInput{PolicyName: aws.String("p"), Target: noCA.CertificateArn}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteCertificate(ctx, &iotsdk.DeleteCertificateInput{CertificateId: noCA.CertificateId}); !hasCode(err, "DeleteConflictException") {
		t.Errorf("DeleteCertificate with a policy = %v, want DeleteConflictException", err)
	}
	if _, err := c.DeleteCertificate(ctx, &iotsdk.DeleteCertificateInput{CertificateId: noCA.CertificateId, ForceDelete: true}); err != nil {
		t.Fatalf("DeleteCertificate forceDelete: %v", err)
	}
	tg, err := c.ListTargetsForPolicy(ctx, &iotsdk.ListTargetsForPolicyInput{PolicyName: aws.String("p")})
	if err != nil || len(tg.Targets) != 0 {
		t.Errorf("targets after forceDelete = %v, %v; want none", tg.Targets, err)
	}
}

func TestCertificateErrors(t *testing.T) {
	ctx := context.Background()
	_, c := newClient(t, iot.Options{AccountID: "123456789012"})
	active, err := c.CreateKeysAndCertificate(ctx, &iotsdk.CreateKeysAndCertificateInput{SetAsActive: true})
	if err != nil {
		t.Fatal(err)
	}
	attached, err := c.CreateKeysAndCertificate(ctx, &iotsdk.CreateKeysAndCertificateInput{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateThing(ctx, &iotsdk.CreateThingInput{ThingName: aws.String("dev")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.AttachThingPrincipal(ctx, &iotsdk.AttachThingPrincipalInput{ThingName: aws.String("dev"), Principal: attached.CertificateArn}); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	foreign := selfSigned(t, now.Add(-time.Hour), now.Add(time.Hour))
	expired := selfSigned(t, now.Add(-2*time.Hour), now.Add(-time.Hour))
	missing := "0000000000000000000000000000000000000000000000000000000000000000"
	runErrorCases(t, []errorCase{
		{"RegisterCertificate not chaining to the CA", func() error {
			_, err := c.RegisterCertificate(ctx, &iotsdk.RegisterCertificateInput{CertificatePem: aws.String(foreign)})
			return err
		}, is[types.CertificateValidationException]()},
		{"RegisterCertificate unregistered CA", func() error {
			_, err := c.RegisterCertificate(ctx, &iotsdk.RegisterCertificateInput{CertificatePem: active.CertificatePem, CaCertificatePem: aws.String(foreign)})
			return err
		}, is[types.CertificateValidationException]()},
		{"RegisterCertificate not PEM", func() error {
			_, err := c.RegisterCertificate(ctx, &iotsdk.RegisterCertificateInput{CertificatePem: aws.String("hello")})
			return err
		}, is[types.CertificateValidationException]()},
		{"RegisterCertificate already registered", func() error {
			_, err := c.RegisterCertificate(ctx, &iotsdk.RegisterCertificateInput{CertificatePem: active.CertificatePem})
			return err
		}, is[types.ResourceAlreadyExistsException]()},
		{"RegisterCertificate status REVOKED", func() error {
			_, err := c.RegisterCertificateWithoutCA(ctx, &iotsdk.RegisterCertificateWithoutCAInput{CertificatePem: aws.String(foreign), Status: types.CertificateStatusRevoked})
			return err
		}, is[types.InvalidRequestException]()},
		{"RegisterCertificateWithoutCA expired", func() error {
			_, err := c.RegisterCertificateWithoutCA(ctx, &iotsdk.RegisterCertificateWithoutCAInput{CertificatePem: aws.String(expired)})
			return err
		}, is[types.CertificateValidationException]()},
		{"DeleteCertificate ACTIVE", func() error {
			_, err := c.DeleteCertificate(ctx, &iotsdk.DeleteCertificateInput{CertificateId: active.CertificateId})
			return err
		}, is[types.CertificateStateException]()},
		{"DeleteCertificate attached to a thing", func() error {
			_, err := c.DeleteCertificate(ctx, &iotsdk.DeleteCertificateInput{CertificateId: attached.CertificateId, ForceDelete: true})
			return err
		}, is[types.DeleteConflictException]()},
		{"DeleteCertificate missing", func() error {
			_, err := c.DeleteCertificate(ctx, &iotsdk.DeleteCertificateInput{CertificateId: aws.String(missing)})
			return err
		}, is[types.ResourceNotFoundException]()},
		{"DeleteCertificate bad id", func() error {
			_, err := c.DeleteCertificate(ctx, &iotsdk.DeleteCertificateInput{CertificateId: aws.String("xyz")})
			return err
		}, is[types.InvalidRequestException]()},
	})
}

func TestVerifyClientCertificate(t *testing.T) {
	ctx := context.Background()
	srv, c := newClient(t, iot.Options{})
	cert, err := c.CreateKeysAndCertificate(ctx, &iotsdk.CreateKeysAndCertificateInput{SetAsActive: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, th := range []string{"b", "a"} {
		if _, err := c.CreateThing(ctx, &iotsdk.CreateThingInput{ThingName: aws.String(th)}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.AttachThingPrincipal(ctx, &iotsdk.AttachThingPrincipalInput{ThingName: aws.String(th), Principal: cert.CertificateArn}); err != nil {
			t.Fatal(err)
		}
	}
	der := derOf(t, aws.ToString(cert.CertificatePem))
	things, id, err := srv.VerifyClientCertificate(der)
	if err != nil || id != aws.ToString(cert.CertificateId) || !cmp.Equal(things, []string{"a", "b"}) {
		t.Errorf("VerifyClientCertificate = %v, %q, %v; want [a b], %q, nil", things, id, err, aws.ToString(cert.CertificateId))
	}

	if _, err := c.UpdateCertificate(ctx, &iotsdk.UpdateCertificateInput{CertificateId: cert.CertificateId, NewStatus: types.CertificateStatusInactive}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := srv.VerifyClientCertificate(der); !errors.Is(err, iot.ErrCertificateNotActive) {
		t.Errorf("VerifyClientCertificate(INACTIVE) = %v, want ErrCertificateNotActive", err)
	}
	foreign := selfSigned(t, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	if _, err := c.RegisterCertificateWithoutCA(ctx, &iotsdk.RegisterCertificateWithoutCAInput{CertificatePem: aws.String(foreign), Status: types.CertificateStatusActive}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := srv.VerifyClientCertificate(derOf(t, foreign)); err == nil {
		t.Errorf("VerifyClientCertificate(not chaining to the CA) succeeded")
	}
	// Issued by the CA, but deleted.
	gone, err := c.CreateKeysAndCertificate(ctx, &iotsdk.CreateKeysAndCertificateInput{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteCertificate(ctx, &iotsdk.DeleteCertificateInput{CertificateId: gone.CertificateId}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := srv.VerifyClientCertificate(derOf(t, aws.ToString(gone.CertificatePem))); !errors.Is(err, iot.ErrUnknownCertificate) {
		t.Errorf("VerifyClientCertificate(deleted) = %v, want ErrUnknownCertificate", err)
	}
	if _, _, err := srv.VerifyClientCertificate([]byte("junk")); err == nil {
		t.Errorf("VerifyClientCertificate(junk) succeeded")
	}
}
