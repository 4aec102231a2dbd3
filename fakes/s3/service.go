package s3

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
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
	// MasterKey (32 bytes, AES-256) wraps the per-bucket data keys that
	// encrypt objects stored with server-side encryption. nil generates one
	// at New, so stored objects do not outlive the Service.
	MasterKey []byte
	// AccessLogBatch is how many server access log records are gathered
	// before they are delivered as one log object. Default 100.
	AccessLogBatch int
	// DataDir, when set, keeps everything on disk there: objects in
	// gofakes3's bolt store (s3.db, every write an fsynced transaction),
	// bucket settings in s3-settings.json (replaced atomically), and the
	// master key in s3-master.key (0600; MasterKey must then be nil).
	// Divergence: the bolt store has no object versioning; versioned calls
	// answer NotImplemented.
	DataDir string
}

// Service is the fake S3. It is an http.Handler.
type Service struct {
	opts           Options
	log            *slog.Logger
	inner          gofakes3.Backend
	backend        *sseBackend
	closer         io.Closer // the on-disk object store, if any
	settingsPath   string    // where bucket settings are saved; "" in memory
	handler        http.Handler
	canonicalOwner string

	mu      sync.RWMutex
	buckets map[string]*bucketSettings // s.mu held

	logMu       sync.Mutex
	accessLogs  map[string][]AccessLogRecord // by source bucket; s.logMu held
	pendingLogs []pendingRecord              // s.logMu held
	flushMu     sync.Mutex                   // one delivery at a time
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
	if opts.AccessLogBatch <= 0 {
		opts.AccessLogBatch = 100
	}
	var (
		inner    gofakes3.Backend
		closer   io.Closer
		settings = map[string]*bucketSettings{}
		setPath  string
	)
	ts := clock{now: opts.Now}
	if opts.DataDir != "" {
		if opts.MasterKey != nil {
			return nil, errors.New("s3: with DataDir the master key is kept in the data directory; leave MasterKey nil")
		}
		key, objects, db, saved, err := openDataDir(opts.DataDir)
		if err != nil {
			return nil, err
		}
		opts.MasterKey, inner, closer, settings = key, objects, db, saved
		setPath = filepath.Join(opts.DataDir, settingsFile)
	} else {
		inner = s3mem.New(s3mem.WithTimeSource(ts))
	}
	if opts.MasterKey == nil {
		opts.MasterKey = make([]byte, 32)
		if _, err := rand.Read(opts.MasterKey); err != nil {
			return nil, fmt.Errorf("s3: generating master key: %w", err)
		}
	}
	log := opts.Logger.With("component", "s3")
	backend, err := newSSEBackend(inner, opts.MasterKey, opts.Now)
	if err != nil {
		if closer != nil {
			closer.Close()
		}
		return nil, err
	}
	s := &Service{opts: opts, log: log, inner: inner, backend: backend, closer: closer, settingsPath: setPath, canonicalOwner: canonicalID(opts.AccountID),
		buckets: settings, accessLogs: map[string][]AccessLogRecord{}}
	backend.onDeleteBucket = s.forgetBucket
	faker := gofakes3.New(backend,
		gofakes3.WithTimeSource(ts),
		// Divergence: no RequestTimeTooSkewed; see doc.go.
		gofakes3.WithTimeSkewLimit(0),
		gofakes3.WithLogger(logAdapter{log}),
		// Content-MD5, when sent, is checked (S3 does).
		gofakes3.WithIntegrityCheck(true),
	)
	s.handler = faker.Server()
	return s, nil
}

// Backend returns the in-memory store, for inspection in tests: objects
// stored with server-side encryption are ciphertext there, with the
// encryption's bookkeeping in X-Tgsim-Sse-* metadata. It is safe for
// concurrent use; its methods are gofakes3's Backend interface.
func (s *Service) Backend() gofakes3.Backend { return s.inner }

// CloseStorage releases the on-disk object store, if any. (Not Close: the
// test Server embeds both a Service and an httptest.Server.)
func (s *Service) CloseStorage() error {
	if s.closer != nil {
		return s.closer.Close()
	}
	return nil
}

// ServeHTTP serves the S3 REST API.
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	s.log.DebugContext(ctx, "request", "method", r.Method, "host", r.Host, "path", r.URL.Path, "request_id", awsproto.RequestID(ctx))
	s.virtualHost(r)
	bucket, key := splitPath(r.URL.Path)
	op := s.describe(r, bucket, key).Operation
	lw := &logWriter{ResponseWriter: w, start: time.Now()}
	objectSize := s.serve(lw, r, bucket, key, op)
	s.logAccess(r, bucket, key, op, lw, objectSize)
}

// serve answers r and returns the object size for the access log (-1 when
// not an object request).
func (s *Service) serve(w http.ResponseWriter, r *http.Request, bucket, key, op string) int64 {
	ctx := r.Context()
	// gofakes3 routes a request by method and path only, so a subresource
	// it does not know would act on the object or bucket itself (a
	// PutObjectTagging would overwrite the object with the tagging XML).
	// Refuse those before anything is touched.
	if sub := unsupportedSubresource(r); sub != "" {
		writeError(ctx, w, r, awsproto.NewError(http.StatusNotImplemented, "NotImplemented",
			"A header or query you provided requested a function that is not implemented: the ?%s subresource is not supported by tgsim", sub), s.log)
		return -1
	}
	var putChecksums map[string]string
	if r.Method == http.MethodPut || r.Method == http.MethodPost {
		var err error
		putChecksums, err = s.prepareUpload(r)
		if err != nil {
			writeError(ctx, w, r, err, s.log)
			return -1
		}
	}
	if s.serveBucketSetting(w, r, bucket, key) {
		return -1
	}
	rw := &responseWriter{ResponseWriter: w, putChecksums: putChecksums}
	switch op {
	case "PutObject", "CopyObject", "CreateMultipartUpload":
		sse, err := s.applyEncryption(r, bucket, op)
		if err != nil {
			writeError(ctx, w, r, err, s.log)
			return -1
		}
		rw.sse = sse
	case "CompleteMultipartUpload":
		rw.onSuccess = func(h http.Header) {
			if obj, err := s.backend.HeadObject(bucket, key); err == nil {
				_ = obj.Contents.Close()
				for _, k := range []string{metaSSE, metaSSEKeyID, metaBucketKey} {
					if v := obj.Metadata[k]; v != "" {
						h.Set(k, v)
					}
				}
			}
		}
	}
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
	switch op {
	case "PutObject", "UploadPart":
		return r.ContentLength
	case "GetObject", "HeadObject":
		if cr := w.Header().Get("Content-Range"); cr != "" {
			if _, total, ok := strings.Cut(cr, "/"); ok {
				if n, err := strconv.ParseInt(total, 10, 64); err == nil {
					return n
				}
			}
		}
		if n, err := strconv.ParseInt(w.Header().Get("Content-Length"), 10, 64); err == nil {
			return n
		}
	}
	return -1
}

// applyEncryption validates a write's x-amz-server-side-encryption headers
// and fills in the bucket's default encryption when the request has none,
// so gofakes3 stores them with the object and the encrypting backend sees
// them. It returns the headers the answer echoes.
func (s *Service) applyEncryption(r *http.Request, bucket, op string) (http.Header, error) {
	sse := r.Header.Get(metaSSE)
	keyID := r.Header.Get(metaSSEKeyID)
	// AWS: PutObject, "x-amz-server-side-encryption"; S3 answers
	// InvalidArgument for a value outside the enum and for a KMS key
	// without aws:kms.
	if sse != "" && !validSSE(sse) {
		return nil, invalidArgument("The encryption method specified is not supported")
	}
	if keyID != "" && sse != sseKMS && sse != sseKMSDSSE {
		return nil, invalidArgument("Server Side Encryption with AWS KMS managed key requires HTTP header x-amz-server-side-encryption : aws:kms")
	}
	if r.Header.Get("X-Amz-Server-Side-Encryption-Customer-Algorithm") != "" {
		// Divergence: SSE-C is not implemented.
		return nil, awsproto.NewError(http.StatusNotImplemented, "NotImplemented", "Server Side Encryption with Customer provided keys is not supported by tgsim")
	}
	if sse == "" {
		if d := s.settings(bucket).encryption; d != nil {
			sse, keyID = d.SSEAlgorithm, d.KMSMasterKeyID
			if d.bucketKey && sse != sseAES256 {
				r.Header.Set(metaBucketKey, "true")
			}
		}
	}
	if sse == "" {
		if op == "CopyObject" {
			// Without this gofakes3 would copy the source's setting.
			r.Header.Set(metaSSE, sseNone)
			r.Header.Set(metaSSEKeyID, "")
			r.Header.Set(metaBucketKey, "")
		}
		return nil, nil
	}
	if sse != sseAES256 {
		keyID = s.kmsKeyID(keyID)
		r.Header.Set(metaSSEKeyID, keyID)
	}
	r.Header.Set(metaSSE, sse)
	echo := http.Header{}
	echo.Set(metaSSE, sse)
	if keyID != "" {
		echo.Set(metaSSEKeyID, keyID)
	}
	if v := r.Header.Get(metaBucketKey); v != "" {
		echo.Set(metaBucketKey, v)
	}
	return echo, nil
}

// splitPath splits a path-style path into bucket and key.
func splitPath(p string) (bucket, key string) {
	bucket, key, _ = strings.Cut(strings.TrimPrefix(p, "/"), "/")
	return bucket, key
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
	// sse are the encryption headers a successful write echoes.
	sse http.Header
	// onSuccess, when set, adds headers to a successful answer.
	onSuccess func(http.Header)
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
			// AWS: PutObject, CopyObject, CreateMultipartUpload and
			// CompleteMultipartUpload answer x-amz-server-side-encryption.
			for k, v := range rw.sse {
				h[k] = v
			}
			if rw.onSuccess != nil {
				rw.onSuccess(h)
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

// unsupportedSubresources are S3 subresources neither gofakes3 nor this
// wrapper serves. AWS: the S3 API Reference's bucket and object
// subresource operations.
var unsupportedSubresources = []string{
	"acl", "tagging", "cors", "lifecycle", "website", "replication", "notification", "accelerate",
	"analytics", "inventory", "metrics", "intelligent-tiering", "ownershipControls", "publicAccessBlock",
	"requestPayment", "object-lock", "retention", "legal-hold", "torrent", "restore", "select",
	"attributes", "policyStatus",
}

func unsupportedSubresource(r *http.Request) string {
	q := r.URL.Query()
	for _, sub := range unsupportedSubresources {
		if q.Has(sub) {
			return sub
		}
	}
	return ""
}
