// Package edge is the one HTTP endpoint behind which every fake AWS service
// sits. It routes each request by the service named in its SigV4 credential
// scope (as AWS's per-service hostnames would), stamps a request ID and the
// caller's account and region into the request context, and answers
// /_tgsim/health, /metrics and the fault injector's /_tgsim/faults
// (fault.go: AWS operations failed N times with AWS-shaped errors).
//
// With an Identity (the IAM fake) and Mode soft or enforce, every request is
// authenticated by its SigV4 signature (fakes/sigv4) and authorized by IAM
// (fakes/policy) before its handler runs: the service describes the request
// (awsproto.Describer: action, resources, condition keys), the edge adds
// the global condition keys and evaluates the caller's policies. Handlers
// get the verified caller, an Authorizer for checks they make themselves
// (iam:PassRole) and the caller's credentials (for acting on its behalf).
// With ModeOff the credential scope is trusted and every caller is root.
package edge

import (
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/tgsim/tgsim/fakes/awsproto"
	"github.com/tgsim/tgsim/fakes/sigv4"
)

// Options configures an Edge. The zero value works but serves nothing.
type Options struct {
	// Services maps a SigV4 service name (iotthingsgraph, s3, greengrass,
	// iot, iam, sts) to its handler.
	Services map[string]http.Handler
	// AccountID is the account of every caller the Identity knows.
	AccountID string
	// Accounts are further accounts, each known by its root access key
	// and served by the services it lists (see Account).
	Accounts []Account
	// DefaultRegion is used when a request names none (unsigned S3 calls).
	DefaultRegion string
	Logger        *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Mode is how IAM applies; default ModeOff when Identity is nil,
	// ModeEnforce otherwise.
	Mode Mode
	// Identity resolves access keys and policies (the IAM fake).
	Identity Identity
	// Decisions, when set, records every authorization decision.
	Decisions *DecisionLog
	// MaxSkew is the allowed clock difference of signed requests; 0 means
	// AWS's 5 minutes.
	MaxSkew time.Duration
	// Health, when set, adds fields to the health body (running cores).
	Health func() map[string]any
	// Metrics, when set, adds samples to /metrics (the cores' counters).
	Metrics func(*MetricsWriter)
}

// Edge is an http.Handler that fronts every fake.
type Edge struct {
	opts     Options
	log      *slog.Logger
	started  time.Time
	counters *counters
	faults   *Faults
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
	if opts.Mode == "" {
		opts.Mode = ModeOff
		if opts.Identity != nil {
			opts.Mode = ModeEnforce
		}
	}
	return &Edge{opts: opts, log: opts.Logger.With("component", "edge"), started: opts.Now(),
		counters: &counters{requests: map[[2]string]uint64{}, decisions: map[[2]string]uint64{}, faults: map[[3]string]uint64{}},
		faults:   &Faults{account: opts.AccountID}}
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
	if r.URL.Path == MetricsPath && r.Method == http.MethodGet {
		e.metrics(w)
		return
	}
	if r.URL.Path == FaultsPath || strings.HasPrefix(r.URL.Path, FaultsPath+"/") {
		e.serveFaults(w, r)
		return
	}
	sw := &statusWriter{ResponseWriter: w}
	w = sw
	defer func() {
		service := "unknown"
		if info, ok := awsproto.RequestInfoFrom(r.Context()); ok {
			service = info.Scope.Service
		} else if s, signed, err := awsproto.ParseScope(r); err == nil && s.Service != "" {
			service = s.Service
		} else if !signed && r.Header.Get("X-Amz-Target") == "" {
			service = "s3" // anonymous requests are S3's
		}
		e.counters.request(service, sw.status)
	}()

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
	if _, ok := e.opts.Services[scope.Service]; !ok {
		e.reject(w, r, guessProtocol(r, scope.Service), http.StatusBadRequest, "UnrecognizedClient",
			fmt.Sprintf("credential scope names service %q, which this endpoint does not serve (serves: %s)", scope.Service, strings.Join(e.serviceNames(), ", ")))
		return
	}
	if e.opts.Mode == ModeOff || e.opts.Identity == nil {
		root := awsproto.Caller{Type: "Root", ARN: "arn:aws:iam::" + e.opts.AccountID + ":root", UserID: e.opts.AccountID, Account: e.opts.AccountID}
		e.serve(w, r, scope, root, nil, nil, "")
		return
	}
	e.serveVerified(w, r, scope, signed)
}

// serveVerified authenticates the request by its SigV4 signature, then
// authorizes it by IAM before the handler runs.
func (e *Edge) serveVerified(w http.ResponseWriter, r *http.Request, scope awsproto.Scope, signed bool) {
	ctx := r.Context()
	proto := guessProtocol(r, scope.Service)
	var caller awsproto.Caller
	var creds *awsproto.Credentials
	if signed {
		var key sigv4.Key
		res, err := sigv4.Verify(r, sigv4.Options{Now: e.opts.Now, MaxSkew: e.opts.MaxSkew, Lookup: func(akid string) (sigv4.Key, bool) {
			k, c, ok := e.opts.Identity.Authenticate(akid)
			if !ok {
				k, c, ok = e.lookupAccount(akid)
			}
			if ok {
				key, caller = k, c
			}
			return k, ok
		}})
		if err != nil {
			var se *sigv4.Error
			if !errors.As(err, &se) {
				se = &sigv4.Error{Kind: sigv4.IncompleteSignature, Message: err.Error()}
			}
			if e.opts.Mode == ModeEnforce {
				wire := wireProtocol(scope.Service, proto)
				code, status := se.Code(wire)
				e.rejectCode(w, r, proto, status, code, se.MessageFor(wire))
				return
			}
			e.log.WarnContext(ctx, "signature would be refused", "error", se.Message, "request_id", awsproto.RequestID(ctx))
			if caller.ARN == "" {
				caller = awsproto.Caller{Type: "Root", ARN: "arn:aws:iam::" + e.opts.AccountID + ":root", UserID: e.opts.AccountID, Account: e.opts.AccountID}
			}
		} else {
			scope = res.Scope
			caller.AccessKeyID, caller.SessionToken = res.AccessKeyID, res.SessionToken
			creds = &awsproto.Credentials{AccessKeyID: res.AccessKeyID, SecretAccessKey: key.SecretAccessKey, SessionToken: res.SessionToken}
		}
	}
	region := scope.Region
	if region == "" {
		region = e.opts.DefaultRegion
	}
	if e.refuseAccount(w, r, proto, scope.Service, caller) {
		return
	}
	h := e.opts.Services[scope.Service]
	az := &authorizer{e: e, r: r, caller: caller, service: scope.Service, proto: proto, wire: wireProtocol(scope.Service, proto), region: region}
	var call awsproto.Call
	if d, ok := h.(awsproto.Describer); ok {
		// Describers may need the caller (IAM's "the caller's own user").
		dr := r.WithContext(awsproto.WithRequestInfo(ctx, awsproto.RequestInfo{Scope: scope, AccountID: e.accountOf(caller), Region: region, Caller: caller}))
		var err error
		call, err = d.Describe(dr)
		r.Body = dr.Body // a describer that read the body left a fresh reader there
		if err != nil {
			e.writeErr(w, r, proto, err)
			return
		}
	} else {
		call = awsproto.Call{Operation: "Unknown", Action: scope.Service + ":*", Resources: []string{"*"}}
	}
	az.op = call.Operation
	// Anonymous S3 requests are allowed only by a bucket policy that grants
	// them (principal "*"); check evaluates them that way.
	if !caller.Anonymous() && caller.Type != "Root" {
		set, err := e.opts.Identity.Policies(caller)
		if err != nil {
			e.writeErr(w, r, proto, err)
			return
		}
		az.set = &set
	}
	if !call.NoAuthorization && !call.SelfAuthorized {
		for _, c := range append([]awsproto.Call{call}, call.Extra...) {
			for _, res := range c.Resources {
				if err := az.check(ctx, c.Action, res, c.Context, c.ResourcePolicies); err != nil {
					e.writeErr(w, r, proto, err)
					return
				}
			}
		}
	}
	e.serve(w, r, scope, caller, az, creds, call.Operation)
}

// serve hands the request to its service with what the edge learned,
// unless an armed fault fails it first: after authentication and
// authorization [INF], so a fault fails only calls that would otherwise
// have reached the service, and a denied call never uses one up. op is
// the operation the service's Describer named ("" when not asked yet).
func (e *Edge) serve(w http.ResponseWriter, r *http.Request, scope awsproto.Scope, caller awsproto.Caller, az awsproto.Authorizer, creds *awsproto.Credentials, op string) {
	if e.injectFault(w, r, scope.Service, op, caller) {
		return
	}
	ctx := r.Context()
	region := scope.Region
	if region == "" {
		region = e.opts.DefaultRegion
	}
	ctx = awsproto.WithRequestInfo(ctx, awsproto.RequestInfo{Scope: scope, AccountID: e.accountOf(caller), Region: region, Caller: caller})
	if az != nil {
		ctx = awsproto.WithAuthorizer(ctx, az)
	}
	if creds != nil {
		ctx = awsproto.WithCallerCredentials(ctx, *creds)
	}
	e.log.DebugContext(ctx, "request", "service", scope.Service, "caller", caller.ARN, "method", r.Method, "path", r.URL.Path, "request_id", awsproto.RequestID(ctx))
	e.opts.Services[scope.Service].ServeHTTP(w, r.WithContext(ctx))
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
	"iotthingsgraph": protocolJSON, "iot": protocolJSON, "execute-api": protocolJSON, "greengrass": protocolJSON, "iotdata": protocolJSON,
	"iam": protocolQuery, "sts": protocolQuery, "s3": protocolS3,
}

// wireProtocol names the protocol as fakes/sigv4 spells them: AWS JSON 1.1
// services answer auth errors with 400, REST-JSON ones with 403.
func wireProtocol(service, proto string) string {
	switch {
	case service == "iot", service == "execute-api", service == "greengrass", service == "iotdata":
		return sigv4.ProtocolRESTJSON
	case proto == protocolJSON:
		return sigv4.ProtocolJSON
	case proto == protocolQuery:
		return sigv4.ProtocolQuery
	}
	return sigv4.ProtocolS3
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
	if proto == protocolJSON {
		code += "Exception"
	}
	e.rejectCode(w, r, proto, status, code, msg)
}

// rejectCode answers an error whose code is already spelled for proto.
func (e *Edge) rejectCode(w http.ResponseWriter, r *http.Request, proto string, status int, code, msg string) {
	ctx := r.Context()
	e.log.InfoContext(ctx, "rejected request", "code", code, "error", msg, "request_id", awsproto.RequestID(ctx))
	e.writeErr(w, r, proto, awsproto.NewError(status, code, "%s", msg))
}

// writeErr encodes err in proto's shape.
func (e *Edge) writeErr(w http.ResponseWriter, r *http.Request, proto string, err error) {
	ctx := r.Context()
	switch proto {
	case protocolJSON:
		awsproto.WriteJSONError(ctx, w, err, awsproto.JSONErrorOptions{ContentType: awsproto.JSON11ContentType, InternalCode: "InternalFailure", Logger: e.log})
	case protocolQuery:
		awsproto.WriteQueryError(ctx, w, err, e.log)
	default:
		ae := awsproto.AsError(err)
		if ae == nil {
			e.log.ErrorContext(ctx, "internal failure", "error", err, "request_id", awsproto.RequestID(ctx))
			ae = awsproto.NewError(http.StatusInternalServerError, "InternalError", "We encountered an internal error. Please try again.")
		}
		status := ae.Status
		if status == 0 {
			status = http.StatusBadRequest
		}
		awsproto.WriteXML(w, status, struct {
			XMLName   xml.Name `xml:"Error"`
			Code      string   `xml:"Code"`
			Message   string   `xml:"Message"`
			RequestID string   `xml:"RequestId"`
		}{Code: ae.Code, Message: ae.Message, RequestID: awsproto.RequestID(ctx)})
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
	fields := map[string]any{}
	if e.opts.Health != nil {
		for k, v := range e.opts.Health() {
			fields[k] = v
		}
	}
	fields["status"] = "ok"
	fields["services"] = e.serviceNames()
	fields["account"] = e.opts.AccountID
	fields["iam"] = string(e.opts.Mode)
	fields["uptime"] = e.opts.Now().Sub(e.started).Round(time.Millisecond).String()
	body, _ := json.Marshal(fields)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}
