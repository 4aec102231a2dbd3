// Package edge is the one HTTP endpoint behind which every fake AWS service
// sits. It routes each request by the service named in its SigV4 credential
// scope (as AWS's per-service hostnames would), stamps a request ID and the
// caller's account and region into the request context, and answers
// /_tgsim/health.
//
// Signature verification and IAM evaluation are deliberately not here yet:
// the credential scope is trusted as written. Divergence: AWS would reject an
// unsigned or wrongly signed request before routing.
package edge

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/tgsim/tgsim/fakes/awsproto"
)

// Options configures an Edge. The zero value works but serves nothing.
type Options struct {
	// Services maps a SigV4 service name (iotthingsgraph, s3, greengrass,
	// iot, iam, sts) to its handler.
	Services map[string]http.Handler
	// AccountID is the account every known caller belongs to.
	AccountID string
	// DefaultRegion is used when a request names none (unsigned S3 calls).
	DefaultRegion string
	Logger        *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Edge is an http.Handler that fronts every fake.
type Edge struct {
	opts    Options
	log     *slog.Logger
	started time.Time
}

// New returns an Edge with defaults filled in.
func New(opts Options) *Edge {
	if opts.AccountID == "" {
		opts.AccountID = "000000000000"
	}
	if opts.DefaultRegion == "" {
		opts.DefaultRegion = "us-east-1"
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Edge{opts: opts, log: opts.Logger.With("component", "edge"), started: opts.Now()}
}

// HealthPath answers GET with 200 and a JSON body once the edge serves.
const HealthPath = "/_tgsim/health"

func (e *Edge) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	id := awsproto.NewRequestID()
	awsproto.SetRequestIDHeaders(w.Header(), id)
	ctx := awsproto.WithRequestID(r.Context(), id)
	r = r.WithContext(ctx)

	if r.URL.Path == HealthPath {
		e.health(w, r)
		return
	}

	scope, signed, err := awsproto.ParseScope(r)
	jsonAPI := r.Header.Get("X-Amz-Target") != ""
	switch {
	case err != nil:
		e.reject(w, r, jsonAPI, awsproto.NewError(http.StatusBadRequest, "IncompleteSignatureException", "%v", err))
		return
	case !signed && jsonAPI:
		e.reject(w, r, true, awsproto.NewError(http.StatusBadRequest, awsproto.CodeMissingAuthToken, "Missing Authentication Token"))
		return
	case !signed:
		// Only S3 takes anonymous requests; AWS's other endpoints would
		// answer MissingAuthenticationToken.
		scope = awsproto.Scope{Service: "s3", Region: e.opts.DefaultRegion}
	}
	h, ok := e.opts.Services[scope.Service]
	if !ok {
		e.reject(w, r, jsonAPI, awsproto.NewError(http.StatusBadRequest, "UnrecognizedClientException",
			"credential scope names service %q, which this endpoint does not serve (serves: %s)", scope.Service, strings.Join(e.serviceNames(), ", ")))
		return
	}
	region := scope.Region
	if region == "" {
		region = e.opts.DefaultRegion
	}
	ctx = awsproto.WithRequestInfo(ctx, awsproto.RequestInfo{Scope: scope, AccountID: e.opts.AccountID, Region: region})
	e.log.DebugContext(ctx, "request", "service", scope.Service, "method", r.Method, "path", r.URL.Path, "request_id", id)
	h.ServeHTTP(w, r.WithContext(ctx))
}

func (e *Edge) reject(w http.ResponseWriter, r *http.Request, jsonAPI bool, err error) {
	e.log.InfoContext(r.Context(), "rejected request", "error", err, "request_id", awsproto.RequestID(r.Context()))
	if jsonAPI {
		awsproto.WriteJSONError(r.Context(), w, err, awsproto.JSONErrorOptions{ContentType: awsproto.JSON11ContentType})
		return
	}
	awsproto.WriteQueryError(r.Context(), w, err, e.log)
}

func (e *Edge) serviceNames() []string {
	names := make([]string, 0, len(e.opts.Services))
	for n := range e.opts.Services {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func (e *Edge) health(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	body, _ := json.Marshal(map[string]any{
		"status":   "ok",
		"services": e.serviceNames(),
		"account":  e.opts.AccountID,
		"uptime":   e.opts.Now().Sub(e.started).Round(time.Millisecond).String(),
	})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}
