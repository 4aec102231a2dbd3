package iot

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"time"
)

// notAfter is the expiry AWS IoT gives certificates from
// CreateKeysAndCertificate: 2049-12-31T23:59:59Z.
var notAfter = time.Date(2049, 12, 31, 23, 59, 59, 0, time.UTC)

// CAStore is an optional interface of a Backend that keeps the certificate
// authority across restarts. New finds it by type assertion: it loads the
// CA from it, or generates one and saves it there. Bolt implements it.
type CAStore interface {
	// LoadCA returns the saved CA certificate and PKCS #8 private key (both
	// PEM), or nil, nil, nil when none is saved.
	LoadCA(ctx context.Context) (certPEM, keyPEM []byte, err error)
	// SaveCA stores them durably.
	SaveCA(ctx context.Context, certPEM, keyPEM []byte) error
}

// authority is the per-account CA that signs device certificates. Its key
// lives in memory for the Service's lifetime, and in the Backend when that
// is a CAStore.
type authority struct {
	cert    *x509.Certificate
	key     crypto.Signer
	certPEM []byte
}

func newAuthority(account string, now time.Time) (*authority, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	serial, err := randomSerial()
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject: pkix.Name{
			CommonName:         "tgsim fake AWS IoT CA",
			Organization:       []string{"tgsim"},
			OrganizationalUnit: []string{"account " + account},
		},
		NotBefore:             now.Add(-time.Hour).UTC(),
		NotAfter:              notAfter.Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &authority{cert: cert, key: key, certPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}, nil
}

// keyPEM is the CA private key as a PKCS #8 PEM block.
func (a *authority) keyPEM() ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(a.key)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// parseAuthority rebuilds a CA from its certificate and PKCS #8 key PEMs.
func parseAuthority(certPEM, keyPEM []byte) (*authority, error) {
	cb, _ := pem.Decode(certPEM)
	if cb == nil || cb.Type != "CERTIFICATE" {
		return nil, errors.New("CA certificate: no CERTIFICATE PEM block")
	}
	cert, err := x509.ParseCertificate(cb.Bytes)
	if err != nil {
		return nil, fmt.Errorf("CA certificate: %w", err)
	}
	kb, _ := pem.Decode(keyPEM)
	if kb == nil || kb.Type != "PRIVATE KEY" {
		return nil, errors.New("CA key: no PRIVATE KEY PEM block")
	}
	k, err := x509.ParsePKCS8PrivateKey(kb.Bytes)
	if err != nil {
		return nil, fmt.Errorf("CA key: %w", err)
	}
	key, ok := k.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("CA key: %T is not a signer", k)
	}
	pub, ok := key.Public().(interface{ Equal(crypto.PublicKey) bool })
	if !ok || !pub.Equal(cert.PublicKey) {
		return nil, errors.New("CA key does not match the CA certificate")
	}
	return &authority{cert: cert, key: key, certPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw})}, nil
}

// loadOrCreateAuthority reuses the CA saved in store, or creates one and
// saves it there. store may be nil.
func loadOrCreateAuthority(ctx context.Context, store CAStore, account string, now time.Time) (*authority, error) {
	if store != nil {
		certPEM, keyPEM, err := store.LoadCA(ctx)
		if err != nil {
			return nil, fmt.Errorf("loading: %w", err)
		}
		if certPEM != nil {
			return parseAuthority(certPEM, keyPEM)
		}
	}
	ca, err := newAuthority(account, now)
	if err != nil || store == nil {
		return ca, err
	}
	keyPEM, err := ca.keyPEM()
	if err != nil {
		return nil, err
	}
	if err := store.SaveCA(ctx, ca.certPEM, keyPEM); err != nil {
		return nil, fmt.Errorf("saving: %w", err)
	}
	return ca, nil
}

func randomSerial() (*big.Int, error) {
	return rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
}

// issued is a fresh certificate with its key pair. The private key PEM is
// handed to the caller once and not kept.
type issued struct {
	id            string // hex SHA-256 of the DER
	certPEM       string
	publicKeyPEM  string
	privateKeyPEM string
	notBefore     time.Time
	notAfter      time.Time
}

// issue creates a key pair of the given algorithm and a client certificate
// for it. AWS: CreateKeysAndCertificate; certificateId is the SHA-256
// fingerprint of the certificate.
func (a *authority) issue(alg string, now time.Time) (issued, error) {
	var (
		priv     crypto.Signer
		privPEM  *pem.Block
		keyUsage = x509.KeyUsageDigitalSignature
	)
	switch alg {
	case KeyRSA2048:
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			return issued{}, err
		}
		priv, privPEM = k, &pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)}
		keyUsage |= x509.KeyUsageKeyEncipherment
	default:
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return issued{}, err
		}
		b, err := x509.MarshalECPrivateKey(k)
		if err != nil {
			return issued{}, err
		}
		priv, privPEM = k, &pem.Block{Type: "EC PRIVATE KEY", Bytes: b}
	}
	pub, err := x509.MarshalPKIXPublicKey(priv.Public())
	if err != nil {
		return issued{}, err
	}
	serial, err := randomSerial()
	if err != nil {
		return issued{}, err
	}
	nb := now.UTC().Truncate(time.Second)
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: "AWS IoT Certificate"},
		NotBefore:    nb,
		NotAfter:     notAfter,
		KeyUsage:     keyUsage,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, a.cert, priv.Public(), a.key)
	if err != nil {
		return issued{}, fmt.Errorf("signing certificate: %w", err)
	}
	sum := sha256.Sum256(der)
	return issued{
		id:            hex.EncodeToString(sum[:]),
		certPEM:       string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})),
		publicKeyPEM:  string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub})),
		privateKeyPEM: string(pem.EncodeToMemory(privPEM)),
		notBefore:     nb,
		notAfter:      notAfter,
	}, nil
}

// verify checks that cert chains to the CA and is valid at now.
func (a *authority) verify(cert *x509.Certificate, now time.Time) error {
	pool := x509.NewCertPool()
	pool.AddCert(a.cert)
	_, err := cert.Verify(x509.VerifyOptions{Roots: pool, CurrentTime: now, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}})
	return err
}
