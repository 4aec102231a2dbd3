package iot

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

// CreateKeysAndCertificate is POST /keys-and-certificate?setAsActive=bool.
func (s *Service) CreateKeysAndCertificate(w http.ResponseWriter, r *http.Request) error {
	status := StatusInactive
	switch v := r.URL.Query().Get("setAsActive"); v {
	case "true":
		status = StatusActive
	case "false", "":
	default:
		return validationError("setAsActive", v, "Member must be a boolean")
	}
	now := s.opts.Now()
	iss, err := s.ca.issue(s.opts.KeyAlgorithm, now)
	if err != nil {
		return err
	}
	account, region := s.scope(r.Context())
	c := Certificate{
		ID:           iss.id,
		ARN:          "arn:aws:iot:" + region + ":" + account + ":cert/" + iss.id,
		PEM:          iss.certPEM,
		Status:       status,
		OwnedBy:      account,
		GenerationID: s.opts.NewID(),
		CreatedAt:    now,
		ModifiedAt:   now,
		NotBefore:    iss.notBefore,
		NotAfter:     iss.notAfter,
	}
	if err := s.backend.PutCertificate(r.Context(), c); err != nil {
		return err
	}
	// The private key leaves here and is kept nowhere else.
	type keyPair struct {
		PublicKey  string `json:"PublicKey"`
		PrivateKey string `json:"PrivateKey"`
	}
	return writeJSON(w, struct {
		CertificateArn string  `json:"certificateArn"`
		CertificateID  string  `json:"certificateId"`
		CertificatePem string  `json:"certificatePem"`
		KeyPair        keyPair `json:"keyPair"`
	}{c.ARN, c.ID, c.PEM, keyPair{iss.publicKeyPEM, iss.privateKeyPEM}})
}

// DescribeCertificate is GET /certificates/{certificateId}.
func (s *Service) DescribeCertificate(w http.ResponseWriter, r *http.Request) error {
	id, err := normalizeCertID(r.PathValue("certificateId"))
	if err != nil {
		return err
	}
	c, err := s.backend.GetCertificate(r.Context(), id)
	if err != nil {
		return err
	}
	type validity struct {
		NotBefore epoch `json:"notBefore"`
		NotAfter  epoch `json:"notAfter"`
	}
	type description struct {
		CertificateArn   string   `json:"certificateArn"`
		CertificateID    string   `json:"certificateId"`
		Status           string   `json:"status"`
		CertificatePem   string   `json:"certificatePem"`
		OwnedBy          string   `json:"ownedBy"`
		CreationDate     epoch    `json:"creationDate"`
		LastModifiedDate epoch    `json:"lastModifiedDate"`
		CustomerVersion  int      `json:"customerVersion"`
		TransferData     struct{} `json:"transferData"`
		GenerationID     string   `json:"generationId"`
		Validity         validity `json:"validity"`
		CertificateMode  string   `json:"certificateMode"`
	}
	return writeJSON(w, struct {
		CertificateDescription description `json:"certificateDescription"`
	}{description{
		CertificateArn: c.ARN, CertificateID: c.ID, Status: c.Status, CertificatePem: c.PEM, OwnedBy: c.OwnedBy,
		CreationDate: epoch(c.CreatedAt), LastModifiedDate: epoch(c.ModifiedAt), CustomerVersion: 1,
		GenerationID: c.GenerationID, Validity: validity{epoch(c.NotBefore), epoch(c.NotAfter)}, CertificateMode: modeOf(c),
	}})
}

// UpdateCertificate is PUT /certificates/{certificateId}?newStatus=S.
func (s *Service) UpdateCertificate(w http.ResponseWriter, r *http.Request) error {
	id, err := normalizeCertID(r.PathValue("certificateId"))
	if err != nil {
		return err
	}
	status := r.URL.Query().Get("newStatus")
	switch status {
	case StatusActive, StatusInactive, StatusRevoked:
	case "PENDING_TRANSFER", "PENDING_ACTIVATION":
		// AWS: UpdateCertificate — these are used internally by AWS IoT
		// and "will result in an exception being thrown".
		return invalidRequest("Setting the status to %s is not allowed.", status)
	case "REGISTER_INACTIVE":
		return invalidRequest("Certificate %s was not registered; REGISTER_INACTIVE does not apply.", id)
	case "":
		return invalidRequest("newStatus is required.")
	default:
		return validationError("newStatus", status, "Member must satisfy enum value set: [ACTIVE, INACTIVE, REVOKED, PENDING_TRANSFER, REGISTER_INACTIVE, PENDING_ACTIVATION]")
	}
	if _, err := s.backend.SetCertificateStatus(r.Context(), id, status, s.opts.Now()); err != nil {
		return err
	}
	if s.opts.OnCertificateStatus != nil {
		s.opts.OnCertificateStatus(id, status)
	}
	return writeJSON(w, struct{}{})
}

// ListCertificates is GET /certificates?pageSize&marker&isAscendingOrder.
// Newest first unless isAscendingOrder=true.
func (s *Service) ListCertificates(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	limit, err := maxResults(r, "pageSize", 50)
	if err != nil {
		return err
	}
	all, err := s.backend.ListCertificates(r.Context())
	if err != nil {
		return err
	}
	if !strings.EqualFold(q.Get("isAscendingOrder"), "true") {
		slices.Reverse(all)
	}
	items, next, err := page(all, func(c Certificate) string { return c.ID }, q.Get("marker"), limit)
	if err != nil {
		return err
	}
	type certificate struct {
		CertificateArn  string `json:"certificateArn"`
		CertificateID   string `json:"certificateId"`
		Status          string `json:"status"`
		CertificateMode string `json:"certificateMode"`
		CreationDate    epoch  `json:"creationDate"`
	}
	out := struct {
		Certificates []certificate `json:"certificates"`
		NextMarker   string        `json:"nextMarker,omitempty"`
	}{Certificates: []certificate{}, NextMarker: next}
	for _, c := range items {
		out.Certificates = append(out.Certificates, certificate{c.ARN, c.ID, c.Status, modeOf(c), epoch(c.CreatedAt)})
	}
	return writeJSON(w, out)
}

func modeOf(c Certificate) string {
	if c.Mode == "" {
		return "DEFAULT"
	}
	return c.Mode
}

// parseCertificatePEM returns the one certificate of a PEM block.
func parseCertificatePEM(member, v string) (*x509.Certificate, error) {
	if v == "" {
		return nil, invalidRequest("%s is required.", member)
	}
	if len(v) > 65536 {
		return nil, validationError(member, "...", "Member must have length less than or equal to 65536")
	}
	block, _ := pem.Decode([]byte(v))
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, certificateValidation("The %s is not a PEM-encoded certificate.", member)
	}
	c, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, certificateValidation("The %s could not be parsed: %v", member, err)
	}
	return c, nil
}

// registerStatus reads the status of a registration: the status member
// (ACTIVE or INACTIVE), else the deprecated setAsActive query flag, else
// INACTIVE.
func registerStatus(r *http.Request, status string) (string, error) {
	switch status {
	case StatusActive, StatusInactive:
		return status, nil
	case "":
	case StatusRevoked, "PENDING_TRANSFER", "REGISTER_INACTIVE", "PENDING_ACTIVATION":
		return "", invalidRequest("A certificate cannot be registered with status %s.", status)
	default:
		return "", validationError("status", status, "Member must satisfy enum value set: [ACTIVE, INACTIVE, REVOKED, PENDING_TRANSFER, REGISTER_INACTIVE, PENDING_ACTIVATION]")
	}
	switch v := r.URL.Query().Get("setAsActive"); v {
	case "true":
		return StatusActive, nil
	case "false", "":
		return StatusInactive, nil
	default:
		return "", validationError("setAsActive", v, "Member must be a boolean")
	}
}

// register stores a parsed device certificate.
func (s *Service) register(w http.ResponseWriter, r *http.Request, cert *x509.Certificate, status, mode string) error {
	now := s.opts.Now()
	// AWS: RegisterCertificate — an expired or not yet valid certificate is
	// CertificateValidationException.
	if now.Before(cert.NotBefore) || now.After(cert.NotAfter) {
		return certificateValidation("The certificate is not valid at %s (valid %s to %s).", now.UTC().Format(time.RFC3339), cert.NotBefore.UTC().Format(time.RFC3339), cert.NotAfter.UTC().Format(time.RFC3339))
	}
	sum := sha256.Sum256(cert.Raw)
	id := hex.EncodeToString(sum[:])
	account, region := s.scope(r.Context())
	c := Certificate{
		ID: id, ARN: "arn:aws:iot:" + region + ":" + account + ":cert/" + id,
		PEM:    string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw})),
		Status: status, OwnedBy: account, GenerationID: s.opts.NewID(),
		CreatedAt: now, ModifiedAt: now, NotBefore: cert.NotBefore, NotAfter: cert.NotAfter, Mode: mode,
	}
	if err := s.backend.PutCertificate(r.Context(), c); err != nil {
		return err
	}
	return writeJSON(w, struct {
		CertificateArn string `json:"certificateArn"`
		CertificateID  string `json:"certificateId"`
	}{c.ARN, c.ID})
}

// RegisterCertificate is POST /certificate/register. The certificate must
// chain to the account CA (CACertPEM); caCertificatePem, when given, must
// be that CA.
func (s *Service) RegisterCertificate(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		CertificatePem   string `json:"certificatePem"`
		CaCertificatePem string `json:"caCertificatePem"`
		Status           string `json:"status"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	cert, err := parseCertificatePEM("certificatePem", in.CertificatePem)
	if err != nil {
		return err
	}
	status, err := registerStatus(r, in.Status)
	if err != nil {
		return err
	}
	if in.CaCertificatePem != "" {
		ca, err := parseCertificatePEM("caCertificatePem", in.CaCertificatePem)
		if err != nil {
			return err
		}
		// Divergence: RegisterCACertificate is not modelled; the account
		// CA is the only registered CA.
		if !ca.Equal(s.ca.cert) {
			return certificateValidation("The CA certificate is not registered in this account.")
		}
	}
	if err := s.ca.verify(cert, s.opts.Now()); err != nil {
		return certificateValidation("The certificate is not signed by a registered CA: %v", err)
	}
	return s.register(w, r, cert, status, "DEFAULT")
}

// RegisterCertificateWithoutCA is POST /certificate/register-no-ca. AWS
// stores such certificates in SNI_ONLY mode; they do not chain to the
// account CA, so VerifyClientCertificate rejects them.
func (s *Service) RegisterCertificateWithoutCA(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		CertificatePem string `json:"certificatePem"`
		Status         string `json:"status"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	cert, err := parseCertificatePEM("certificatePem", in.CertificatePem)
	if err != nil {
		return err
	}
	status, err := registerStatus(r, in.Status)
	if err != nil {
		return err
	}
	return s.register(w, r, cert, status, "SNI_ONLY")
}

// DeleteCertificate is DELETE /certificates/{certificateId}?forceDelete.
func (s *Service) DeleteCertificate(w http.ResponseWriter, r *http.Request) error {
	id, err := normalizeCertID(r.PathValue("certificateId"))
	if err != nil {
		return err
	}
	force := false
	switch v := r.URL.Query().Get("forceDelete"); v {
	case "true":
		force = true
	case "false", "":
	default:
		return validationError("forceDelete", v, "Member must be a boolean")
	}
	if err := s.backend.DeleteCertificate(r.Context(), id, force); err != nil {
		return err
	}
	return writeJSON(w, struct{}{})
}

// Errors of VerifyClientCertificate, for errors.Is.
var (
	// ErrUnknownCertificate: the certificate chains to the CA but is not
	// (or no longer) registered.
	ErrUnknownCertificate = errors.New("iot: certificate is not registered")
	// ErrCertificateNotActive: the certificate is INACTIVE or REVOKED.
	ErrCertificateNotActive = errors.New("iot: certificate is not ACTIVE")
)

// VerifyClientCertificate checks a TLS client certificate (DER) the way the
// AWS IoT data plane does: it must chain to the account CA, be registered
// and ACTIVE. It returns the names of the things the certificate is
// attached to and its id. Safe for concurrent use.
func (s *Service) VerifyClientCertificate(der []byte) (thingNames []string, certID string, err error) {
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, "", fmt.Errorf("iot: parsing client certificate: %w", err)
	}
	if err := s.ca.verify(cert, s.opts.Now()); err != nil {
		return nil, "", fmt.Errorf("iot: client certificate: %w", err)
	}
	sum := sha256.Sum256(der)
	certID = hex.EncodeToString(sum[:])
	ctx := context.Background()
	c, err := s.backend.GetCertificate(ctx, certID)
	if err != nil {
		return nil, certID, fmt.Errorf("%w: %s", ErrUnknownCertificate, certID)
	}
	if c.Status != StatusActive {
		return nil, certID, fmt.Errorf("%w: %s is %s", ErrCertificateNotActive, certID, c.Status)
	}
	things, err := s.backend.PrincipalThings(ctx, certID)
	if err != nil {
		return nil, certID, fmt.Errorf("%w: %s", ErrUnknownCertificate, certID)
	}
	return things, certID, nil
}
