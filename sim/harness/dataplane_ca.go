package harness

import (
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
	"os"
	"path/filepath"
	"time"
)

// IoTDataCAFile holds, under DataDir, the root CA the AWS IoT data plane's
// server certificate chains to (PEM certificate, then PEM key), so devices
// that trusted it keep trusting the data plane after a restart.
const IoTDataCAFile = "iot-data-ca.pem"

// dataPlaneCA stands in for Amazon Root CA 1, which signs AWS IoT Core's
// server certificates (AWS: IoT developer guide, "Server authentication").
// Devices put its certificate in their trust store, as they put Amazon's.
type dataPlaneCA struct {
	cert    *x509.Certificate
	certPEM []byte
	key     *ecdsa.PrivateKey
}

// loadOrCreateDataPlaneCA reads the CA from dir, or generates it and, with
// a dir, saves it there (0600).
func loadOrCreateDataPlaneCA(dir string) (*dataPlaneCA, error) {
	path := ""
	if dir != "" {
		path = filepath.Join(dir, IoTDataCAFile)
		b, err := os.ReadFile(path)
		switch {
		case err == nil:
			ca, err := parseDataPlaneCA(b)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", path, err)
			}
			return ca, nil
		case !errors.Is(err, os.ErrNotExist):
			return nil, err
		}
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: "tgsim IoT data plane root CA (stands for Amazon Root CA 1)", Organization: []string{"tgsim"}},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().AddDate(20, 0, 0),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	ca := &dataPlaneCA{cert: cert, certPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), key: key}
	if path != "" {
		kder, err := x509.MarshalECPrivateKey(key)
		if err != nil {
			return nil, err
		}
		body := append(append([]byte{}, ca.certPEM...), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder})...)
		if err := writeFileSync(path, body); err != nil {
			return nil, err
		}
	}
	return ca, nil
}

func parseDataPlaneCA(b []byte) (*dataPlaneCA, error) {
	ca := &dataPlaneCA{}
	for {
		var blk *pem.Block
		blk, b = pem.Decode(b)
		if blk == nil {
			break
		}
		switch blk.Type {
		case "CERTIFICATE":
			c, err := x509.ParseCertificate(blk.Bytes)
			if err != nil {
				return nil, err
			}
			ca.cert, ca.certPEM = c, pem.EncodeToMemory(blk)
		case "EC PRIVATE KEY":
			k, err := x509.ParseECPrivateKey(blk.Bytes)
			if err != nil {
				return nil, err
			}
			ca.key = k
		}
	}
	if ca.cert == nil || ca.key == nil {
		return nil, errors.New("want a CERTIFICATE and an EC PRIVATE KEY block")
	}
	return ca, nil
}

// writeFileSync writes a new file 0600 and fsyncs it and its directory.
func writeFileSync(path string, body []byte) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(body); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}

// serverCert issues the data plane's server certificate for loopback
// names and the extra hosts (DNS names or IP addresses; empty ones are
// skipped), valid for a year.
func (ca *dataPlaneCA) serverCert(extra ...string) (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: "*.iot.tgsim.local"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().AddDate(1, 0, 0),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     []string{"localhost", "*.iot.tgsim.local"},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP("::1")},
	}
	for _, h := range extra {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else if h != "" {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der, ca.cert.Raw}, PrivateKey: key}, nil
}

// roots is a pool holding the CA, for clients.
func (ca *dataPlaneCA) roots() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca.cert)
	return p
}
