package greengrass

import (
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net/http"
	"time"

	"github.com/tgsim/tgsim/fakes/awsproto"
)

// CoreCertificateContentType is the media type of the core certificate
// route's request (a PEM CSR) and answer (PEM certificates).
const CoreCertificateContentType = "application/x-pem-file"

// issueCoreCertificate serves
//
//	POST /_tgsim/greengrass/groups/{GroupId}/coreCertificate
//
// The body is a PEM "CERTIFICATE REQUEST"; the answer is the core's MQTT
// server certificate signed by the group's active CA, followed by that CA
// certificate (PEM, leaf first, the chain a TLS server presents). The
// certificate is valid for the group's certificate expiry
// (UpdateGroupCertificateConfiguration; 7 days by default), for server
// authentication, with the CSR's subject, DNS names and IP addresses.
// Authorized as greengrass:CreateCertificate on the group (Describe).
//
// Divergence: AWS's core sends its CSR over its MQTT connection to AWS
// IoT Core and gets the certificate back there; tgsim's core has no cloud
// MQTT channel, so it asks over HTTP, SigV4-signed with its credentials,
// like the rest of the core channel. Not an AWS API.
func (s *Service) issueCoreCertificate(w http.ResponseWriter, r *http.Request, groupID string) error {
	ctx := r.Context()
	if _, err := s.backend.GetGroup(ctx, groupID); err != nil {
		return err
	}
	body, err := awsproto.ReadBody(r)
	if err != nil {
		return err
	}
	block, _ := pem.Decode(body)
	if block == nil || block.Type != "CERTIFICATE REQUEST" {
		return badRequest("the body must be a PEM CERTIFICATE REQUEST")
	}
	csr, err := x509.ParseCertificateRequest(block.Bytes)
	if err != nil {
		return badRequest("parsing the certificate request: %v", err)
	}
	if err := csr.CheckSignature(); err != nil {
		return badRequest("certificate request signature: %v", err)
	}
	cb, err := s.caBackend()
	if err != nil {
		return err
	}
	validity, err := cb.CertificateExpiry(ctx, groupID)
	if err != nil {
		return err
	}
	if validity == 0 {
		validity = defaultCertificateExpiry
	}
	caPEM, signer, err := s.GroupCA(groupID)
	if err != nil {
		return err
	}
	ca, err := parseCertificatePEM(caPEM)
	if err != nil {
		return err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return err
	}
	now := s.opts.Now()
	subject := csr.Subject
	if subject.CommonName == "" {
		subject = pkix.Name{CommonName: "Greengrass core of group " + groupID}
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      subject,
		NotBefore:    now.Add(-time.Minute),
		NotAfter:     now.Add(validity),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     csr.DNSNames,
		IPAddresses:  csr.IPAddresses,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, csr.PublicKey, signer)
	if err != nil {
		return badRequest("issuing the certificate: %v", err)
	}
	out := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	out = append(out, caPEM...)
	w.Header().Set("Content-Type", CoreCertificateContentType)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(out)
	return nil
}
