package iam

import (
	"context"
	"crypto/rand"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/tgsim/tgsim/fakes/awsproto"
)

// API versions and XML namespaces of the two Query APIs.
const (
	IAMVersion = "2010-05-08"
	IAMXMLNS   = "https://iam.amazonaws.com/doc/2010-05-08/"
	STSVersion = "2011-06-15"
	STSXMLNS   = "https://sts.amazonaws.com/doc/2011-06-15/"
)

// Options configures a Service. The zero value works.
type Options struct {
	// AccountID is the account served. Default "000000000000".
	AccountID string
	// Region of the STS endpoint. IAM is global. Default "us-east-1".
	// No answer depends on it yet.
	Region string
	// Logger gets one Debug line per request. nil discards.
	Logger *slog.Logger
	// Now is the clock. nil means time.Now.
	Now func() time.Time
	// NewID returns the unique part of entity ids (a role id is "AROA" +
	// NewID()). nil means 17 random characters of [A-Z2-7], as AWS's.
	NewID func() string
	// Backend stores roles. nil means NewMemory().
	Backend Backend
}

// Service is the fake IAM and STS. It is an http.Handler that routes by the
// SigV4 credential scope's service ("sts" to STS, anything else to IAM);
// IAM and STS return the two APIs separately.
type Service struct {
	opts      Options
	log       *slog.Logger
	backend   Backend
	createdAt time.Time // the account's (and its root user's) creation
	iam, sts  *queryAPI
}

// New returns a Service.
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
		opts.NewID = randomID
	}
	if opts.Backend == nil {
		opts.Backend = NewMemory()
	}
	s := &Service{opts: opts, log: opts.Logger.With("component", "iam"), backend: opts.Backend, createdAt: opts.Now()}
	s.iam = &queryAPI{svc: s, name: "iam", version: IAMVersion, xmlns: IAMXMLNS, actions: map[string]action{
		"CreateRole": s.CreateRole,
		"GetRole":    s.GetRole,
		"ListRoles":  s.ListRoles,
		"DeleteRole": s.DeleteRole,
		"GetUser":    s.GetUser,
	}}
	s.sts = &queryAPI{svc: s, name: "sts", version: STSVersion, xmlns: STSXMLNS, actions: map[string]action{
		"GetCallerIdentity": s.GetCallerIdentity,
	}}
	return s, nil
}

// IAM returns the IAM Query API handler.
func (s *Service) IAM() http.Handler { return s.iam }

// STS returns the STS Query API handler.
func (s *Service) STS() http.Handler { return s.sts }

// Backend returns the store, for inspection.
func (s *Service) Backend() Backend { return s.backend }

// ServeHTTP routes by credential scope: "sts" to STS, otherwise IAM. An
// unsigned request is MissingAuthenticationToken, as both services answer.
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	scope, signed, err := awsproto.ParseScope(r)
	switch {
	case err != nil:
		awsproto.WriteQueryError(r.Context(), w, awsproto.NewError(http.StatusBadRequest, "IncompleteSignature", "%v", err), s.log)
	case !signed:
		awsproto.WriteQueryError(r.Context(), w, awsproto.NewError(http.StatusForbidden, codeMissingAuthToken, "Request is missing Authentication Token"), s.log)
	case scope.Service == "sts":
		s.sts.ServeHTTP(w, r)
	default:
		s.iam.ServeHTTP(w, r)
	}
}

// action is one Query operation: parameters in, XML result (or nil) out.
type action func(ctx context.Context, p params) (any, error)

// queryAPI dispatches one Query-protocol API on its Action parameter.
type queryAPI struct {
	svc     *Service
	name    string
	version string
	xmlns   string
	actions map[string]action
}

// maxFormBytes bounds a Query request body; the largest IAM member (a
// policy document) is 131,072 characters, which form encoding can triple.
const maxFormBytes = 1 << 20

func (a *queryAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	log := a.svc.log
	if r.Body != nil {
		r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	}
	if err := r.ParseForm(); err != nil {
		awsproto.WriteQueryError(ctx, w, awsproto.NewError(http.StatusBadRequest, "MalformedQueryString", "cannot parse the request parameters: %v", err), log)
		return
	}
	p := params{r.Form}
	op := p.get("Action")
	log.DebugContext(ctx, "request", "service", a.name, "op", op, "request_id", awsproto.RequestID(ctx))
	if op == "" {
		awsproto.WriteQueryError(ctx, w, missingAction(), log)
		return
	}
	version := p.get("Version")
	if version == "" {
		version = a.version
	}
	fn, ok := a.actions[op]
	if !ok || version != a.version {
		awsproto.WriteQueryError(ctx, w, invalidAction(op, version), log)
		return
	}
	result, err := fn(ctx, p)
	if err != nil {
		awsproto.WriteQueryError(ctx, w, err, log)
		return
	}
	awsproto.WriteQueryResponse(ctx, w, op, a.xmlns, result)
}

// params are the decoded Query parameters of one request.
type params struct{ url.Values }

func (p params) get(name string) string { return p.Values.Get(name) }

func (p params) has(name string) bool { return p.Values.Has(name) }

// isoTime formats a timestamp as IAM and STS do: ISO 8601, UTC, seconds.
func isoTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }

// randomID returns 17 characters of [A-Z2-7], the length AWS uses after
// the four-letter prefix of a unique id.
func randomID() string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	var b [17]byte
	_, _ = rand.Read(b[:])
	for i := range b {
		b[i] = alphabet[b[i]%32]
	}
	return string(b[:])
}
