package iot

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/tgsim/tgsim/fakes/awsproto"
)

// Options configures a Service. The zero value works.
type Options struct {
	// AccountID owns every resource. Default "000000000000".
	AccountID string
	// Region for ARNs when the request carries none. Default "us-east-1".
	Region string
	// Logger gets one Debug line per request. nil discards.
	Logger *slog.Logger
	// Now is the clock. nil means time.Now.
	Now func() time.Time
	// NewID returns thing ids and certificate generation ids. nil means
	// random UUIDs.
	NewID func() string
	// DataEndpoint is DescribeEndpoint's answer for iot:Data, iot:Data-ATS
	// and iot:Jobs. Default "127.0.0.1:8883".
	DataEndpoint string
	// CredentialProviderEndpoint answers iot:CredentialProvider. Default
	// DataEndpoint.
	CredentialProviderEndpoint string
	// KeyAlgorithm of CreateKeysAndCertificate key pairs: "ECDSA_P256"
	// (default, fast) or "RSA_2048" (what AWS issues).
	KeyAlgorithm string
	// OnCertificateStatus, when set, is told after UpdateCertificate moves
	// a certificate to a status (the data plane closes the connections of
	// a certificate that is no longer ACTIVE).
	OnCertificateStatus func(certificateID, status string)
	// Backend stores the registry. nil means NewMemory(). When it also
	// implements CAStore (Bolt does), the certificate authority is loaded
	// from it, or generated and saved there, so certificates issued before
	// a restart still verify after it.
	Backend Backend
}

// Key algorithms for Options.KeyAlgorithm.
const (
	KeyECDSAP256 = "ECDSA_P256"
	KeyRSA2048   = "RSA_2048"
)

// Service is the fake AWS IoT control plane. It is an http.Handler.
type Service struct {
	opts    Options
	log     *slog.Logger
	backend Backend
	ca      *authority
	mux     *http.ServeMux
	ops     map[string]string // mux pattern → operation, for Describe
	// rulesGen counts changes to topic rules, so a rules engine re-reads
	// them only after one.
	rulesGen atomic.Uint64
}

// New returns a Service. Its certificate authority is freshly generated,
// or reused from Options.Backend when that is a CAStore.
func New(opts Options) (*Service, error) {
	if opts.AccountID == "" {
		opts.AccountID = "000000000000"
	}
	if opts.Region == "" {
		opts.Region = "us-east-1"
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.NewID == nil {
		opts.NewID = newUUID
	}
	if opts.DataEndpoint == "" {
		opts.DataEndpoint = "127.0.0.1:8883"
	}
	if opts.CredentialProviderEndpoint == "" {
		opts.CredentialProviderEndpoint = opts.DataEndpoint
	}
	switch opts.KeyAlgorithm {
	case "":
		opts.KeyAlgorithm = KeyECDSAP256
	case KeyECDSAP256, KeyRSA2048:
	default:
		return nil, fmt.Errorf("iot: unknown key algorithm %q (want %s or %s)", opts.KeyAlgorithm, KeyECDSAP256, KeyRSA2048)
	}
	if opts.Backend == nil {
		opts.Backend = NewMemory()
	}
	store, _ := opts.Backend.(CAStore)
	ca, err := loadOrCreateAuthority(context.Background(), store, opts.AccountID, opts.Now())
	if err != nil {
		return nil, fmt.Errorf("iot: creating certificate authority: %w", err)
	}
	s := &Service{opts: opts, log: opts.Logger.With("component", "iot"), backend: opts.Backend, ca: ca, mux: http.NewServeMux()}
	s.ops = map[string]string{}
	s.routes()
	return s, nil
}

// routes maps the model's http.method + requestUri to handlers.
func (s *Service) routes() {
	for _, r := range []struct {
		pattern, op string
		h           func(http.ResponseWriter, *http.Request) error
	}{
		{"POST /things/{thingName}", "CreateThing", s.CreateThing},
		{"GET /things/{thingName}", "DescribeThing", s.DescribeThing},
		{"PATCH /things/{thingName}", "UpdateThing", s.UpdateThing},
		{"DELETE /things/{thingName}", "DeleteThing", s.DeleteThing},
		{"GET /things", "ListThings", s.ListThings},
		{"PUT /things/{thingName}/principals", "AttachThingPrincipal", s.AttachThingPrincipal},
		{"DELETE /things/{thingName}/principals", "DetachThingPrincipal", s.DetachThingPrincipal},
		{"GET /things/{thingName}/principals", "ListThingPrincipals", s.ListThingPrincipals},
		{"GET /principals/things", "ListPrincipalThings", s.ListPrincipalThings},
		{"POST /keys-and-certificate", "CreateKeysAndCertificate", s.CreateKeysAndCertificate},
		{"GET /certificates/{certificateId}", "DescribeCertificate", s.DescribeCertificate},
		{"PUT /certificates/{certificateId}", "UpdateCertificate", s.UpdateCertificate},
		{"GET /certificates", "ListCertificates", s.ListCertificates},
		{"POST /certificate/register", "RegisterCertificate", s.RegisterCertificate},
		{"POST /certificate/register-no-ca", "RegisterCertificateWithoutCA", s.RegisterCertificateWithoutCA},
		{"DELETE /certificates/{certificateId}", "DeleteCertificate", s.DeleteCertificate},
		{"GET /endpoint", "DescribeEndpoint", s.DescribeEndpoint},

		{"POST /thing-types/{thingTypeName}", "CreateThingType", s.CreateThingType},
		{"GET /thing-types/{thingTypeName}", "DescribeThingType", s.DescribeThingType},
		{"GET /thing-types", "ListThingTypes", s.ListThingTypes},
		{"POST /thing-types/{thingTypeName}/deprecate", "DeprecateThingType", s.DeprecateThingType},
		{"DELETE /thing-types/{thingTypeName}", "DeleteThingType", s.DeleteThingType},

		{"POST /thing-groups/{thingGroupName}", "CreateThingGroup", s.CreateThingGroup},
		{"GET /thing-groups/{thingGroupName}", "DescribeThingGroup", s.DescribeThingGroup},
		{"GET /thing-groups", "ListThingGroups", s.ListThingGroups},
		{"PATCH /thing-groups/{thingGroupName}", "UpdateThingGroup", s.UpdateThingGroup},
		{"DELETE /thing-groups/{thingGroupName}", "DeleteThingGroup", s.DeleteThingGroup},
		{"PUT /thing-groups/addThingToThingGroup", "AddThingToThingGroup", s.AddThingToThingGroup},
		{"PUT /thing-groups/removeThingFromThingGroup", "RemoveThingFromThingGroup", s.RemoveThingFromThingGroup},
		{"GET /thing-groups/{thingGroupName}/things", "ListThingsInThingGroup", s.ListThingsInThingGroup},
		{"GET /things/{thingName}/thing-groups", "ListThingGroupsForThing", s.ListThingGroupsForThing},

		{"POST /policies/{policyName}", "CreatePolicy", s.CreatePolicy},
		{"GET /policies/{policyName}", "GetPolicy", s.GetPolicy},
		{"GET /policies", "ListPolicies", s.ListPolicies},
		{"DELETE /policies/{policyName}", "DeletePolicy", s.DeletePolicy},
		{"POST /policies/{policyName}/version", "CreatePolicyVersion", s.CreatePolicyVersion},
		{"GET /policies/{policyName}/version", "ListPolicyVersions", s.ListPolicyVersions},
		{"GET /policies/{policyName}/version/{policyVersionId}", "GetPolicyVersion", s.GetPolicyVersion},
		{"PATCH /policies/{policyName}/version/{policyVersionId}", "SetDefaultPolicyVersion", s.SetDefaultPolicyVersion},
		{"DELETE /policies/{policyName}/version/{policyVersionId}", "DeletePolicyVersion", s.DeletePolicyVersion},
		{"PUT /target-policies/{policyName}", "AttachPolicy", s.AttachPolicy},
		{"POST /target-policies/{policyName}", "DetachPolicy", s.DetachPolicy},
		{"POST /attached-policies/{target}", "ListAttachedPolicies", s.ListAttachedPolicies},
		{"POST /policy-targets/{policyName}", "ListTargetsForPolicy", s.ListTargetsForPolicy},

		{"POST /rules/{ruleName}", "CreateTopicRule", s.CreateTopicRule},
		{"GET /rules/{ruleName}", "GetTopicRule", s.GetTopicRule},
		{"GET /rules", "ListTopicRules", s.ListTopicRules},
		{"PATCH /rules/{ruleName}", "ReplaceTopicRule", s.ReplaceTopicRule},
		{"DELETE /rules/{ruleName}", "DeleteTopicRule", s.DeleteTopicRule},
		{"POST /rules/{ruleName}/enable", "EnableTopicRule", s.EnableTopicRule},
		{"POST /rules/{ruleName}/disable", "DisableTopicRule", s.DisableTopicRule},
	} {
		s.mux.Handle(r.pattern, s.operation(r.op, r.h))
		s.ops[r.pattern] = r.op
	}
}

// ServeHTTP dispatches on method and path.
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if _, pattern := s.mux.Handler(r); pattern == "" {
		s.writeError(w, r, unknownOperation(r.Method, r.URL.Path))
		return
	}
	s.mux.ServeHTTP(w, r)
}

func (s *Service) operation(op string, h func(http.ResponseWriter, *http.Request) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		s.log.DebugContext(ctx, "request", "op", op, "path", r.URL.Path, "request_id", awsproto.RequestID(ctx))
		if err := h(w, r); err != nil {
			s.writeError(w, r, err)
		}
	})
}

func (s *Service) writeError(w http.ResponseWriter, r *http.Request, err error) {
	awsproto.WriteJSONError(r.Context(), w, err, awsproto.JSONErrorOptions{
		InternalCode: codeInternalFailure, MessageKey: "message", ContentType: errorContentType, Logger: s.log,
	})
}

func writeJSON(w http.ResponseWriter, v any) error {
	awsproto.WriteJSON(w, http.StatusOK, "application/json", v)
	return nil
}

// decode reads a JSON request body into v.
func decode(r *http.Request, v any) error {
	body, err := awsproto.ReadBody(r)
	if err != nil {
		return err
	}
	return awsproto.DecodeJSON(body, v)
}

// scope returns the account and region a request acts in.
func (s *Service) scope(ctx context.Context) (account, region string) {
	account, region = s.opts.AccountID, s.opts.Region
	if info, ok := awsproto.RequestInfoFrom(ctx); ok {
		if info.AccountID != "" {
			account = info.AccountID
		}
		if info.Region != "" {
			region = info.Region
		}
	}
	return account, region
}

// Backend returns the registry store.
func (s *Service) Backend() Backend { return s.backend }

// Thing returns a copy of the named thing, for in-process inspection.
func (s *Service) Thing(name string) (Thing, bool) {
	t, err := s.backend.GetThing(context.Background(), name)
	return t, err == nil
}

// CertificateStatus returns a certificate's status (ACTIVE, INACTIVE,
// REVOKED), for in-process inspection.
func (s *Service) CertificateStatus(certID string) (string, bool) {
	c, err := s.backend.GetCertificate(context.Background(), certID)
	return c.Status, err == nil
}

// CACertPEM returns the PEM of the CA that signs every certificate this
// Service issues.
func (s *Service) CACertPEM() []byte { return append([]byte(nil), s.ca.certPEM...) }

// epoch is a timestamp in the REST-JSON default form: seconds since the
// epoch as a JSON number.
type epoch time.Time

func (t epoch) MarshalJSON() ([]byte, error) {
	return []byte(strconv.FormatFloat(float64(time.Time(t).UnixMilli())/1000, 'f', -1, 64)), nil
}

// maxResults parses a page-size query parameter (1..250 in the model).
func maxResults(r *http.Request, name string, def int) (int, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 250 {
		return 0, validationError(name, v, "Member must have value less than or equal to 250 and greater than or equal to 1")
	}
	return n, nil
}

// page returns the items after the one whose key the token names, at most
// limit of them, and the token for the next page ("" on the last).
func page[T any](items []T, key func(T) string, token string, limit int) ([]T, string, error) {
	start := 0
	if token != "" {
		raw, err := base64.StdEncoding.DecodeString(token)
		if err != nil {
			return nil, "", invalidRequest("The pagination token %q is invalid.", token)
		}
		start = -1
		for i, it := range items {
			if key(it) == string(raw) {
				start = i + 1
				break
			}
		}
		if start < 0 {
			return nil, "", invalidRequest("The pagination token %q is invalid or expired.", token)
		}
	}
	end := min(start+limit, len(items))
	next := ""
	if end < len(items) {
		next = base64.StdEncoding.EncodeToString([]byte(key(items[end-1])))
	}
	return items[start:end], next, nil
}

func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}
