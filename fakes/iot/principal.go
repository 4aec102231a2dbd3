package iot

import (
	"net/http"
	"strings"

	"github.com/tgsim/tgsim/fakes/awsproto"
)

// principalHeader carries the principal of the *ThingPrincipal operations
// (api-2.json: "location":"header","locationName":"x-amzn-principal").
const principalHeader = "X-Amzn-Principal"

// parsePrincipal returns the certificate id a principal ARN names.
// Divergence: only certificate ARNs are principals here (AWS also takes
// Amazon Cognito identity ids).
func parsePrincipal(v string) (string, error) {
	if v == "" {
		return "", invalidRequest("principal is required (header x-amzn-principal).")
	}
	a, err := awsproto.ParseARN(v)
	if err != nil || a.Service != "iot" || !strings.HasPrefix(a.Resource, "cert/") {
		return "", invalidRequest("Invalid principal %q: expected a certificate ARN arn:aws:iot:REGION:ACCOUNT:cert/ID.", v)
	}
	id, err := normalizeCertID(strings.TrimPrefix(a.Resource, "cert/"))
	if err != nil {
		return "", invalidRequest("Invalid principal %q: the certificate id must be 64 hexadecimal digits.", v)
	}
	return id, nil
}

// principalCert resolves the principal header of r to a certificate id of
// this account.
func (s *Service) principalCert(r *http.Request) (string, error) {
	v := r.Header.Get(principalHeader)
	id, err := parsePrincipal(v)
	if err != nil {
		return "", err
	}
	a, _ := awsproto.ParseARN(v)
	if account, _ := s.scope(r.Context()); a.Account != account {
		return "", certificateNotFound(id)
	}
	return id, nil
}

// AttachThingPrincipal is PUT /things/{thingName}/principals.
func (s *Service) AttachThingPrincipal(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("thingName")
	if err := validateName("thingName", name); err != nil {
		return err
	}
	id, err := s.principalCert(r)
	if err != nil {
		return err
	}
	if err := s.backend.AttachThingPrincipal(r.Context(), name, id); err != nil {
		return err
	}
	return writeJSON(w, struct{}{})
}

// DetachThingPrincipal is DELETE /things/{thingName}/principals.
func (s *Service) DetachThingPrincipal(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("thingName")
	if err := validateName("thingName", name); err != nil {
		return err
	}
	id, err := s.principalCert(r)
	if err != nil {
		return err
	}
	if err := s.backend.DetachThingPrincipal(r.Context(), name, id); err != nil {
		return err
	}
	return writeJSON(w, struct{}{})
}

// ListThingPrincipals is GET /things/{thingName}/principals.
func (s *Service) ListThingPrincipals(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("thingName")
	if err := validateName("thingName", name); err != nil {
		return err
	}
	limit, err := maxResults(r, "maxResults", 50)
	if err != nil {
		return err
	}
	ids, err := s.backend.ThingPrincipals(r.Context(), name)
	if err != nil {
		return err
	}
	var arns []string
	for _, id := range ids {
		c, err := s.backend.GetCertificate(r.Context(), id)
		if err != nil {
			return err
		}
		arns = append(arns, c.ARN)
	}
	items, next, err := page(arns, func(a string) string { return a }, r.URL.Query().Get("nextToken"), limit)
	if err != nil {
		return err
	}
	return writeJSON(w, struct {
		Principals []string `json:"principals"`
		NextToken  string   `json:"nextToken,omitempty"`
	}{append([]string{}, items...), next})
}

// ListPrincipalThings is GET /principals/things.
func (s *Service) ListPrincipalThings(w http.ResponseWriter, r *http.Request) error {
	id, err := s.principalCert(r)
	if err != nil {
		return err
	}
	limit, err := maxResults(r, "maxResults", 50)
	if err != nil {
		return err
	}
	things, err := s.backend.PrincipalThings(r.Context(), id)
	if err != nil {
		return err
	}
	items, next, err := page(things, func(t string) string { return t }, r.URL.Query().Get("nextToken"), limit)
	if err != nil {
		return err
	}
	return writeJSON(w, struct {
		Things    []string `json:"things"`
		NextToken string   `json:"nextToken,omitempty"`
	}{append([]string{}, items...), next})
}
