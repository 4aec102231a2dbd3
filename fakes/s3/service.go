package s3

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/tgsim/tgsim/fakes/awsproto"
)

// Options configures a Service. The zero value works.
type Options struct {
	// AccountID owns every bucket. Default "000000000000". Not yet on the
	// wire: gofakes3 reports its own fixed owner in ListBuckets.
	AccountID string
	// Region the buckets live in. Default "us-east-1". Not yet on the wire
	// (GetBucketLocation is gofakes3's).
	Region string
	// Logger receives gofakes3's messages at Debug (Warn and Error kept).
	// nil discards.
	Logger *slog.Logger
	// Now is the clock for Last-Modified and bucket creation dates. nil
	// means time.Now.
	Now func() time.Time
	// HostBucketBases are the host names under which virtual-hosted-style
	// requests arrive: "<bucket>.<base>[:port]" is served as path-style
	// "/<bucket>/...". nil means {"localhost"}; an empty non-nil slice turns
	// virtual hosting off.
	HostBucketBases []string
}

// Service is the fake S3. It is an http.Handler.
type Service struct {
	opts    Options
	log     *slog.Logger
	backend *s3mem.Backend
	handler http.Handler
}

// New returns a Service with an empty in-memory store.
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
	if opts.HostBucketBases == nil {
		opts.HostBucketBases = []string{"localhost"}
	}
	for _, b := range opts.HostBucketBases {
		if strings.Trim(b, ".") == "" {
			return nil, fmt.Errorf("s3: host bucket base %q is empty", b)
		}
	}
	log := opts.Logger.With("component", "s3")
	ts := clock{now: opts.Now}
	backend := s3mem.New(s3mem.WithTimeSource(ts))
	faker := gofakes3.New(backend,
		gofakes3.WithTimeSource(ts),
		// Divergence: no RequestTimeTooSkewed; see doc.go.
		gofakes3.WithTimeSkewLimit(0),
		gofakes3.WithLogger(logAdapter{log}),
		// Content-MD5, when sent, is checked (S3 does).
		gofakes3.WithIntegrityCheck(true),
	)
	return &Service{opts: opts, log: log, backend: backend, handler: faker.Server()}, nil
}

// Backend returns the in-memory store, for inspection in tests. It is safe
// for concurrent use; its methods are gofakes3's Backend interface.
func (s *Service) Backend() *s3mem.Backend { return s.backend }

// ServeHTTP serves the S3 REST API.
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	s.log.DebugContext(ctx, "request", "method", r.Method, "host", r.Host, "path", r.URL.Path, "request_id", awsproto.RequestID(ctx))
	s.virtualHost(r)

	var putChecksums map[string]string
	if r.Method == http.MethodPut || r.Method == http.MethodPost {
		var err error
		putChecksums, err = s.prepareUpload(r)
		if err != nil {
			writeError(ctx, w, r, err, s.log)
			return
		}
	}
	rw := &responseWriter{ResponseWriter: w, putChecksums: putChecksums}
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		// AWS: GetObject "x-amz-checksum-mode": checksums come back only
		// when asked for, and never for a byte range or a part.
		rw.hideChecksums = !strings.EqualFold(r.Header.Get("X-Amz-Checksum-Mode"), "ENABLED") ||
			r.Header.Get("Range") != "" || r.URL.Query().Has("partNumber")
	}
	s.handler.ServeHTTP(rw, r)
	if !rw.wrote {
		// gofakes3 leaves a bare 200 implicit; headers must still be fixed.
		rw.WriteHeader(http.StatusOK)
	}
}

// virtualHost rewrites "<bucket>.<base>" requests to path style.
func (s *Service) virtualHost(r *http.Request) {
	if p, ok := s.pathStyle(r); ok {
		r.URL.Path = p
		r.URL.RawPath = ""
	}
}

// pathStyle returns the path-style path of a "<bucket>.<base>" request.
func (s *Service) pathStyle(r *http.Request) (string, bool) {
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	for _, base := range s.opts.HostBucketBases {
		bucket, ok := strings.CutSuffix(host, "."+strings.ToLower(strings.Trim(base, ".")))
		if !ok || bucket == "" {
			continue
		}
		// AWS: "Virtual hosting of buckets" — a bucket name with dots
		// cannot be addressed this way over TLS, but over HTTP it can.
		p := "/" + bucket
		if r.URL.Path != "/" && r.URL.Path != "" {
			p += r.URL.Path
		}
		return p, true
	}
	return "", false
}

// requestOnlyHeaders describe the request, not the object; gofakes3 would
// store them as object metadata and replay them on every GET.
var requestOnlyHeaders = []string{
	"X-Amz-Date",
	"X-Amz-Security-Token",
	"X-Amz-Content-Sha256",
	"X-Amz-Decoded-Content-Length",
	"X-Amz-Trailer",
	"X-Amz-Sdk-Checksum-Algorithm",
	"X-Amz-User-Agent",
	"X-Amz-Checksum-Mode",
	"X-Amz-Expected-Bucket-Owner",
	"X-Amz-Source-Expected-Bucket-Owner",
	"X-Amz-Request-Payer",
}

// prepareUpload turns r's body into plain bytes gofakes3 can store: it
// decodes aws-chunked framing, verifies flexible checksums and drops
// request-only headers. It returns the verified checksum headers.
func (s *Service) prepareUpload(r *http.Request) (map[string]string, error) {
	sha := r.Header.Get("X-Amz-Content-Sha256")
	chunked := strings.HasPrefix(sha, "STREAMING-") || hasToken(r.Header.Get("Content-Encoding"), "aws-chunked")
	var body []byte
	buffered := false
	if chunked {
		limit := int64(-1)
		if v := r.Header.Get("X-Amz-Decoded-Content-Length"); v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 0 {
				return nil, invalidRequest("x-amz-decoded-content-length %q is not a non-negative integer", v)
			}
			limit = n
		}
		data, trailers, err := decodeAWSChunked(r.Body, limit)
		_ = r.Body.Close()
		if err != nil {
			return nil, err
		}
		if limit >= 0 && int64(len(data)) != limit {
			return nil, incompleteBody("You did not provide the number of bytes specified by the x-amz-decoded-content-length HTTP header (declared %d, sent %d).", limit, len(data))
		}
		for k, v := range trailers {
			if strings.HasPrefix(k, checksumHeaderPrefix) {
				r.Header.Set(k, v[0])
			}
		}
		body, buffered = data, true
		r.Header.Set("Content-Encoding", removeToken(r.Header.Get("Content-Encoding"), "aws-chunked"))
		if r.Header.Get("Content-Encoding") == "" {
			r.Header.Del("Content-Encoding")
		}
	}
	sums := checksumHeaders(r.Header)
	if len(sums) > 0 && !buffered {
		data, err := io.ReadAll(r.Body)
		_ = r.Body.Close()
		if err != nil {
			return nil, incompleteBody("reading request body: %v", err)
		}
		body, buffered = data, true
	}
	for k, v := range sums {
		if err := verifyChecksum(k, v, body); err != nil {
			return nil, err
		}
	}
	if buffered {
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.ContentLength = int64(len(body))
		r.Header.Set("Content-Length", strconv.Itoa(len(body)))
	}
	for _, h := range requestOnlyHeaders {
		r.Header.Del(h)
	}
	return sums, nil
}

// responseWriter adjusts gofakes3's answer headers before they are sent.
type responseWriter struct {
	http.ResponseWriter
	putChecksums  map[string]string
	hideChecksums bool
	wrote         bool
}

func (rw *responseWriter) WriteHeader(status int) {
	if !rw.wrote {
		rw.wrote = true
		h := rw.Header()
		if rw.hideChecksums {
			for k := range checksumHeaders(h) {
				h.Del(k)
			}
		}
		if status < 300 {
			// AWS: PutObject echoes the checksum it verified.
			for k, v := range rw.putChecksums {
				h.Set(k, v)
			}
		}
	}
	rw.ResponseWriter.WriteHeader(status)
}

func (rw *responseWriter) Write(p []byte) (int, error) {
	if !rw.wrote {
		rw.WriteHeader(http.StatusOK)
	}
	return rw.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (rw *responseWriter) Unwrap() http.ResponseWriter { return rw.ResponseWriter }

func hasToken(list, token string) bool {
	for _, t := range strings.Split(list, ",") {
		if strings.EqualFold(strings.TrimSpace(t), token) {
			return true
		}
	}
	return false
}

func removeToken(list, token string) string {
	var keep []string
	for _, t := range strings.Split(list, ",") {
		t = strings.TrimSpace(t)
		if t != "" && !strings.EqualFold(t, token) {
			keep = append(keep, t)
		}
	}
	return strings.Join(keep, ",")
}

// clock adapts Options.Now to gofakes3.TimeSource. S3 reports times in GMT.
type clock struct{ now func() time.Time }

var gmt = time.FixedZone("GMT", 0)

func (c clock) Now() time.Time                  { return c.now().In(gmt) }
func (c clock) Since(t time.Time) time.Duration { return c.now().Sub(t) }

// logAdapter sends gofakes3's log lines to slog. Its Info lines are per
// request, so they go to Debug.
type logAdapter struct{ log *slog.Logger }

func (l logAdapter) Print(level gofakes3.LogLevel, v ...any) {
	msg := strings.TrimSpace(fmt.Sprintln(v...))
	switch level {
	case gofakes3.LogErr:
		l.log.Error("gofakes3", "detail", msg)
	case gofakes3.LogWarn:
		l.log.Warn("gofakes3", "detail", msg)
	default:
		l.log.Debug("gofakes3", "detail", msg)
	}
}
