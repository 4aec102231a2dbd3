package core

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"errors"
	"math/big"
	"net"
	"testing"
	"time"

	"github.com/tgsim/tgsim/sim/device"
)

// selfSigned makes a key pair and certificate (a CA when ca is true).
func selfSigned(t *testing.T, cn string, ca bool, parent *x509.Certificate, parentKey *ecdsa.PrivateKey) (tls.Certificate, *x509.Certificate, *ecdsa.PrivateKey) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: ca, BasicConstraintsValid: true,
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
	}
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, cert, key
}

func certID(c tls.Certificate) string {
	sum := sha256.Sum256(c.Certificate[0])
	return hex.EncodeToString(sum[:])
}

func TestCoreMutualTLS(t *testing.T) {
	_, caCert, caKey := selfSigned(t, "group CA", true, nil, nil)
	server, _, _ := selfSigned(t, "core", false, caCert, caKey)
	sensorCert, _, _ := selfSigned(t, "Sensor", false, nil, nil)
	cameraCert, _, _ := selfSigned(t, "Camera", false, nil, nil)
	lampCert, _, _ := selfSigned(t, "Lamp", false, nil, nil)
	doorCert, _, _ := selfSigned(t, "Door", false, nil, nil)

	// The registry's view, as the IoT fake's VerifyClientCertificate
	// answers it: Sensor's and Camera's certificates are ACTIVE and attached
	// to their things, Lamp's was made INACTIVE, and Door's is attached to
	// another thing.
	registry := map[string][]string{certID(sensorCert): {"Sensor"}, certID(cameraCert): {"Camera"}, certID(doorCert): {"Window"}}
	verify := func(der []byte) ([]string, string, error) {
		sum := sha256.Sum256(der)
		id := hex.EncodeToString(sum[:])
		things, ok := registry[id]
		if !ok {
			return nil, id, errors.New("iot: certificate is not ACTIVE")
		}
		return things, id, nil
	}
	c, err := New(Options{MQTTAddr: "127.0.0.1:0", GroupName: "g", TLS: &tls.Config{Certificates: []tls.Certificate{server}}, VerifyCertificate: verify})
	if err != nil {
		t.Fatal(err)
	}
	tab, err := NewTable(nil, []Device{
		{ThingName: "Sensor", ThingArn: sensorArn, CertArn: "arn:aws:iot:us-east-1:000000000000:cert/" + certID(sensorCert)},
		{ThingName: "Camera", ThingArn: cameraArn, CertArn: "arn:aws:iot:us-east-1:000000000000:cert/" + certID(cameraCert)},
		{ThingName: "Lamp", ThingArn: "arn:aws:iot:us-east-1:000000000000:thing/Lamp", CertArn: "arn:aws:iot:us-east-1:000000000000:cert/" + certID(lampCert)},
		{ThingName: "Door", ThingArn: "arn:aws:iot:us-east-1:000000000000:thing/Door", CertArn: "arn:aws:iot:us-east-1:000000000000:cert/" + certID(doorCert)},
	})
	if err != nil {
		t.Fatal(err)
	}
	c.table.Store(tab)
	if err := c.broker.Serve(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.broker.Close() })
	roots := x509.NewCertPool()
	roots.AddCert(caCert)
	tlsFor := func(cert tls.Certificate) *tls.Config {
		return &tls.Config{RootCAs: roots, Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	tests := []struct {
		name      string
		clientID  string
		tls       *tls.Config
		wantOK    bool
		wantCount string // refusal reason counted, if refused at CONNECT
	}{
		{name: "own certificate", clientID: "Sensor", tls: tlsFor(sensorCert), wantOK: true},
		{name: "impersonation: Camera's client id with Sensor's certificate", clientID: "Camera", tls: tlsFor(sensorCert), wantCount: RefusedWrongCertificate},
		{name: "a thing not in the group", clientID: "Stranger", tls: tlsFor(sensorCert), wantCount: RefusedUnknownThing},
		{name: "plain TCP is refused", clientID: "Sensor", tls: nil},
		{name: "a certificate the registry no longer accepts", clientID: "Lamp", tls: tlsFor(lampCert), wantCount: RefusedCertificate},
		{name: "a certificate attached to another thing in the registry", clientID: "Door", tls: tlsFor(doorCert), wantCount: RefusedNotAttached},
		{name: "camera with its own certificate", clientID: "Camera", tls: tlsFor(cameraCert), wantOK: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := device.Connect(ctx, device.Options{ThingName: tt.clientID, Broker: c.MQTTAddr(), TLS: tt.tls, Timeout: 2 * time.Second})
			if tt.wantOK {
				if err != nil {
					t.Fatalf("Connect(%s) = %v, want success", tt.clientID, err)
				}
				d.Close()
				return
			}
			if err == nil {
				d.Close()
				t.Fatalf("Connect(%s) succeeded, want refusal", tt.clientID)
			}
			if tt.wantCount != "" && c.Refusals()[tt.wantCount] == 0 {
				t.Errorf("Refusals() = %v, want %q counted", c.Refusals(), tt.wantCount)
			}
		})
	}
}
