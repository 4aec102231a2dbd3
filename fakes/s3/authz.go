package s3

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/tgsim/tgsim/fakes/awsproto"
)

// bucketSubresources maps a bucket subresource and method to the operation
// and IAM action. AWS: Amazon S3 "Actions, resources, and condition keys",
// and each operation's "Permissions" section of the S3 API Reference.
var bucketSubresources = []struct {
	sub, method, op, action string
}{
	{"policy", http.MethodGet, "GetBucketPolicy", "s3:GetBucketPolicy"},
	{"policy", http.MethodPut, "PutBucketPolicy", "s3:PutBucketPolicy"},
	{"policy", http.MethodDelete, "DeleteBucketPolicy", "s3:DeleteBucketPolicy"},
	{"encryption", http.MethodGet, "GetBucketEncryption", "s3:GetEncryptionConfiguration"},
	{"encryption", http.MethodPut, "PutBucketEncryption", "s3:PutEncryptionConfiguration"},
	{"encryption", http.MethodDelete, "DeleteBucketEncryption", "s3:PutEncryptionConfiguration"},
	{"versioning", http.MethodGet, "GetBucketVersioning", "s3:GetBucketVersioning"},
	{"versioning", http.MethodPut, "PutBucketVersioning", "s3:PutBucketVersioning"},
	{"location", http.MethodGet, "GetBucketLocation", "s3:GetBucketLocation"},
	{"acl", http.MethodGet, "GetBucketAcl", "s3:GetBucketAcl"},
	{"acl", http.MethodPut, "PutBucketAcl", "s3:PutBucketAcl"},
	{"tagging", http.MethodGet, "GetBucketTagging", "s3:GetBucketTagging"},
	{"tagging", http.MethodPut, "PutBucketTagging", "s3:PutBucketTagging"},
	{"tagging", http.MethodDelete, "DeleteBucketTagging", "s3:PutBucketTagging"},
	{"uploads", http.MethodGet, "ListMultipartUploads", "s3:ListBucketMultipartUploads"},
	{"versions", http.MethodGet, "ListObjectVersions", "s3:ListBucketVersions"},
	{"delete", http.MethodPost, "DeleteObjects", "s3:DeleteObject"},
	{"logging", http.MethodGet, "GetBucketLogging", "s3:GetBucketLogging"},
	{"logging", http.MethodPut, "PutBucketLogging", "s3:PutBucketLogging"},
}

// Describe maps a request to its S3 operation, IAM action(s), resources
// (arn:aws:s3:::BUCKET or arn:aws:s3:::BUCKET/KEY) and S3 condition keys.
// ResourcePolicies carries the bucket's policy (CopyObject's Extra call
// the source bucket's).
func (s *Service) Describe(r *http.Request) (awsproto.Call, error) {
	p := r.URL.Path
	if vp, ok := s.pathStyle(r); ok {
		p = vp
	}
	bucket, key := splitPath(p)
	return s.describe(r, bucket, key), nil
}

// describe maps a path-style request for bucket and key to its Call.
func (s *Service) describe(r *http.Request, bucket, key string) awsproto.Call {
	c := s.describeAction(r, bucket, key)
	if bucket != "" && !c.NoAuthorization {
		c.ResourcePolicies = s.bucketPolicies(bucket)
	}
	for i := range c.Extra {
		src, _, _ := strings.Cut(strings.TrimPrefix(c.Extra[i].Resources[0], "arn:aws:s3:::"), "/")
		c.Extra[i].ResourcePolicies = s.bucketPolicies(src)
	}
	return c
}

func (s *Service) describeAction(r *http.Request, bucket, key string) awsproto.Call {
	q := r.URL.Query()
	bucketArn := "arn:aws:s3:::" + bucket
	objectArn := bucketArn + "/" + key
	call := func(op, action, resource string) awsproto.Call {
		return awsproto.Call{Operation: op, Action: action, Resources: []string{resource}, Context: s3Context(r)}
	}
	switch {
	case bucket == "":
		if r.Method == http.MethodGet {
			return call("ListBuckets", "s3:ListAllMyBuckets", "*")
		}
		return awsproto.Call{Operation: "Unknown", NoAuthorization: true}
	case key == "":
		for _, b := range bucketSubresources {
			if q.Has(b.sub) && r.Method == b.method {
				resource := bucketArn
				if b.sub == "delete" {
					resource = bucketArn + "/*"
				}
				return call(b.op, b.action, resource)
			}
		}
		switch r.Method {
		case http.MethodPut:
			return call("CreateBucket", "s3:CreateBucket", bucketArn)
		case http.MethodDelete:
			return call("DeleteBucket", "s3:DeleteBucket", bucketArn)
		case http.MethodHead:
			return call("HeadBucket", "s3:ListBucket", bucketArn)
		case http.MethodGet:
			if q.Get("list-type") == "2" {
				return call("ListObjectsV2", "s3:ListBucket", bucketArn)
			}
			return call("ListObjects", "s3:ListBucket", bucketArn)
		case http.MethodPost:
			// Browser-form uploads (POST Object) write a key named in the form.
			return call("PostObject", "s3:PutObject", bucketArn+"/*")
		}
	default:
		switch {
		case r.Method == http.MethodPost && q.Has("uploads"):
			return call("CreateMultipartUpload", "s3:PutObject", objectArn)
		case r.Method == http.MethodPut && q.Has("uploadId"):
			return call("UploadPart", "s3:PutObject", objectArn)
		case r.Method == http.MethodPost && q.Has("uploadId"):
			return call("CompleteMultipartUpload", "s3:PutObject", objectArn)
		case r.Method == http.MethodDelete && q.Has("uploadId"):
			return call("AbortMultipartUpload", "s3:AbortMultipartUpload", objectArn)
		case r.Method == http.MethodGet && q.Has("uploadId"):
			return call("ListParts", "s3:ListMultipartUploadParts", objectArn)
		case q.Has("tagging"):
			if r.Method == http.MethodGet {
				return call("GetObjectTagging", "s3:GetObjectTagging", objectArn)
			}
			return call("PutObjectTagging", "s3:PutObjectTagging", objectArn)
		case q.Has("acl"):
			if r.Method == http.MethodGet {
				return call("GetObjectAcl", "s3:GetObjectAcl", objectArn)
			}
			return call("PutObjectAcl", "s3:PutObjectAcl", objectArn)
		case r.Method == http.MethodPut && r.Header.Get("X-Amz-Copy-Source") != "":
			c := call("CopyObject", "s3:PutObject", objectArn)
			src, _ := url.PathUnescape(strings.TrimPrefix(r.Header.Get("X-Amz-Copy-Source"), "/"))
			if i := strings.IndexByte(src, '?'); i >= 0 {
				src = src[:i]
			}
			c.Extra = []awsproto.Call{{Operation: "CopyObject", Action: "s3:GetObject", Resources: []string{"arn:aws:s3:::" + src}}}
			return c
		case r.Method == http.MethodPut:
			return call("PutObject", "s3:PutObject", objectArn)
		case r.Method == http.MethodGet, r.Method == http.MethodHead:
			op := "GetObject"
			if r.Method == http.MethodHead {
				op = "HeadObject"
			}
			return call(op, "s3:GetObject", objectArn)
		case r.Method == http.MethodDelete:
			return call("DeleteObject", "s3:DeleteObject", objectArn)
		}
	}
	return awsproto.Call{Operation: "Unknown", NoAuthorization: true}
}

// s3Context returns the S3 condition keys a request carries.
func s3Context(r *http.Request) map[string][]string {
	ctx := map[string][]string{}
	if v := r.Header.Get("X-Amz-Server-Side-Encryption"); v != "" {
		ctx["s3:x-amz-server-side-encryption"] = []string{v}
	}
	if v := r.Header.Get("X-Amz-Server-Side-Encryption-Aws-Kms-Key-Id"); v != "" {
		ctx["s3:x-amz-server-side-encryption-aws-kms-key-id"] = []string{v}
	}
	if v := r.Header.Get("X-Amz-Acl"); v != "" {
		ctx["s3:x-amz-acl"] = []string{v}
	}
	if v := r.URL.Query().Get("prefix"); v != "" {
		ctx["s3:prefix"] = []string{v}
	}
	if v := r.Header.Get("X-Amz-Content-Sha256"); v != "" {
		ctx["s3:x-amz-content-sha256"] = []string{v}
	}
	if len(ctx) == 0 {
		return nil
	}
	return ctx
}
