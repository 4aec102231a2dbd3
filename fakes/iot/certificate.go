package iot

import (
	"net/http"
	"slices"
	"strings"
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
		GenerationID: c.GenerationID, Validity: validity{epoch(c.NotBefore), epoch(c.NotAfter)}, CertificateMode: "DEFAULT",
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
		out.Certificates = append(out.Certificates, certificate{c.ARN, c.ID, c.Status, "DEFAULT", epoch(c.CreatedAt)})
	}
	return writeJSON(w, out)
}
