package greengrass

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tgsim/tgsim/fakes/awsproto"
)

// Options configures a Service. The zero value works.
type Options struct {
	// AccountID owns every resource; a request's RequestInfo (set by the
	// edge) wins when present. Default "000000000000".
	AccountID string
	// Region goes into ARNs; a request's RequestInfo region wins when
	// present. Default "us-east-1".
	Region string
	// Logger receives Debug per request and Error for internal faults.
	// nil discards.
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// NewID returns a fresh id for groups, definitions, versions and
	// deployments; nil means random UUIDs, as AWS uses.
	NewID func() string
	// Backend stores the state; nil means NewMemory().
	Backend Backend
	// OnDeployment, when set, is called after every accepted deployment
	// (CreateDeployment and ResetDeployments), outside any lock, on the
	// request's goroutine: it must not block. A Greengrass core simulator
	// hands the value to its own goroutine and later reports the outcome
	// with SetDeploymentStatus.
	OnDeployment func(Deployment)
}

// Service is the fake Greengrass v1 control plane; it is an http.Handler
// that dispatches REST-JSON requests by method and path.
type Service struct {
	opts    Options
	log     *slog.Logger
	backend Backend
	routes  []route

	mu     sync.Mutex
	faults map[string][]error // s.mu

	notify *notifier // wakes core long polls

	// deviceSets caches, per device definition version ARN, the set of
	// its things' names for discovery (discoveryMembers).
	deviceSets sync.Map
}

// New returns a Service with defaults filled in.
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
		opts.NewID = awsproto.NewRequestID
	}
	if opts.Backend == nil {
		opts.Backend = NewMemory()
	}
	s := &Service{opts: opts, log: opts.Logger.With("component", "greengrass"), backend: opts.Backend, faults: map[string][]error{},
		notify: &notifier{chans: map[string]chan struct{}{}}}
	user := opts.OnDeployment
	s.opts.OnDeployment = func(d Deployment) {
		s.notify.notify(d.GroupID)
		if user != nil {
			user(d)
		}
	}
	s.routes = s.buildRoutes()
	return s, nil
}

// Backend returns the store behind the service, for inspection in tests.
func (s *Service) Backend() Backend { return s.backend }

// FailNext makes the next n calls of operation op (as AWS names it, e.g.
// "CreateDeployment") fail with err before they touch any state. err is
// usually an *awsproto.Error such as a 429 TooManyRequestsException; any
// other error is answered as InternalServerErrorException.
func (s *Service) FailNext(op string, n int, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.faults[op] = append(s.faults[op], err)
	}
}

func (s *Service) takeFault(op string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.faults[op]
	if len(q) == 0 {
		return nil
	}
	s.faults[op] = q[1:]
	return q[0]
}

// pathParams holds the unescaped URI labels of a matched route.
type pathParams map[string]string

type handlerFunc func(w http.ResponseWriter, r *http.Request, p pathParams) error

type route struct {
	method string
	segs   []string // a literal, or "{Label}"
	op     string
	h      handlerFunc
}

func newRoute(method, uri, op string, h handlerFunc) route {
	return route{method: method, segs: strings.Split(strings.TrimPrefix(uri, "/"), "/"), op: op, h: h}
}

// match reports whether segs fits r and how many literal segments agreed.
func (rt route) match(segs []string) (pathParams, int, bool) {
	if len(segs) != len(rt.segs) {
		return nil, 0, false
	}
	p := pathParams{}
	literals := 0
	for i, want := range rt.segs {
		if label, ok := strings.CutPrefix(want, "{"); ok {
			v, err := url.PathUnescape(segs[i])
			if err != nil || v == "" {
				return nil, 0, false
			}
			p[strings.TrimSuffix(label, "}")] = v
			continue
		}
		if segs[i] != want {
			return nil, 0, false
		}
		literals++
	}
	return p, literals, true
}

// find picks the matching route with the most literal segments, so
// /deployments/$reset wins over a label in the same place.
func (s *Service) find(method, escapedPath string) (route, pathParams, bool) {
	segs := strings.Split(strings.TrimPrefix(escapedPath, "/"), "/")
	var best route
	var bestP pathParams
	bestN := -1
	for _, rt := range s.routes {
		if rt.method != method {
			continue
		}
		if p, n, ok := rt.match(segs); ok && n > bestN {
			best, bestP, bestN = rt, p, n
		}
	}
	return best, bestP, bestN >= 0
}

// ServeHTTP dispatches a REST-JSON request to the operation its method and
// path name and encodes any error the AWS way.
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	// Behind the edge the request ID is already set; served alone (tests)
	// the service stamps its own.
	if w.Header().Get("X-Amzn-Requestid") == "" {
		id := awsproto.NewRequestID()
		awsproto.SetRequestIDHeaders(w.Header(), id)
		ctx = awsproto.WithRequestID(ctx, id)
		r = r.WithContext(ctx)
	}
	if strings.HasPrefix(r.URL.Path, CoreChannelPrefix) {
		s.serveCoreChannel(w, r)
		return
	}
	rt, p, ok := s.find(r.Method, r.URL.EscapedPath())
	if !ok {
		s.log.DebugContext(ctx, "unknown operation", "method", r.Method, "path", r.URL.Path, "request_id", awsproto.RequestID(ctx))
		s.writeError(w, r, unknownOperation(r.Method, r.URL.Path))
		return
	}
	s.log.DebugContext(ctx, "request", "op", rt.op, "request_id", awsproto.RequestID(ctx))
	err := s.takeFault(rt.op)
	if err == nil {
		err = rt.h(w, r, p)
	}
	if err != nil {
		s.log.DebugContext(ctx, "request failed", "op", rt.op, "error", err, "request_id", awsproto.RequestID(ctx))
		s.writeError(w, r, err)
	}
}

// where returns the region and account a request acts in.
func (s *Service) where(ctx context.Context) (region, account string) {
	region, account = s.opts.Region, s.opts.AccountID
	if info, ok := awsproto.RequestInfoFrom(ctx); ok {
		if info.Region != "" {
			region = info.Region
		}
		if info.AccountID != "" {
			account = info.AccountID
		}
	}
	return region, account
}

// decode reads the JSON body of r into v.
func decode(r *http.Request, v any) error {
	body, err := awsproto.ReadBody(r)
	if err != nil {
		return err
	}
	return awsproto.DecodeJSON(body, v)
}

func reply(w http.ResponseWriter, v any) {
	awsproto.WriteJSON(w, http.StatusOK, "application/json", v)
}

// timestamp formats t as Greengrass does: ISO 8601 in UTC with
// milliseconds ("2019-06-18T16:21:21.457Z"). The model types every
// timestamp as a plain string.
func timestamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02T15:04:05.000Z")
}

// paginate applies MaxResults and NextToken (both query strings in the
// model). The token is the decimal offset of the next item.
// Divergence: AWS's tokens are opaque; with MaxResults unset every item is
// returned in one page.
func paginate[T any](r *http.Request, items []T) ([]T, string, error) {
	q := r.URL.Query()
	start := 0
	if tok := q.Get("NextToken"); tok != "" {
		n, err := strconv.Atoi(tok)
		if err != nil || n < 0 || n > len(items) {
			return nil, "", badRequest("NextToken %q is invalid.", tok)
		}
		start = n
	}
	size := len(items) - start
	if mr := q.Get("MaxResults"); mr != "" {
		n, err := strconv.Atoi(mr)
		if err != nil || n < 1 {
			return nil, "", badRequest("MaxResults must be a positive integer, got %q.", mr)
		}
		size = min(n, size)
	}
	next := ""
	if start+size < len(items) {
		next = strconv.Itoa(start + size)
	}
	return items[start : start+size], next, nil
}
