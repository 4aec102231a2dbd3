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
	"encoding/xml"
	"fmt"
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
	switch {
	case err != nil:
		e.reject(w, r, guessProtocol(r, ""), http.StatusBadRequest, "IncompleteSignature", err.Error())
		return
	case !signed && r.Header.Get("X-Amz-Target") != "":
		e.reject(w, r, protocolJSON, http.StatusBadRequest, "MissingAuthenticationToken", "Missing Authentication Token")
		return
	case !signed:
		// Only S3 takes anonymous requests; AWS's other endpoints would
		// answer MissingAuthenticationToken.
		scope = awsproto.Scope{Service: "s3", Region: e.opts.DefaultRegion}
	}
	h, ok := e.opts.Services[scope.Service]
	if !ok {
		e.reject(w, r, guessProtocol(r, scope.Service), http.StatusBadRequest, "UnrecognizedClient",
			fmt.Sprintf("credential scope names service %q, which this endpoint does not serve (serves: %s)", scope.Service, strings.Join(e.serviceNames(), ", ")))
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

// Wire protocols, for errors the edge answers itself.
const (
	protocolJSON  = "json"  // AWS JSON 1.1 and REST-JSON
	protocolQuery = "query" // IAM, STS
	protocolS3    = "s3"    // REST-XML, S3's <Error> shape
)

// protocolOf knows the protocol of each service tgsim serves (api-2.json
// metadata.protocol).
var protocolOf = map[string]string{
	"iotthingsgraph": protocolJSON, "iot": protocolJSON, "execute-api": protocolJSON, "greengrass": protocolJSON,
	"iam": protocolQuery, "sts": protocolQuery, "s3": protocolS3,
}

// guessProtocol picks the error shape a caller can read: the named
// service's protocol if known, else what the request looks like.
func guessProtocol(r *http.Request, service string) string {
	if p, ok := protocolOf[service]; ok {
		return p
	}
	switch {
	case r.Header.Get("X-Amz-Target") != "", strings.Contains(r.Header.Get("Content-Type"), "json"):
		return protocolJSON
	case strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded"), r.URL.Query().Get("Action") != "":
		return protocolQuery
	}
	return protocolS3
}

// reject answers an error in the caller's protocol. code is the base name:
// JSON protocols append "Exception" (IncompleteSignatureException), Query
// and S3 use it as is (IncompleteSignature), as AWS spells them.
func (e *Edge) reject(w http.ResponseWriter, r *http.Request, proto string, status int, code, msg string) {
	ctx := r.Context()
	e.log.InfoContext(ctx, "rejected request", "code", code, "error", msg, "request_id", awsproto.RequestID(ctx))
	switch proto {
	case protocolJSON:
		awsproto.WriteJSONError(ctx, w, awsproto.NewError(status, code+"Exception", "%s", msg), awsproto.JSONErrorOptions{ContentType: awsproto.JSON11ContentType})
	case protocolQuery:
		awsproto.WriteQueryError(ctx, w, awsproto.NewError(status, code, "%s", msg), e.log)
	default:
		awsproto.WriteXML(w, status, struct {
			XMLName   xml.Name `xml:"Error"`
			Code      string   `xml:"Code"`
			Message   string   `xml:"Message"`
			RequestID string   `xml:"RequestId"`
		}{Code: code, Message: msg, RequestID: awsproto.RequestID(ctx)})
	}
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
