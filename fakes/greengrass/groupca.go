package greengrass

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net/http"
	"strconv"
	"time"
)

// GroupCA is one certificate authority of a group: a real self-signed
// ECDSA P-256 root. The newest CA of a group is the active one; AWS
// documents CreateGroupCertificateAuthority as "rotates the existing CA".
type GroupCA struct {
	GroupID string
	ID      string
	Arn     string
	// CreatedAt is also the certificate's NotBefore.
	CreatedAt time.Time
	// CertificatePEM is the CA certificate, PEM encoded.
	CertificatePEM []byte
	// PrivateKeyDER is the CA's private key, PKCS #8 DER.
	PrivateKeyDER []byte
}

// Certificate expiry of the core's MQTT server certificate: 7 days by
// default, configurable between 7 and 30 days [DOC gg-sec, "MQTT server
// certificate expiration"; recalled, not re-read].
const (
	minCertificateExpiry     = 7 * 24 * time.Hour
	maxCertificateExpiry     = 30 * 24 * time.Hour
	defaultCertificateExpiry = minCertificateExpiry
	// groupCAValidity is how long a group CA is valid. [INF]
	groupCAValidity = 5 * 365 * 24 * time.Hour
)

// CertificateAuthorityBackend is the optional part of a Backend that
// stores group CAs and the group certificate configuration (found by type
// assertion). Memory implements it. Every method answers
// IdNotFoundException for a missing group; deleting a group deletes its
// CAs and configuration.
type CertificateAuthorityBackend interface {
	// AddGroupCA stores ca as the group's newest, active CA. With ifNone
	// set, a group that has a CA already keeps its CAs and ca is dropped.
	// It returns the group's CAs, newest first.
	AddGroupCA(ctx context.Context, ca GroupCA, ifNone bool) ([]GroupCA, error)
	// GroupCAs returns a group's CAs, newest first (none for a new group).
	GroupCAs(ctx context.Context, groupID string) ([]GroupCA, error)
	// SetCertificateExpiry stores the group's server certificate expiry.
	SetCertificateExpiry(ctx context.Context, groupID string, d time.Duration) error
	// CertificateExpiry returns the stored expiry, or 0 when none was set.
	CertificateExpiry(ctx context.Context, groupID string) (time.Duration, error)
}

func (s *Service) caBackend() (CertificateAuthorityBackend, error) {
	cb, ok := s.backend.(CertificateAuthorityBackend)
	if !ok {
		return nil, notImplemented("group certificate authorities (the Backend does not implement CertificateAuthorityBackend)")
	}
	return cb, nil
}

func groupCAArn(region, account, groupID, id string) string {
	return groupArn(region, account, groupID) + "/certificateauthorities/" + id
}

// newGroupCA generates a fresh root for a group.
func (s *Service) newGroupCA(ctx context.Context, groupID string) (GroupCA, error) {
	region, account := s.where(ctx)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return GroupCA{}, fmt.Errorf("group CA key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return GroupCA{}, fmt.Errorf("group CA serial: %w", err)
	}
	now := s.opts.Now().UTC().Truncate(time.Second)
	id := s.opts.NewID()
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		// [INF] The subject of AWS's group CAs is not documented.
		Subject: pkix.Name{
			Country: []string{"US"}, Province: []string{"Washington"}, Locality: []string{"Seattle"},
			Organization: []string{"Amazon.com Inc."}, OrganizationalUnit: []string{"Amazon Web Services"},
			CommonName: "Greengrass Core CA " + groupID,
		},
		NotBefore:             now,
		NotAfter:              now.Add(groupCAValidity),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return GroupCA{}, fmt.Errorf("group CA certificate: %w", err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return GroupCA{}, fmt.Errorf("group CA key: %w", err)
	}
	return GroupCA{
		GroupID: groupID, ID: id, Arn: groupCAArn(region, account, groupID, id), CreatedAt: now,
		CertificatePEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		PrivateKeyDER:  keyDER,
	}, nil
}

// groupCAs returns a group's CAs, newest first, creating the first one
// when the group has none: every group has a CA, as in AWS, but it is only
// generated when something asks for it.
func (s *Service) groupCAs(ctx context.Context, groupID string) ([]GroupCA, error) {
	cb, err := s.caBackend()
	if err != nil {
		return nil, err
	}
	cas, err := cb.GroupCAs(ctx, groupID)
	if err != nil || len(cas) > 0 {
		return cas, err
	}
	ca, err := s.newGroupCA(ctx, groupID)
	if err != nil {
		return nil, err
	}
	return cb.AddGroupCA(ctx, ca, true)
}

// GroupCA returns the PEM certificate and the signer of a group's active
// CA, creating the CA if the group has none yet. A simulated core issues
// its MQTT server certificate from it, as a real core does. A missing
// group is IdNotFoundException.
func (s *Service) GroupCA(groupID string) (certPEM []byte, signer crypto.Signer, err error) {
	cas, err := s.groupCAs(context.Background(), groupID)
	if err != nil {
		return nil, nil, err
	}
	key, err := x509.ParsePKCS8PrivateKey(cas[0].PrivateKeyDER)
	if err != nil {
		return nil, nil, fmt.Errorf("group %s CA key: %w", groupID, err)
	}
	signer, ok := key.(crypto.Signer)
	if !ok {
		return nil, nil, fmt.Errorf("group %s CA key is a %T, not a crypto.Signer", groupID, key)
	}
	return append([]byte(nil), cas[0].CertificatePEM...), signer, nil
}

// CreateGroupCertificateAuthority serves POST /greengrass/groups/{GroupId}/certificateauthorities.
// The new CA becomes the active one; earlier CAs stay listed.
func (s *Service) CreateGroupCertificateAuthority(w http.ResponseWriter, r *http.Request, p pathParams) error {
	cb, err := s.caBackend()
	if err != nil {
		return err
	}
	// Check the group first, so a missing group costs no key generation.
	if _, err := s.backend.GetGroup(r.Context(), p["GroupId"]); err != nil {
		return err
	}
	ca, err := s.newGroupCA(r.Context(), p["GroupId"])
	if err != nil {
		return err
	}
	if _, err := cb.AddGroupCA(r.Context(), ca, false); err != nil {
		return err
	}
	reply(w, struct{ GroupCertificateAuthorityArn string }{ca.Arn})
	return nil
}

// ListGroupCertificateAuthorities serves GET /greengrass/groups/{GroupId}/certificateauthorities,
// newest (active) first.
func (s *Service) ListGroupCertificateAuthorities(w http.ResponseWriter, r *http.Request, p pathParams) error {
	cas, err := s.groupCAs(r.Context(), p["GroupId"])
	if err != nil {
		return err
	}
	type props struct {
		GroupCertificateAuthorityArn string
		GroupCertificateAuthorityID  string `json:"GroupCertificateAuthorityId"`
	}
	out := struct{ GroupCertificateAuthorities []props }{make([]props, 0, len(cas))}
	for _, ca := range cas {
		out.GroupCertificateAuthorities = append(out.GroupCertificateAuthorities, props{ca.Arn, ca.ID})
	}
	reply(w, out)
	return nil
}

// GetGroupCertificateAuthority serves GET /greengrass/groups/{GroupId}/certificateauthorities/{CertificateAuthorityId}.
func (s *Service) GetGroupCertificateAuthority(w http.ResponseWriter, r *http.Request, p pathParams) error {
	cas, err := s.groupCAs(r.Context(), p["GroupId"])
	if err != nil {
		return err
	}
	for _, ca := range cas {
		if ca.ID == p["CertificateAuthorityId"] {
			reply(w, struct {
				GroupCertificateAuthorityArn string
				GroupCertificateAuthorityID  string `json:"GroupCertificateAuthorityId"`
				PemEncodedCertificate        string
			}{ca.Arn, ca.ID, string(ca.CertificatePEM)})
			return nil
		}
	}
	// [INF] the live service's answer for an unknown CA is not recorded.
	return idNotFound("Certificate authority %s of group %s does not exist.", p["CertificateAuthorityId"], p["GroupId"])
}

// groupCertificateConfiguration is the wire form of both configuration
// operations. AWS: shape GroupCertificateConfiguration; the durations are
// decimal strings of milliseconds.
type groupCertificateConfiguration struct {
	CertificateAuthorityExpiryInMilliseconds string
	CertificateExpiryInMilliseconds          string
	GroupID                                  string `json:"GroupId"`
}

func (s *Service) certificateConfiguration(ctx context.Context, groupID string) (groupCertificateConfiguration, error) {
	cb, err := s.caBackend()
	if err != nil {
		return groupCertificateConfiguration{}, err
	}
	d, err := cb.CertificateExpiry(ctx, groupID)
	if err != nil {
		return groupCertificateConfiguration{}, err
	}
	if d == 0 {
		d = defaultCertificateExpiry
	}
	cas, err := s.groupCAs(ctx, groupID)
	if err != nil {
		return groupCertificateConfiguration{}, err
	}
	// The model documents the CA member as "the amount of time, in
	// milliseconds, before the certificate authority expires".
	cert, err := parseCertificatePEM(cas[0].CertificatePEM)
	if err != nil {
		return groupCertificateConfiguration{}, err
	}
	left := max(cert.NotAfter.Sub(s.opts.Now()), 0)
	return groupCertificateConfiguration{
		CertificateAuthorityExpiryInMilliseconds: strconv.FormatInt(left.Milliseconds(), 10),
		CertificateExpiryInMilliseconds:          strconv.FormatInt(d.Milliseconds(), 10),
		GroupID:                                  groupID,
	}, nil
}

func parseCertificatePEM(b []byte) (*x509.Certificate, error) {
	block, _ := pem.Decode(b)
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, fmt.Errorf("stored group CA is not a PEM certificate")
	}
	return x509.ParseCertificate(block.Bytes)
}

// GetGroupCertificateConfiguration serves GET /greengrass/groups/{GroupId}/certificateauthorities/configuration/expiry.
func (s *Service) GetGroupCertificateConfiguration(w http.ResponseWriter, r *http.Request, p pathParams) error {
	out, err := s.certificateConfiguration(r.Context(), p["GroupId"])
	if err != nil {
		return err
	}
	reply(w, out)
	return nil
}

// UpdateGroupCertificateConfiguration serves PUT /greengrass/groups/{GroupId}/certificateauthorities/configuration/expiry.
func (s *Service) UpdateGroupCertificateConfiguration(w http.ResponseWriter, r *http.Request, p pathParams) error {
	var in struct{ CertificateExpiryInMilliseconds string }
	if err := decode(r, &in); err != nil {
		return err
	}
	cb, err := s.caBackend()
	if err != nil {
		return err
	}
	ms, err := strconv.ParseInt(in.CertificateExpiryInMilliseconds, 10, 64)
	d := time.Duration(ms) * time.Millisecond
	if err != nil || d < minCertificateExpiry || d > maxCertificateExpiry {
		return badRequest("CertificateExpiryInMilliseconds must be a whole number of milliseconds between %d (7 days) and %d (30 days), got %q.",
			minCertificateExpiry.Milliseconds(), maxCertificateExpiry.Milliseconds(), in.CertificateExpiryInMilliseconds)
	}
	if err := cb.SetCertificateExpiry(r.Context(), p["GroupId"], d); err != nil {
		return err
	}
	out, err := s.certificateConfiguration(r.Context(), p["GroupId"])
	if err != nil {
		return err
	}
	reply(w, out)
	return nil
}
