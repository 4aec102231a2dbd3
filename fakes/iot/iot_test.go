package iot_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	iotsdk "github.com/aws/aws-sdk-go-v2/service/iot"
	"github.com/aws/aws-sdk-go-v2/service/iot/types"
	"github.com/google/go-cmp/cmp"

	"github.com/tgsim/tgsim/fakes/iot"
)

func newClient(t testing.TB, opts iot.Options) (*iot.Server, *iotsdk.Client) {
	t.Helper()
	srv, err := iot.NewServer(opts)
	if err != nil {
		t.Fatalf("NewServer: %v", err)
	}
	t.Cleanup(srv.Close)
	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("test", "test", "")}
	return srv, iotsdk.NewFromConfig(cfg, func(o *iotsdk.Options) { o.BaseEndpoint = aws.String(srv.URL) })
}

func counterIDs() func() string {
	var mu sync.Mutex
	n := 0
	return func() string {
		mu.Lock()
		defer mu.Unlock()
		n++
		return fmt.Sprintf("id-%d", n)
	}
}

func TestThings(t *testing.T) {
	ctx := context.Background()
	srv, c := newClient(t, iot.Options{AccountID: "123456789012", NewID: counterIDs()})

	out, err := c.CreateThing(ctx, &iotsdk.CreateThingInput{
		ThingName:        aws.String("lamp-1"),
		AttributePayload: &types.AttributePayload{Attributes: map[string]string{"room": "kitchen"}},
	})
	if err != nil {
		t.Fatalf("CreateThing: %v", err)
	}
	if got, want := aws.ToString(out.ThingArn), "arn:aws:iot:us-east-1:123456789012:thing/lamp-1"; got != want {
		t.Errorf("CreateThing ARN = %q, want %q", got, want)
	}
	// Identical again: same thing, no error.
	again, err := c.CreateThing(ctx, &iotsdk.CreateThingInput{
		ThingName:        aws.String("lamp-1"),
		AttributePayload: &types.AttributePayload{Attributes: map[string]string{"room": "kitchen"}},
	})
	if err != nil || aws.ToString(again.ThingId) != aws.ToString(out.ThingId) {
		t.Errorf("identical CreateThing = %v, %v; want same id %q", again, err, aws.ToString(out.ThingId))
	}

	desc, err := c.DescribeThing(ctx, &iotsdk.DescribeThingInput{ThingName: aws.String("lamp-1")})
	if err != nil {
		t.Fatalf("DescribeThing: %v", err)
	}
	type view struct {
		Name, ID, ARN, ClientID string
		Attrs                   map[string]string
		Version                 int64
	}
	want := view{"lamp-1", "id-1", "arn:aws:iot:us-east-1:123456789012:thing/lamp-1", "lamp-1", map[string]string{"room": "kitchen"}, 1}
	got := view{aws.ToString(desc.ThingName), aws.ToString(desc.ThingId), aws.ToString(desc.ThingArn), aws.ToString(desc.DefaultClientId), desc.Attributes, desc.Version}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("DescribeThing (-want +got):\n%s", diff)
	}

	// Merge adds and removes (empty value); replace drops the rest.
	if _, err := c.UpdateThing(ctx, &iotsdk.UpdateThingInput{ThingName: aws.String("lamp-1"), ExpectedVersion: aws.Int64(1),
		AttributePayload: &types.AttributePayload{Attributes: map[string]string{"floor": "2"}, Merge: true}}); err != nil {
		t.Fatalf("UpdateThing merge: %v", err)
	}
	if th, _ := srv.Thing("lamp-1"); !cmp.Equal(th.Attributes, map[string]string{"room": "kitchen", "floor": "2"}) || th.Version != 2 {
		t.Errorf("after merge: attributes %v version %d", th.Attributes, th.Version)
	}
	if _, err := c.UpdateThing(ctx, &iotsdk.UpdateThingInput{ThingName: aws.String("lamp-1"),
		AttributePayload: &types.AttributePayload{Attributes: map[string]string{"room": "", "floor": "3"}, Merge: true}}); err != nil {
		t.Fatalf("UpdateThing remove: %v", err)
	}
	if th, _ := srv.Thing("lamp-1"); !cmp.Equal(th.Attributes, map[string]string{"floor": "3"}) {
		t.Errorf("after removing room: attributes %v", th.Attributes)
	}
	if _, err := c.CreateThingType(ctx, &iotsdk.CreateThingTypeInput{ThingTypeName: aws.String("Lamp")}); err != nil {
		t.Fatalf("CreateThingType: %v", err)
	}
	if _, err := c.UpdateThing(ctx, &iotsdk.UpdateThingInput{ThingName: aws.String("lamp-1"), ThingTypeName: aws.String("Lamp"),
		AttributePayload: &types.AttributePayload{Attributes: map[string]string{"a": "1"}}}); err != nil {
		t.Fatalf("UpdateThing replace: %v", err)
	}
	if th, _ := srv.Thing("lamp-1"); !cmp.Equal(th.Attributes, map[string]string{"a": "1"}) || th.TypeName != "Lamp" || th.Version != 4 {
		t.Errorf("after replace: %+v", th)
	}

	if _, err := c.DeleteThing(ctx, &iotsdk.DeleteThingInput{ThingName: aws.String("lamp-1"), ExpectedVersion: aws.Int64(4)}); err != nil {
		t.Fatalf("DeleteThing: %v", err)
	}
	if _, ok := srv.Thing("lamp-1"); ok {
		t.Errorf("thing still there after DeleteThing")
	}
	// AWS: deleting a thing that does not exist succeeds.
	if _, err := c.DeleteThing(ctx, &iotsdk.DeleteThingInput{ThingName: aws.String("lamp-1")}); err != nil {
		t.Errorf("DeleteThing of missing thing: %v", err)
	}
}

func TestThingErrors(t *testing.T) {
	ctx := context.Background()
	_, c := newClient(t, iot.Options{})
	if _, err := c.CreateThing(ctx, &iotsdk.CreateThingInput{ThingName: aws.String("t1"),
		AttributePayload: &types.AttributePayload{Attributes: map[string]string{"k": "v"}}}); err != nil {
		t.Fatal(err)
	}
	var (
		invalid  *types.InvalidRequestException
		notFound *types.ResourceNotFoundException
		exists   *types.ResourceAlreadyExistsException
		conflict *types.VersionConflictException
	)
	tests := []struct {
		name   string
		call   func() error
		target any
	}{
		{"CreateThing bad name", func() error {
			_, err := c.CreateThing(ctx, &iotsdk.CreateThingInput{ThingName: aws.String("has space")})
			return err
		}, &invalid},
		{"CreateThing name too long", func() error {
			_, err := c.CreateThing(ctx, &iotsdk.CreateThingInput{ThingName: aws.String(strings.Repeat("x", 129))})
			return err
		}, &invalid},
		{"CreateThing bad attribute", func() error {
			_, err := c.CreateThing(ctx, &iotsdk.CreateThingInput{ThingName: aws.String("t2"),
				AttributePayload: &types.AttributePayload{Attributes: map[string]string{"k": "a b"}}})
			return err
		}, &invalid},
		{"CreateThing four attributes without type", func() error {
			_, err := c.CreateThing(ctx, &iotsdk.CreateThingInput{ThingName: aws.String("t3"),
				AttributePayload: &types.AttributePayload{Attributes: map[string]string{"a": "1", "b": "2", "c": "3", "d": "4"}}})
			return err
		}, &invalid},
		{"CreateThing different attributes", func() error {
			_, err := c.CreateThing(ctx, &iotsdk.CreateThingInput{ThingName: aws.String("t1"),
				AttributePayload: &types.AttributePayload{Attributes: map[string]string{"k": "other"}}})
			return err
		}, &exists},
		{"DescribeThing missing", func() error {
			_, err := c.DescribeThing(ctx, &iotsdk.DescribeThingInput{ThingName: aws.String("nope")})
			return err
		}, &notFound},
		{"UpdateThing missing", func() error {
			_, err := c.UpdateThing(ctx, &iotsdk.UpdateThingInput{ThingName: aws.String("nope")})
			return err
		}, &notFound},
		{"UpdateThing wrong version", func() error {
			_, err := c.UpdateThing(ctx, &iotsdk.UpdateThingInput{ThingName: aws.String("t1"), ExpectedVersion: aws.Int64(7)})
			return err
		}, &conflict},
		{"UpdateThing type and removeThingType", func() error {
			_, err := c.UpdateThing(ctx, &iotsdk.UpdateThingInput{ThingName: aws.String("t1"), ThingTypeName: aws.String("T"), RemoveThingType: true})
			return err
		}, &invalid},
		{"DeleteThing wrong version", func() error {
			_, err := c.DeleteThing(ctx, &iotsdk.DeleteThingInput{ThingName: aws.String("t1"), ExpectedVersion: aws.Int64(9)})
			return err
		}, &conflict},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			if !errors.As(err, tt.target) {
				t.Errorf("error = %v, want %T", err, tt.target)
			}
		})
	}
}

func TestListThingsPaginates(t *testing.T) {
	ctx := context.Background()
	_, c := newClient(t, iot.Options{})
	var want []string
	for i := range 7 {
		name := fmt.Sprintf("dev-%02d", i)
		want = append(want, name)
		attrs := map[string]string{"kind": "sensor"}
		if i%2 == 0 {
			attrs["kind"] = "camera"
		}
		if _, err := c.CreateThing(ctx, &iotsdk.CreateThingInput{ThingName: aws.String(name), AttributePayload: &types.AttributePayload{Attributes: attrs}}); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	pages := 0
	p := iotsdk.NewListThingsPaginator(c, &iotsdk.ListThingsInput{MaxResults: aws.Int32(3)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatalf("ListThings page %d: %v", pages, err)
		}
		pages++
		for _, th := range out.Things {
			got = append(got, aws.ToString(th.ThingName))
		}
	}
	if diff := cmp.Diff(want, got); diff != "" || pages != 3 {
		t.Errorf("ListThings in %d pages (-want +got):\n%s", pages, diff)
	}
	out, err := c.ListThings(ctx, &iotsdk.ListThingsInput{AttributeName: aws.String("kind"), AttributeValue: aws.String("cam"), UsePrefixAttributeValue: true})
	if err != nil {
		t.Fatalf("ListThings filtered: %v", err)
	}
	if len(out.Things) != 4 {
		t.Errorf("ListThings kind=cam* returned %d things, want 4", len(out.Things))
	}
}

func TestCreateKeysAndCertificate(t *testing.T) {
	tests := []struct {
		name    string
		alg     string
		keyType string
	}{
		{name: "ECDSA P-256", alg: iot.KeyECDSAP256, keyType: "EC PRIVATE KEY"},
		{name: "RSA 2048", alg: iot.KeyRSA2048, keyType: "RSA PRIVATE KEY"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			var logs bytes.Buffer
			logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
			srv, c := newClient(t, iot.Options{AccountID: "123456789012", KeyAlgorithm: tt.alg, Logger: logger})
			out, err := c.CreateKeysAndCertificate(ctx, &iotsdk.CreateKeysAndCertificateInput{SetAsActive: true})
			if err != nil {
				t.Fatalf("CreateKeysAndCertificate: %v", err)
			}
			block, _ := pem.Decode([]byte(aws.ToString(out.CertificatePem)))
			if block == nil {
				t.Fatalf("certificatePem is not PEM: %q", aws.ToString(out.CertificatePem))
			}
			sum := sha256.Sum256(block.Bytes)
			if got := aws.ToString(out.CertificateId); got != hex.EncodeToString(sum[:]) {
				t.Errorf("certificateId = %s, want SHA-256 of the DER %x", got, sum)
			}
			if got, want := aws.ToString(out.CertificateArn), "arn:aws:iot:us-east-1:123456789012:cert/"+aws.ToString(out.CertificateId); got != want {
				t.Errorf("certificateArn = %q, want %q", got, want)
			}
			priv := aws.ToString(out.KeyPair.PrivateKey)
			if !strings.Contains(priv, "BEGIN "+tt.keyType) || !strings.Contains(aws.ToString(out.KeyPair.PublicKey), "BEGIN PUBLIC KEY") {
				t.Errorf("key pair PEM types: private %.40q public %.40q", priv, aws.ToString(out.KeyPair.PublicKey))
			}
			// The key pair belongs to the certificate...
			if _, err := tls.X509KeyPair([]byte(aws.ToString(out.CertificatePem)), []byte(priv)); err != nil {
				t.Errorf("certificate and private key do not match: %v", err)
			}
			// ...and the certificate chains to the service's CA for client auth.
			cert, err := x509.ParseCertificate(block.Bytes)
			if err != nil {
				t.Fatal(err)
			}
			roots := x509.NewCertPool()
			if !roots.AppendCertsFromPEM(srv.CACertPEM()) {
				t.Fatal("CACertPEM is not a PEM certificate")
			}
			if _, err := cert.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
				t.Errorf("certificate does not verify against CACertPEM: %v", err)
			}
			if strings.Contains(logs.String(), "PRIVATE KEY") || strings.Contains(logs.String(), priv[40:80]) {
				t.Errorf("private key material found in logs")
			}
			if st, ok := srv.CertificateStatus(aws.ToString(out.CertificateId)); !ok || st != "ACTIVE" {
				t.Errorf("CertificateStatus = %q, %v; want ACTIVE", st, ok)
			}
		})
	}
}

func TestCertificateLifecycle(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2019, 3, 3, 20, 33, 9, 0, time.UTC)
	srv, c := newClient(t, iot.Options{Now: func() time.Time { return now }})
	var ids []string
	for range 3 {
		out, err := c.CreateKeysAndCertificate(ctx, &iotsdk.CreateKeysAndCertificateInput{})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, aws.ToString(out.CertificateId))
	}
	id := ids[0]
	d, err := c.DescribeCertificate(ctx, &iotsdk.DescribeCertificateInput{CertificateId: aws.String(id)})
	if err != nil {
		t.Fatalf("DescribeCertificate: %v", err)
	}
	cd := d.CertificateDescription
	if cd.Status != types.CertificateStatusInactive || !aws.ToTime(cd.CreationDate).Equal(now) || aws.ToString(cd.OwnedBy) != "000000000000" ||
		!aws.ToTime(cd.Validity.NotAfter).Equal(time.Date(2049, 12, 31, 23, 59, 59, 0, time.UTC)) || cd.CertificatePem == nil {
		t.Errorf("DescribeCertificate = status %s created %v owner %q notAfter %v", cd.Status, aws.ToTime(cd.CreationDate), aws.ToString(cd.OwnedBy), aws.ToTime(cd.Validity.NotAfter))
	}
	steps := []struct {
		name    string
		status  types.CertificateStatus
		wantErr any
		want    string
	}{
		{name: "activate", status: types.CertificateStatusActive, want: "ACTIVE"},
		{name: "deactivate", status: types.CertificateStatusInactive, want: "INACTIVE"},
		{name: "pending transfer refused", status: types.CertificateStatusPendingTransfer, wantErr: new(*types.InvalidRequestException), want: "INACTIVE"},
		{name: "revoke", status: types.CertificateStatusRevoked, want: "REVOKED"},
		{name: "revoked stays revoked", status: types.CertificateStatusActive, wantErr: new(*types.CertificateStateException), want: "REVOKED"},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			_, err := c.UpdateCertificate(ctx, &iotsdk.UpdateCertificateInput{CertificateId: aws.String(id), NewStatus: st.status})
			if st.wantErr == nil && err != nil {
				t.Fatalf("UpdateCertificate(%s): %v", st.status, err)
			}
			if st.wantErr != nil && !errors.As(err, st.wantErr) {
				t.Fatalf("UpdateCertificate(%s) = %v, want %T", st.status, err, st.wantErr)
			}
			if got, _ := srv.CertificateStatus(id); got != st.want {
				t.Errorf("status = %s, want %s", got, st.want)
			}
		})
	}

	var nf *types.ResourceNotFoundException
	if _, err := c.DescribeCertificate(ctx, &iotsdk.DescribeCertificateInput{CertificateId: aws.String(strings.Repeat("ab", 32))}); !errors.As(err, &nf) {
		t.Errorf("DescribeCertificate(unknown) = %v, want ResourceNotFoundException", err)
	}
	var inv *types.InvalidRequestException
	if _, err := c.DescribeCertificate(ctx, &iotsdk.DescribeCertificateInput{CertificateId: aws.String("abc")}); !errors.As(err, &inv) {
		t.Errorf("DescribeCertificate(short id) = %v, want InvalidRequestException", err)
	}

	var listed []string
	p := iotsdk.NewListCertificatesPaginator(c, &iotsdk.ListCertificatesInput{PageSize: aws.Int32(2), AscendingOrder: true})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatalf("ListCertificates: %v", err)
		}
		for _, ce := range out.Certificates {
			listed = append(listed, aws.ToString(ce.CertificateId))
		}
	}
	// Same creation time: ascending order falls back to id order.
	wantIDs := append([]string(nil), ids...)
	sortStrings(wantIDs)
	if diff := cmp.Diff(wantIDs, listed); diff != "" {
		t.Errorf("ListCertificates (-want +got):\n%s", diff)
	}
}

func sortStrings(s []string) {
	for i := range s {
		for j := i + 1; j < len(s); j++ {
			if s[j] < s[i] {
				s[i], s[j] = s[j], s[i]
			}
		}
	}
}

func TestThingPrincipals(t *testing.T) {
	ctx := context.Background()
	_, c := newClient(t, iot.Options{})
	for _, n := range []string{"a", "b"} {
		if _, err := c.CreateThing(ctx, &iotsdk.CreateThingInput{ThingName: aws.String(n)}); err != nil {
			t.Fatal(err)
		}
	}
	cert, err := c.CreateKeysAndCertificate(ctx, &iotsdk.CreateKeysAndCertificateInput{SetAsActive: true})
	if err != nil {
		t.Fatal(err)
	}
	arn := cert.CertificateArn
	for _, n := range []string{"a", "b", "a"} {
		if _, err := c.AttachThingPrincipal(ctx, &iotsdk.AttachThingPrincipalInput{ThingName: aws.String(n), Principal: arn}); err != nil {
			t.Fatalf("AttachThingPrincipal(%s): %v", n, err)
		}
	}
	tp, err := c.ListThingPrincipals(ctx, &iotsdk.ListThingPrincipalsInput{ThingName: aws.String("a")})
	if err != nil {
		t.Fatalf("ListThingPrincipals: %v", err)
	}
	if diff := cmp.Diff([]string{aws.ToString(arn)}, tp.Principals); diff != "" {
		t.Errorf("ListThingPrincipals (-want +got):\n%s", diff)
	}
	pt, err := c.ListPrincipalThings(ctx, &iotsdk.ListPrincipalThingsInput{Principal: arn})
	if err != nil {
		t.Fatalf("ListPrincipalThings: %v", err)
	}
	if diff := cmp.Diff([]string{"a", "b"}, pt.Things); diff != "" {
		t.Errorf("ListPrincipalThings (-want +got):\n%s", diff)
	}

	var invalid *types.InvalidRequestException
	if _, err := c.DeleteThing(ctx, &iotsdk.DeleteThingInput{ThingName: aws.String("a")}); !errors.As(err, &invalid) ||
		!strings.Contains(err.Error(), "still attached to one or more principals") {
		t.Errorf("DeleteThing with principal = %v, want InvalidRequestException", err)
	}
	if _, err := c.DetachThingPrincipal(ctx, &iotsdk.DetachThingPrincipalInput{ThingName: aws.String("a"), Principal: arn}); err != nil {
		t.Fatalf("DetachThingPrincipal: %v", err)
	}
	if _, err := c.DeleteThing(ctx, &iotsdk.DeleteThingInput{ThingName: aws.String("a")}); err != nil {
		t.Errorf("DeleteThing after detach: %v", err)
	}

	var nf *types.ResourceNotFoundException
	otherCert := "arn:aws:iot:us-east-1:000000000000:cert/" + strings.Repeat("0", 64)
	tests := []struct {
		name   string
		call   func() error
		target any
	}{
		{"attach to missing thing", func() error {
			_, err := c.AttachThingPrincipal(ctx, &iotsdk.AttachThingPrincipalInput{ThingName: aws.String("zz"), Principal: arn})
			return err
		}, &nf},
		{"attach unknown certificate", func() error {
			_, err := c.AttachThingPrincipal(ctx, &iotsdk.AttachThingPrincipalInput{ThingName: aws.String("b"), Principal: aws.String(otherCert)})
			return err
		}, &nf},
		{"attach non-certificate principal", func() error {
			_, err := c.AttachThingPrincipal(ctx, &iotsdk.AttachThingPrincipalInput{ThingName: aws.String("b"), Principal: aws.String("us-east-1:1234")})
			return err
		}, &invalid},
		{"list things of unknown certificate", func() error {
			_, err := c.ListPrincipalThings(ctx, &iotsdk.ListPrincipalThingsInput{Principal: aws.String(otherCert)})
			return err
		}, &nf},
		{"list principals of missing thing", func() error {
			_, err := c.ListThingPrincipals(ctx, &iotsdk.ListThingPrincipalsInput{ThingName: aws.String("zz")})
			return err
		}, &nf},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.call(); !errors.As(err, tt.target) {
				t.Errorf("error = %v, want %T", err, tt.target)
			}
		})
	}
}

func TestDescribeEndpoint(t *testing.T) {
	ctx := context.Background()
	_, c := newClient(t, iot.Options{DataEndpoint: "127.0.0.1:18883"})
	tests := []struct {
		name, endpointType, want string
		wantErr                  bool
	}{
		{name: "ATS", endpointType: "iot:Data-ATS", want: "127.0.0.1:18883"},
		{name: "legacy default", endpointType: "", want: "127.0.0.1:18883"},
		{name: "credential provider", endpointType: "iot:CredentialProvider", want: "127.0.0.1:18883"},
		{name: "unknown", endpointType: "iot:Nope", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := &iotsdk.DescribeEndpointInput{}
			if tt.endpointType != "" {
				in.EndpointType = aws.String(tt.endpointType)
			}
			out, err := c.DescribeEndpoint(ctx, in)
			if tt.wantErr {
				var inv *types.InvalidRequestException
				if !errors.As(err, &inv) {
					t.Errorf("DescribeEndpoint(%q) = %v, want InvalidRequestException", tt.endpointType, err)
				}
				return
			}
			if err != nil || aws.ToString(out.EndpointAddress) != tt.want {
				t.Errorf("DescribeEndpoint(%q) = %v, %v; want %q", tt.endpointType, out, err, tt.want)
			}
		})
	}
}

func TestConcurrentIdenticalCreate(t *testing.T) {
	ctx := context.Background()
	_, c := newClient(t, iot.Options{})
	var wg sync.WaitGroup
	ids := make([]string, 8)
	errs := make([]error, 8)
	for i := range ids {
		wg.Go(func() {
			out, err := c.CreateThing(ctx, &iotsdk.CreateThingInput{ThingName: aws.String("same")})
			errs[i] = err
			if err == nil {
				ids[i] = aws.ToString(out.ThingId)
			}
		})
	}
	wg.Wait()
	for i := range ids {
		if errs[i] != nil || ids[i] != ids[0] {
			t.Errorf("CreateThing #%d = %q, %v; want %q", i, ids[i], errs[i], ids[0])
		}
	}
}

func TestProtocolErrors(t *testing.T) {
	srv, _ := newClient(t, iot.Options{})
	tests := []struct {
		name, method, path, body string
		wantStatus               int
		wantCode                 string
	}{
		{name: "unknown path", method: "GET", path: "/no/such/thing", wantStatus: 404, wantCode: "UnknownOperationException"},
		{name: "wrong method", method: "PUT", path: "/endpoint", wantStatus: 404, wantCode: "UnknownOperationException"},
		{name: "bad JSON", method: "POST", path: "/things/x", body: `{"attributePayload": {`, wantStatus: 400, wantCode: "SerializationException"},
		{name: "wrong JSON type", method: "POST", path: "/things/x", body: `{"thingTypeName": 5}`, wantStatus: 400, wantCode: "SerializationException"},
		{name: "bad maxResults", method: "GET", path: "/things?maxResults=0", wantStatus: 400, wantCode: "InvalidRequestException"},
		{name: "bad nextToken", method: "GET", path: "/things?nextToken=%25%25", wantStatus: 400, wantCode: "InvalidRequestException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, srv.URL+tt.path, strings.NewReader(tt.body))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			_ = resp.Body.Close()
			if resp.StatusCode != tt.wantStatus || resp.Header.Get("X-Amzn-Errortype") != tt.wantCode || !strings.Contains(string(body), `"message"`) {
				t.Errorf("%s %s = %d %s %s, want %d %s", tt.method, tt.path, resp.StatusCode, resp.Header.Get("X-Amzn-Errortype"), body, tt.wantStatus, tt.wantCode)
			}
		})
	}
}
