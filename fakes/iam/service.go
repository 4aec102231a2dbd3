package iam

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
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
	// NewSecret returns a 40-character secret access key. nil means 40
	// random characters of [A-Za-z0-9+/], as AWS's.
	NewSecret func() string
	// RootAccessKeyID and RootSecretAccessKey are the account root user's
	// credentials. Default "test" and "test", what AWS tooling uses offline.
	RootAccessKeyID     string
	RootSecretAccessKey string
	// Backend stores the account's entities. nil means NewMemory().
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
	if opts.NewSecret == nil {
		opts.NewSecret = randomSecret
	}
	if opts.RootAccessKeyID == "" {
		opts.RootAccessKeyID = "test"
	}
	if opts.RootSecretAccessKey == "" {
		opts.RootSecretAccessKey = "test"
	}
	if opts.Backend == nil {
		opts.Backend = NewMemory()
	}
	s := &Service{opts: opts, log: opts.Logger.With("component", "iam"), backend: opts.Backend, createdAt: opts.Now()}
	if err := s.seedAWSManaged(context.Background()); err != nil {
		return nil, err
	}
	s.iam = &queryAPI{svc: s, name: "iam", version: IAMVersion, xmlns: IAMXMLNS, actions: map[string]action{
		"CreateRole":                    s.CreateRole,
		"GetRole":                       s.GetRole,
		"ListRoles":                     s.ListRoles,
		"DeleteRole":                    s.DeleteRole,
		"UpdateRole":                    s.UpdateRole,
		"UpdateAssumeRolePolicy":        s.UpdateAssumeRolePolicy,
		"TagRole":                       s.TagRole,
		"UntagRole":                     s.UntagRole,
		"ListRoleTags":                  s.ListRoleTags,
		"PutRolePermissionsBoundary":    s.PutRolePermissionsBoundary,
		"DeleteRolePermissionsBoundary": s.DeleteRolePermissionsBoundary,
		"CreateUser":                    s.CreateUser,
		"GetUser":                       s.GetUser,
		"ListUsers":                     s.ListUsers,
		"DeleteUser":                    s.DeleteUser,
		"TagUser":                       s.TagUser,
		"UntagUser":                     s.UntagUser,
		"ListUserTags":                  s.ListUserTags,
		"PutUserPermissionsBoundary":    s.PutUserPermissionsBoundary,
		"DeleteUserPermissionsBoundary": s.DeleteUserPermissionsBoundary,
		"CreateGroup":                   s.CreateGroup,
		"GetGroup":                      s.GetGroup,
		"ListGroups":                    s.ListGroups,
		"DeleteGroup":                   s.DeleteGroup,
		"AddUserToGroup":                s.AddUserToGroup,
		"RemoveUserFromGroup":           s.RemoveUserFromGroup,
		"ListGroupsForUser":             s.ListGroupsForUser,
		"CreateAccessKey":               s.CreateAccessKey,
		"ListAccessKeys":                s.ListAccessKeys,
		"UpdateAccessKey":               s.UpdateAccessKey,
		"DeleteAccessKey":               s.DeleteAccessKey,
		"GetAccessKeyLastUsed":          s.GetAccessKeyLastUsed,
		"CreatePolicy":                  s.CreatePolicy,
		"GetPolicy":                     s.GetPolicy,
		"ListPolicies":                  s.ListPolicies,
		"DeletePolicy":                  s.DeletePolicy,
		"CreatePolicyVersion":           s.CreatePolicyVersion,
		"GetPolicyVersion":              s.GetPolicyVersion,
		"ListPolicyVersions":            s.ListPolicyVersions,
		"SetDefaultPolicyVersion":       s.SetDefaultPolicyVersion,
		"DeletePolicyVersion":           s.DeletePolicyVersion,
		"ListEntitiesForPolicy":         s.ListEntitiesForPolicy,
		"SimulatePrincipalPolicy":       s.SimulatePrincipalPolicy,
		"SimulateCustomPolicy":          s.SimulateCustomPolicy,
	}}
	for _, k := range []Kind{KindUser, KindGroup, KindRole} {
		t := quotaName(k) // User, Group, Role
		s.iam.actions["Attach"+t+"Policy"] = s.attachPolicy(k)
		s.iam.actions["Detach"+t+"Policy"] = s.detachPolicy(k)
		s.iam.actions["ListAttached"+t+"Policies"] = s.listAttachedPolicies(k)
		s.iam.actions["Put"+t+"Policy"] = s.putInlinePolicy(k)
		s.iam.actions["Get"+t+"Policy"] = s.getInlinePolicy(k)
		s.iam.actions["List"+t+"Policies"] = s.listInlinePolicies(k)
		s.iam.actions["Delete"+t+"Policy"] = s.deleteInlinePolicy(k)
	}
	s.sts = &queryAPI{svc: s, name: "sts", version: STSVersion, xmlns: STSXMLNS, actions: map[string]action{
		"GetCallerIdentity": s.GetCallerIdentity,
		"AssumeRole":        s.AssumeRole,
		"GetSessionToken":   s.GetSessionToken,
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

// randomSecret returns 40 characters of [A-Za-z0-9+/], the form of an AWS
// secret access key.
func randomSecret() string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	var b [40]byte
	_, _ = rand.Read(b[:])
	for i := range b {
		b[i] = alphabet[b[i]%64]
	}
	return string(b[:])
}

// keyID returns an access key id: a four-letter prefix (AKIA long-term,
// ASIA temporary) and 16 characters from NewID.
func (s *Service) keyID(prefix string) string {
	id := s.opts.NewID()
	if len(id) > 16 {
		id = id[len(id)-16:]
	}
	return prefix + id
}

// page is one page of a listing: Marker (an opaque offset this fake
// issued) and MaxItems (1–1000, default 100) select it.
func page[T any](p params, items []T) (out []T, truncated bool, marker string, err error) {
	limit, err := intParam(p, "MaxItems", "maxItems", 100, 1, 1000)
	if err != nil {
		return nil, false, "", err
	}
	start := 0
	if p.has("Marker") {
		raw, derr := base64.RawURLEncoding.DecodeString(p.get("Marker"))
		n, cerr := strconv.Atoi(string(raw))
		if derr != nil || cerr != nil || n < 0 {
			return nil, false, "", validationError("marker", p.get("Marker"), "Invalid Marker")
		}
		start = min(n, len(items))
	}
	end := min(start+limit, len(items))
	if end < len(items) {
		truncated, marker = true, base64.RawURLEncoding.EncodeToString([]byte(strconv.Itoa(end)))
	}
	return items[start:end], truncated, marker, nil
}

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
