package s3

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/tgsim/tgsim/fakes/awsproto"
)

// AccessLogRecord is one S3 server access log record. AWS: Amazon S3 user
// guide, "Amazon S3 server access log format".
type AccessLogRecord struct {
	BucketOwner string // canonical user ID of the bucket owner
	Bucket      string
	Time        time.Time
	RemoteIP    string
	Requester   string // the caller's ARN; "" for anonymous
	RequestID   string
	Operation   string // REST.GET.OBJECT, REST.PUT.OBJECT, REST.GET.BUCKET, ...
	Key         string
	RequestURI  string // "GET /bucket/key?x HTTP/1.1"
	HTTPStatus  int
	ErrorCode   string
	BytesSent   int64 // response body bytes; -1 for none
	ObjectSize  int64 // -1 when not an object request
	TotalTime   time.Duration
	// TurnAroundTime is the time from the request reaching the service to
	// the first byte of the answer.
	TurnAroundTime     time.Duration
	Referrer           string
	UserAgent          string
	VersionID          string
	HostID             string // x-amz-id-2
	SignatureVersion   string // SigV4, or ""
	CipherSuite        string // TLS cipher suite, "" over HTTP
	AuthenticationType string // AuthHeader, QueryString, or ""
	HostHeader         string
	TLSVersion         string // TLSv1.2, TLSv1.3, or ""
}

// String formats the record as one line of S3's log format: space
// separated, "-" for an empty field, time in brackets, URI, referrer and
// user agent quoted.
func (r AccessLogRecord) String() string {
	dash := func(s string) string {
		if s == "" {
			return "-"
		}
		return s
	}
	num := func(n int64) string {
		if n < 0 {
			return "-"
		}
		return strconv.FormatInt(n, 10)
	}
	quote := func(s string) string {
		if s == "" {
			return "-"
		}
		return `"` + strings.ReplaceAll(s, `"`, `\"`) + `"`
	}
	status := "-"
	if r.HTTPStatus != 0 {
		status = strconv.Itoa(r.HTTPStatus)
	}
	fields := []string{
		dash(r.BucketOwner), dash(r.Bucket), "[" + r.Time.UTC().Format("02/Jan/2006:15:04:05 -0700") + "]",
		dash(r.RemoteIP), dash(r.Requester), dash(r.RequestID), dash(r.Operation), dash(r.Key),
		quote(r.RequestURI), status, dash(r.ErrorCode), num(r.BytesSent), num(r.ObjectSize),
		strconv.FormatInt(r.TotalTime.Milliseconds(), 10), strconv.FormatInt(r.TurnAroundTime.Milliseconds(), 10),
		quote(r.Referrer), quote(r.UserAgent), dash(r.VersionID), dash(r.HostID), dash(r.SignatureVersion),
		dash(r.CipherSuite), dash(r.AuthenticationType), dash(r.HostHeader), dash(r.TLSVersion),
		"-", // access point ARN
		"-", // aclRequired
	}
	return strings.Join(fields, " ")
}

// logOperations names a request's operation in the log. AWS:
// "Amazon S3 server access log format", Operation: REST.HTTP_method.resource_type.
var logOperations = map[string]string{
	"GetObject": "REST.GET.OBJECT", "HeadObject": "REST.HEAD.OBJECT", "PutObject": "REST.PUT.OBJECT",
	"CopyObject": "REST.COPY.OBJECT", "DeleteObject": "REST.DELETE.OBJECT", "PostObject": "REST.POST.OBJECT",
	"ListObjects": "REST.GET.BUCKET", "ListObjectsV2": "REST.GET.BUCKET", "HeadBucket": "REST.HEAD.BUCKET",
	"CreateBucket": "REST.PUT.BUCKET", "DeleteBucket": "REST.DELETE.BUCKET",
	"CreateMultipartUpload": "REST.POST.UPLOADS", "UploadPart": "REST.PUT.PART",
	"CompleteMultipartUpload": "REST.POST.UPLOAD", "AbortMultipartUpload": "REST.DELETE.UPLOAD",
	"ListParts": "REST.GET.UPLOAD", "ListMultipartUploads": "REST.GET.UPLOADS",
	"DeleteObjects": "REST.POST.MULTI_OBJECT_DELETE", "ListObjectVersions": "REST.GET.BUCKETVERSIONS",
	"GetBucketPolicy": "REST.GET.BUCKETPOLICY", "PutBucketPolicy": "REST.PUT.BUCKETPOLICY", "DeleteBucketPolicy": "REST.DELETE.BUCKETPOLICY",
	"GetBucketEncryption": "REST.GET.ENCRYPTION", "PutBucketEncryption": "REST.PUT.ENCRYPTION", "DeleteBucketEncryption": "REST.DELETE.ENCRYPTION",
	"GetBucketLogging": "REST.GET.LOGGING_STATUS", "PutBucketLogging": "REST.PUT.LOGGING_STATUS",
	"GetBucketVersioning": "REST.GET.VERSIONING", "PutBucketVersioning": "REST.PUT.VERSIONING",
	"GetBucketLocation": "REST.GET.LOCATION", "GetBucketAcl": "REST.GET.ACL", "PutBucketAcl": "REST.PUT.ACL",
	"GetObjectAcl": "REST.GET.ACL", "PutObjectAcl": "REST.PUT.ACL",
	"GetBucketTagging": "REST.GET.TAGGING", "PutBucketTagging": "REST.PUT.TAGGING", "DeleteBucketTagging": "REST.DELETE.TAGGING",
	"GetObjectTagging": "REST.GET.OBJECT_TAGGING", "PutObjectTagging": "REST.PUT.OBJECT_TAGGING",
}

// logWriter watches an answer for the access log.
type logWriter struct {
	http.ResponseWriter
	start     time.Time
	status    int
	firstByte time.Duration
	bytes     int64
	errBody   []byte // the start of an error answer, for its <Code>
}

func (lw *logWriter) WriteHeader(status int) {
	if lw.status == 0 {
		lw.status = status
		lw.firstByte = time.Since(lw.start)
	}
	lw.ResponseWriter.WriteHeader(status)
}

func (lw *logWriter) Write(p []byte) (int, error) {
	if lw.status == 0 {
		lw.WriteHeader(http.StatusOK)
	}
	if lw.status >= 300 && len(lw.errBody) < 1024 {
		lw.errBody = append(lw.errBody, p[:min(len(p), 1024-len(lw.errBody))]...)
	}
	n, err := lw.ResponseWriter.Write(p)
	lw.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (lw *logWriter) Unwrap() http.ResponseWriter { return lw.ResponseWriter }

var errorCodeRE = regexp.MustCompile(`<Code>([^<]+)</Code>`)

// maxKeptRecords bounds AccessLog's memory per bucket.
const maxKeptRecords = 10000

// pendingRecord is a record waiting for delivery to its target.
type pendingRecord struct {
	target loggingEnabled
	line   string
}

// logAccess records r for bucket when the bucket has logging enabled.
func (s *Service) logAccess(r *http.Request, bucket, key, op string, lw *logWriter, objectSize int64) {
	if bucket == "" {
		return
	}
	target := s.settings(bucket).logging
	if target == nil {
		return
	}
	ctx := r.Context()
	rec := AccessLogRecord{
		BucketOwner: s.canonicalOwner, Bucket: bucket, Time: s.opts.Now(),
		Operation: logOperations[op], Key: key,
		RequestURI: r.Method + " " + r.URL.RequestURI() + " " + r.Proto,
		HTTPStatus: lw.status, BytesSent: lw.bytes, ObjectSize: objectSize,
		TotalTime: time.Since(lw.start), TurnAroundTime: lw.firstByte,
		Referrer: r.Referer(), UserAgent: r.UserAgent(), HostHeader: r.Host,
		RequestID: awsproto.RequestID(ctx),
		VersionID: lw.Header().Get("X-Amz-Version-Id"), HostID: lw.Header().Get("X-Amz-Id-2"),
	}
	if rec.Operation == "" {
		rec.Operation = "REST." + r.Method + "." + strings.ToUpper(op)
	}
	if rec.RequestID == "" {
		rec.RequestID = lw.Header().Get("X-Amz-Request-Id")
	}
	if rec.BytesSent == 0 {
		rec.BytesSent = -1 // AWS writes "-" for no body
	}
	if m := errorCodeRE.FindSubmatch(lw.errBody); m != nil {
		rec.ErrorCode = string(m[1])
	}
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		rec.RemoteIP = host
	}
	if info, ok := awsproto.RequestInfoFrom(ctx); ok && !info.Caller.Anonymous() {
		rec.Requester = info.Caller.ARN
	}
	switch {
	case strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-"):
		rec.SignatureVersion, rec.AuthenticationType = "SigV4", "AuthHeader"
	case r.URL.Query().Get("X-Amz-Algorithm") != "":
		rec.SignatureVersion, rec.AuthenticationType = "SigV4", "QueryString"
	}
	if r.TLS != nil {
		rec.CipherSuite = tls.CipherSuiteName(r.TLS.CipherSuite)
		rec.TLSVersion = strings.Replace(tls.VersionName(r.TLS.Version), "TLS 1", "TLSv1", 1)
	}

	s.logMu.Lock()
	kept := append(s.accessLogs[bucket], rec)
	if len(kept) > maxKeptRecords {
		kept = kept[len(kept)-maxKeptRecords:]
	}
	s.accessLogs[bucket] = kept
	s.pendingLogs = append(s.pendingLogs, pendingRecord{target: *target, line: rec.String()})
	full := len(s.pendingLogs) >= s.opts.AccessLogBatch
	s.logMu.Unlock()
	if full {
		s.FlushAccessLogs()
	}
}

// AccessLog returns the access log records of requests to bucket, oldest
// first (the last 10000), whether delivered yet or not.
func (s *Service) AccessLog(bucket string) []AccessLogRecord {
	s.logMu.Lock()
	defer s.logMu.Unlock()
	return append([]AccessLogRecord(nil), s.accessLogs[bucket]...)
}

// FlushAccessLogs delivers every pending access log record now: one log
// object per target bucket and prefix. Records whose target bucket is gone
// are dropped (and logged at Warn).
//
// Divergence: S3 delivers logs best effort, usually within a few hours, in
// objects of its choosing; tgsim delivers after Options.AccessLogBatch
// records or on this call.
func (s *Service) FlushAccessLogs() {
	s.flushMu.Lock()
	defer s.flushMu.Unlock()
	s.logMu.Lock()
	pending := s.pendingLogs
	s.pendingLogs = nil
	s.logMu.Unlock()

	var order []loggingEnabled
	groups := map[loggingEnabled]*bytes.Buffer{}
	for _, p := range pending {
		b := groups[p.target]
		if b == nil {
			b = &bytes.Buffer{}
			groups[p.target] = b
			order = append(order, p.target)
		}
		b.WriteString(p.line)
		b.WriteByte('\n')
	}
	for _, t := range order {
		body := groups[t].Bytes()
		// AWS: log object key "TargetPrefixYYYY-mm-DD-HH-MM-SS-UniqueString".
		var uniq [8]byte
		_, _ = rand.Read(uniq[:])
		key := t.TargetPrefix + s.opts.Now().UTC().Format("2006-01-02-15-04-05") + "-" + strings.ToUpper(hex.EncodeToString(uniq[:]))
		meta := map[string]string{"Content-Type": "text/plain", "Last-Modified": s.opts.Now().UTC().Format(http.TimeFormat)}
		if d := s.settings(t.TargetBucket).encryption; d != nil {
			// Log objects take the target bucket's default encryption.
			meta[metaSSE] = d.SSEAlgorithm
			if d.SSEAlgorithm != sseAES256 {
				meta[metaSSEKeyID] = s.kmsKeyID(d.KMSMasterKeyID)
			}
		}
		if _, err := s.backend.PutObject(t.TargetBucket, key, meta, bytes.NewReader(body), int64(len(body)), nil); err != nil {
			s.log.Warn("access log records dropped", "target_bucket", t.TargetBucket, "records", bytes.Count(body, []byte{'\n'}), "error", err)
		}
	}
}

// canonicalID is the canonical user ID tgsim gives an account: 64 hex
// digits, as S3's are (S3 does not derive them from the account ID).
func canonicalID(account string) string {
	sum := sha256.Sum256([]byte("tgsim canonical user " + account))
	return hex.EncodeToString(sum[:])
}

// kmsKeyID is the key ID S3 reports for aws:kms: the one asked for, or the
// account's AWS managed key for S3.
func (s *Service) kmsKeyID(asked string) string {
	if asked != "" {
		return asked
	}
	return fmt.Sprintf("arn:aws:kms:%s:%s:alias/aws/s3", s.opts.Region, s.opts.AccountID)
}
