package s3

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/tgsim/tgsim/fakes/awsproto"
	"github.com/tgsim/tgsim/fakes/policy"
)

// bucketSettings are the bucket subresources this package serves itself
// (gofakes3 would treat ?encryption, ?policy and ?logging as ListObjects or
// CreateBucket).
type bucketSettings struct {
	encryption *sseDefault // nil: no default encryption
	policyDoc  string      // "" : no bucket policy
	policy     *policy.Policy
	logging    *loggingEnabled
}

// settings returns a copy of bucket's settings. s.mu must not be held.
func (s *Service) settings(bucket string) bucketSettings {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if st := s.buckets[bucket]; st != nil {
		return *st
	}
	return bucketSettings{}
}

// updateSettings applies f to bucket's settings. With a data directory the
// change is saved durably first and applied only if that succeeded.
func (s *Service) updateSettings(bucket string, f func(*bucketSettings)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	next := bucketSettings{}
	if st := s.buckets[bucket]; st != nil {
		next = *st
	}
	f(&next)
	if s.settingsPath != "" {
		all := make(map[string]*bucketSettings, len(s.buckets)+1)
		for k, v := range s.buckets {
			all[k] = v
		}
		all[bucket] = &next
		if err := saveSettingsLocked(s.settingsPath, all); err != nil {
			return fmt.Errorf("s3: saving bucket settings: %w", err)
		}
	}
	s.buckets[bucket] = &next
	return nil
}

// forgetBucket drops a deleted bucket's settings and pending log records.
func (s *Service) forgetBucket(bucket string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.buckets[bucket]; !ok {
		return
	}
	delete(s.buckets, bucket)
	if s.settingsPath != "" {
		if err := saveSettingsLocked(s.settingsPath, s.buckets); err != nil {
			s.log.Error("saving bucket settings after a bucket was deleted", "bucket", bucket, "error", err)
		}
	}
}

// bucketPolicies returns the bucket's policy for the edge's evaluation.
func (s *Service) bucketPolicies(bucket string) []policy.NamedPolicy {
	st := s.settings(bucket)
	if st.policy == nil {
		return nil
	}
	return []policy.NamedPolicy{{ID: "bucket policy arn:aws:s3:::" + bucket, Policy: st.policy}}
}

// S3 namespaces. AWS: the S3 REST API's XML namespace; GetBucketLogging
// answers in the older doc.s3 one.
const (
	xmlnsS3      = "http://s3.amazonaws.com/doc/2006-03-01/"
	xmlnsLogging = "http://doc.s3.amazonaws.com/2006-03-01"
)

// serveBucketSetting serves ?encryption, ?policy and ?logging on a bucket.
// It reports false for any other request.
func (s *Service) serveBucketSetting(w http.ResponseWriter, r *http.Request, bucket, key string) bool {
	if bucket == "" || key != "" {
		return false
	}
	q := r.URL.Query()
	var h func(http.ResponseWriter, *http.Request, string) error
	switch {
	case q.Has("encryption"):
		h = map[string]func(http.ResponseWriter, *http.Request, string) error{
			http.MethodGet: s.GetBucketEncryption, http.MethodPut: s.PutBucketEncryption, http.MethodDelete: s.DeleteBucketEncryption}[r.Method]
	case q.Has("policy"):
		h = map[string]func(http.ResponseWriter, *http.Request, string) error{
			http.MethodGet: s.GetBucketPolicy, http.MethodPut: s.PutBucketPolicy, http.MethodDelete: s.DeleteBucketPolicy}[r.Method]
	case q.Has("logging"):
		h = map[string]func(http.ResponseWriter, *http.Request, string) error{
			http.MethodGet: s.GetBucketLogging, http.MethodPut: s.PutBucketLogging}[r.Method]
	default:
		return false
	}
	if h == nil {
		writeError(r.Context(), w, r, methodNotAllowed(r.Method), s.log)
		return true
	}
	if ok, err := s.backend.BucketExists(bucket); err != nil || !ok {
		if err == nil {
			err = noSuchBucket(bucket)
		}
		writeError(r.Context(), w, r, err, s.log)
		return true
	}
	if err := h(w, r, bucket); err != nil {
		writeError(r.Context(), w, r, err, s.log)
	}
	return true
}

// readXML decodes a small XML request body.
func readXML(r *http.Request, v any) error {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return incompleteBody("reading request body: %v", err)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return malformedXML()
	}
	if err := xml.Unmarshal(body, v); err != nil {
		return malformedXML()
	}
	return nil
}

func writeXMLBody(w http.ResponseWriter, v any) error {
	body, err := xml.Marshal(v)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte(xml.Header))
	_, _ = w.Write(body)
	return nil
}

// AWS: PutBucketEncryption, ServerSideEncryptionConfiguration.
type serverSideEncryptionConfiguration struct {
	XMLName xml.Name  `xml:"ServerSideEncryptionConfiguration"`
	Xmlns   string    `xml:"xmlns,attr,omitempty"`
	Rules   []sseRule `xml:"Rule"`
}

type sseRule struct {
	Default          *sseDefault `xml:"ApplyServerSideEncryptionByDefault"`
	BucketKeyEnabled *bool       `xml:"BucketKeyEnabled"`
}

type sseDefault struct {
	SSEAlgorithm   string `xml:"SSEAlgorithm"`
	KMSMasterKeyID string `xml:"KMSMasterKeyID,omitempty"`
	// bucketKey is the rule's BucketKeyEnabled.
	bucketKey bool
}

// PutBucketEncryption sets the bucket's default encryption.
func (s *Service) PutBucketEncryption(w http.ResponseWriter, r *http.Request, bucket string) error {
	var in serverSideEncryptionConfiguration
	if err := readXML(r, &in); err != nil {
		return err
	}
	// AWS: the configuration holds exactly one rule.
	if len(in.Rules) != 1 || in.Rules[0].Default == nil || !validSSE(in.Rules[0].Default.SSEAlgorithm) {
		return malformedXML()
	}
	d := *in.Rules[0].Default
	if d.KMSMasterKeyID != "" && d.SSEAlgorithm == sseAES256 {
		return invalidArgument("a KMSMasterKeyID is not applicable if the default sse algorithm is not aws:kms or aws:kms:dsse")
	}
	if b := in.Rules[0].BucketKeyEnabled; b != nil {
		d.bucketKey = *b
	}
	if err := s.updateSettings(bucket, func(st *bucketSettings) { st.encryption = &d }); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

// GetBucketEncryption returns the bucket's default encryption.
func (s *Service) GetBucketEncryption(w http.ResponseWriter, r *http.Request, bucket string) error {
	d := s.settings(bucket).encryption
	if d == nil {
		return awsproto.NewError(http.StatusNotFound, "ServerSideEncryptionConfigurationNotFoundError", "The server side encryption configuration was not found")
	}
	bk := d.bucketKey
	return writeXMLBody(w, serverSideEncryptionConfiguration{Xmlns: xmlnsS3, Rules: []sseRule{{Default: d, BucketKeyEnabled: &bk}}})
}

// DeleteBucketEncryption removes the bucket's default encryption.
func (s *Service) DeleteBucketEncryption(w http.ResponseWriter, r *http.Request, bucket string) error {
	if err := s.updateSettings(bucket, func(st *bucketSettings) { st.encryption = nil }); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// maxBucketPolicy is S3's bucket policy size limit. AWS: "Bucket policy
// examples": "Bucket policies are limited to 20 KB in size."
const maxBucketPolicy = 20 << 10

// PutBucketPolicy validates the document with the policy engine and stores it.
func (s *Service) PutBucketPolicy(w http.ResponseWriter, r *http.Request, bucket string) error {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBucketPolicy+1))
	if err != nil {
		return incompleteBody("reading request body: %v", err)
	}
	if len(body) > maxBucketPolicy {
		return awsproto.NewError(http.StatusBadRequest, "PolicyTooLarge", "Policy exceeds the maximum allowed document size.")
	}
	doc := string(body)
	p, err := policy.Parse(doc)
	if err != nil {
		return malformedPolicy("%s", err.Error())
	}
	if err := checkBucketPolicy(p, bucket); err != nil {
		return err
	}
	if err := s.updateSettings(bucket, func(st *bucketSettings) { st.policyDoc, st.policy = doc, p }); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// checkBucketPolicy applies S3's rules beyond the policy grammar.
// AWS: S3 answers MalformedPolicy with these messages.
func checkBucketPolicy(p *policy.Policy, bucket string) error {
	if len(p.Statements) == 0 {
		return malformedPolicy("Missing required field Statement")
	}
	arn := "arn:aws:s3:::" + bucket
	for _, st := range p.Statements {
		if st.Principal == nil && st.NotPrincipal == nil {
			return malformedPolicy("Missing required field Principal")
		}
		res := st.Resource
		if res == nil {
			res = st.NotResource
		}
		if res == nil {
			return malformedPolicy("Missing required field Resource")
		}
		for _, r := range res {
			if r != arn && !strings.HasPrefix(r, arn+"/") {
				return malformedPolicy("Policy has invalid resource")
			}
		}
		acts := st.Action
		if acts == nil {
			acts = st.NotAction
		}
		for _, a := range acts {
			if a != "*" && !strings.HasPrefix(strings.ToLower(a), "s3:") {
				return malformedPolicy("Policy has invalid action")
			}
		}
	}
	return nil
}

// GetBucketPolicy returns the document as it was put.
func (s *Service) GetBucketPolicy(w http.ResponseWriter, r *http.Request, bucket string) error {
	doc := s.settings(bucket).policyDoc
	if doc == "" {
		return awsproto.NewError(http.StatusNotFound, "NoSuchBucketPolicy", "The bucket policy does not exist")
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = io.WriteString(w, doc)
	return nil
}

// DeleteBucketPolicy removes the bucket policy; deleting none is no error.
func (s *Service) DeleteBucketPolicy(w http.ResponseWriter, r *http.Request, bucket string) error {
	if err := s.updateSettings(bucket, func(st *bucketSettings) { st.policyDoc, st.policy = "", nil }); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// AWS: PutBucketLogging, BucketLoggingStatus.
type bucketLoggingStatus struct {
	XMLName        xml.Name        `xml:"BucketLoggingStatus"`
	Xmlns          string          `xml:"xmlns,attr,omitempty"`
	LoggingEnabled *loggingEnabled `xml:"LoggingEnabled"`
}

type loggingEnabled struct {
	TargetBucket string `xml:"TargetBucket"`
	TargetPrefix string `xml:"TargetPrefix"`
}

// PutBucketLogging turns server access logging on (LoggingEnabled) or off
// (an empty BucketLoggingStatus).
func (s *Service) PutBucketLogging(w http.ResponseWriter, r *http.Request, bucket string) error {
	var in bucketLoggingStatus
	if err := readXML(r, &in); err != nil {
		return err
	}
	if le := in.LoggingEnabled; le != nil {
		if le.TargetBucket == "" {
			return malformedXML()
		}
		if ok, err := s.backend.BucketExists(le.TargetBucket); err != nil || !ok {
			return awsproto.NewError(http.StatusBadRequest, "InvalidTargetBucketForLogging", "The target bucket for logging does not exist")
		}
		cp := *le
		in.LoggingEnabled = &cp
	}
	if in.LoggingEnabled == nil {
		// Records still pending for the old target are delivered there.
		s.FlushAccessLogs()
	}
	if err := s.updateSettings(bucket, func(st *bucketSettings) { st.logging = in.LoggingEnabled }); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

// GetBucketLogging returns the logging status; without logging an empty
// BucketLoggingStatus.
func (s *Service) GetBucketLogging(w http.ResponseWriter, r *http.Request, bucket string) error {
	return writeXMLBody(w, bucketLoggingStatus{Xmlns: xmlnsLogging, LoggingEnabled: s.settings(bucket).logging})
}
