package s3

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/md5"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strconv"
	"sync"
	"time"

	"github.com/johannesboyne/gofakes3"
)

// Server-side encryption values of x-amz-server-side-encryption.
// AWS: PutObject, "x-amz-server-side-encryption" (ServerSideEncryption enum
// of s3/2006-03-01).
const (
	sseAES256  = "AES256"
	sseKMS     = "aws:kms"
	sseKMSDSSE = "aws:kms:dsse"
)

// validSSE reports whether v is an x-amz-server-side-encryption value S3
// accepts.
func validSSE(v string) bool { return v == sseAES256 || v == sseKMS || v == sseKMSDSSE }

// Metadata keys the encrypting backend keeps with each stored object. They
// are not X-Amz-* so no request header can set them (gofakes3 stores only
// X-Amz-*, Content-Type, Content-Disposition and Content-Encoding), and the
// backend removes them before gofakes3 sees an object.
const (
	metaDataKey   = "X-Tgsim-Sse-Data-Key" // base64 wrapped data key; "" for a plaintext object
	metaPlainMD5  = "X-Tgsim-Sse-Md5"      // hex MD5 of the plaintext (the ETag)
	metaPlainSize = "X-Tgsim-Sse-Size"     // plaintext length
	metaSSE       = "X-Amz-Server-Side-Encryption"
	metaSSEKeyID  = "X-Amz-Server-Side-Encryption-Aws-Kms-Key-Id"
	metaBucketKey = "X-Amz-Server-Side-Encryption-Bucket-Key-Enabled"
)

// innerBackend is what the encrypting backend wraps: s3mem (with
// versioning) or s3bolt (without; versioned calls then answer
// NotImplemented).
type innerBackend = gofakes3.Backend

// versioned returns the inner backend's versioning, or NotImplemented.
func (b *sseBackend) versioned() (gofakes3.VersionedBackend, error) {
	if vb, ok := b.inner.(gofakes3.VersionedBackend); ok {
		return vb, nil
	}
	return nil, gofakes3.ErrNotImplemented
}

// sseBackend is a gofakes3 Backend that stores objects sent with
// x-amz-server-side-encryption encrypted: AES-256-GCM under a per-bucket
// data key, the data key wrapped (AES-256-GCM) by the master key. Every path
// through gofakes3 (PutObject, CopyObject, multipart completion, browser
// POST, GetObject with ranges, versions) goes through it. Safe for
// concurrent use.
type sseBackend struct {
	inner  innerBackend
	master cipher.AEAD
	now    func() time.Time
	// onDeleteBucket is told when a bucket is gone, so bucket settings
	// (policy, encryption, logging) go with it.
	onDeleteBucket func(bucket string)

	mu   sync.Mutex
	keys map[string]bucketKey // bucket name → its data key; s.mu held
	// plain caches unwrapped data keys by their wrapped form; s.mu held.
	plain map[string]cipher.AEAD
	// putMu serialises a conditional put's check with its write.
	putMu sync.Mutex
}

type bucketKey struct {
	wrapped string // base64
	aead    cipher.AEAD
}

var (
	_ gofakes3.Backend          = (*sseBackend)(nil)
	_ gofakes3.VersionedBackend = (*sseBackend)(nil)
)

func newSSEBackend(inner innerBackend, masterKey []byte, now func() time.Time) (*sseBackend, error) {
	if len(masterKey) != 32 {
		return nil, fmt.Errorf("s3: master key is %d bytes, want 32 (AES-256)", len(masterKey))
	}
	master, err := newGCM(masterKey)
	if err != nil {
		return nil, err
	}
	return &sseBackend{inner: inner, master: master, now: now, keys: map[string]bucketKey{}, plain: map[string]cipher.AEAD{}}, nil
}

func newGCM(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// seal is nonce || AES-GCM(plaintext, aad).
func seal(a cipher.AEAD, plaintext, aad []byte) []byte {
	out := make([]byte, a.NonceSize(), a.NonceSize()+len(plaintext)+a.Overhead())
	if _, err := rand.Read(out); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return a.Seal(out, out, plaintext, aad)
}

func open(a cipher.AEAD, sealed, aad []byte) ([]byte, error) {
	if len(sealed) < a.NonceSize() {
		return nil, errors.New("ciphertext shorter than its nonce")
	}
	return a.Open(nil, sealed[:a.NonceSize()], sealed[a.NonceSize():], aad)
}

func dataKeyAAD(bucket string) []byte { return []byte("tgsim s3 data key\x00" + bucket) }
func objectAAD(bucket, key string) []byte {
	return []byte("tgsim s3 object\x00" + bucket + "\x00" + key)
}

// bucketKey returns bucket's data key, creating it on first use.
func (b *sseBackend) bucketKey(bucket string) (bucketKey, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if k, ok := b.keys[bucket]; ok {
		return k, nil
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return bucketKey{}, err
	}
	a, err := newGCM(raw)
	if err != nil {
		return bucketKey{}, err
	}
	k := bucketKey{wrapped: base64.StdEncoding.EncodeToString(seal(b.master, raw, dataKeyAAD(bucket))), aead: a}
	b.keys[bucket] = k
	b.plain[k.wrapped] = a
	return k, nil
}

// unwrap returns the data key an object was sealed under.
func (b *sseBackend) unwrap(bucket, wrapped string) (cipher.AEAD, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if a, ok := b.plain[wrapped]; ok {
		return a, nil
	}
	sealed, err := base64.StdEncoding.DecodeString(wrapped)
	if err != nil {
		return nil, fmt.Errorf("s3: stored data key of bucket %s: %w", bucket, err)
	}
	raw, err := open(b.master, sealed, dataKeyAAD(bucket))
	if err != nil {
		return nil, fmt.Errorf("s3: unwrapping data key of bucket %s (wrong master key?): %w", bucket, err)
	}
	a, err := newGCM(raw)
	if err != nil {
		return nil, err
	}
	b.plain[wrapped] = a
	return a, nil
}

func (b *sseBackend) ListBuckets() ([]gofakes3.BucketInfo, error) { return b.inner.ListBuckets() }
func (b *sseBackend) CreateBucket(name string) error              { return b.inner.CreateBucket(name) }
func (b *sseBackend) BucketExists(name string) (bool, error)      { return b.inner.BucketExists(name) }

func (b *sseBackend) DeleteBucket(name string) error {
	if err := b.inner.DeleteBucket(name); err != nil {
		return err
	}
	b.forget(name)
	return nil
}

func (b *sseBackend) ForceDeleteBucket(name string) error {
	if err := b.inner.ForceDeleteBucket(name); err != nil {
		return err
	}
	b.forget(name)
	return nil
}

// forget drops a deleted bucket's data key (a new bucket of the same name
// gets a new one) and its settings.
func (b *sseBackend) forget(bucket string) {
	b.mu.Lock()
	delete(b.keys, bucket)
	b.mu.Unlock()
	if b.onDeleteBucket != nil {
		b.onDeleteBucket(bucket)
	}
}

// ListBucket lists plaintext sizes and ETags.
func (b *sseBackend) ListBucket(name string, prefix *gofakes3.Prefix, page gofakes3.ListBucketPage) (*gofakes3.ObjectList, error) {
	list, err := b.inner.ListBucket(name, prefix, page)
	if err != nil {
		return nil, err
	}
	for _, c := range list.Contents {
		obj, err := b.inner.HeadObject(name, c.Key)
		if err != nil {
			continue // deleted since listed
		}
		_ = obj.Contents.Close()
		if size, etag, ok := plainInfo(obj.Metadata); ok {
			c.Size, c.ETag = size, etag
		}
	}
	return list, nil
}

// plainInfo reads the plaintext size and quoted ETag of an encrypted object.
func plainInfo(meta map[string]string) (int64, string, bool) {
	if meta[metaDataKey] == "" {
		return 0, "", false
	}
	size, err := strconv.ParseInt(meta[metaPlainSize], 10, 64)
	if err != nil {
		return 0, "", false
	}
	return size, `"` + meta[metaPlainMD5] + `"`, true
}

func (b *sseBackend) HeadObject(bucket, key string) (*gofakes3.Object, error) {
	obj, err := b.inner.HeadObject(bucket, key)
	if err != nil {
		return nil, err
	}
	return b.headResult(obj)
}

func (b *sseBackend) HeadObjectVersion(bucket, key string, v gofakes3.VersionID) (*gofakes3.Object, error) {
	vb, err := b.versioned()
	if err != nil {
		return nil, err
	}
	obj, err := vb.HeadObjectVersion(bucket, key, v)
	if err != nil {
		return nil, err
	}
	return b.headResult(obj)
}

func (b *sseBackend) headResult(obj *gofakes3.Object) (*gofakes3.Object, error) {
	if size, _, ok := plainInfo(obj.Metadata); ok {
		obj.Size = size
		h, err := hex.DecodeString(obj.Metadata[metaPlainMD5])
		if err != nil {
			_ = obj.Contents.Close()
			return nil, fmt.Errorf("s3: stored plaintext MD5 of %s: %w", obj.Name, err)
		}
		obj.Hash = h
	}
	obj.Metadata = publicMeta(obj.Metadata)
	return obj, nil
}

func (b *sseBackend) GetObject(bucket, key string, rng *gofakes3.ObjectRangeRequest) (*gofakes3.Object, error) {
	obj, err := b.inner.GetObject(bucket, key, nil)
	if err != nil {
		return nil, err
	}
	return b.getResult(bucket, key, obj, rng)
}

func (b *sseBackend) GetObjectVersion(bucket, key string, v gofakes3.VersionID, rng *gofakes3.ObjectRangeRequest) (*gofakes3.Object, error) {
	vb, err := b.versioned()
	if err != nil {
		return nil, err
	}
	obj, err := vb.GetObjectVersion(bucket, key, v, nil)
	if err != nil {
		return nil, err
	}
	return b.getResult(bucket, key, obj, rng)
}

// getResult decrypts a whole stored object, then applies the range: the
// simple way to serve ranges of a GCM-sealed object.
func (b *sseBackend) getResult(bucket, key string, obj *gofakes3.Object, rng *gofakes3.ObjectRangeRequest) (*gofakes3.Object, error) {
	if obj.IsDeleteMarker {
		return obj, nil
	}
	data, err := io.ReadAll(obj.Contents)
	_ = obj.Contents.Close()
	if err != nil {
		return nil, err
	}
	if wrapped := obj.Metadata[metaDataKey]; wrapped != "" {
		a, err := b.unwrap(bucket, wrapped)
		if err != nil {
			return nil, err
		}
		if data, err = open(a, data, objectAAD(bucket, key)); err != nil {
			return nil, fmt.Errorf("s3: decrypting %s/%s: %w", bucket, key, err)
		}
		if obj.Hash, err = hex.DecodeString(obj.Metadata[metaPlainMD5]); err != nil {
			return nil, fmt.Errorf("s3: stored plaintext MD5 of %s/%s: %w", bucket, key, err)
		}
	}
	obj.Size = int64(len(data))
	obj.Metadata = publicMeta(obj.Metadata)
	r, err := rng.Range(obj.Size)
	if err != nil {
		return nil, err
	}
	obj.Range = r
	if r != nil {
		data = data[r.Start : r.Start+r.Length]
	}
	obj.Contents = io.NopCloser(bytes.NewReader(data))
	return obj, nil
}

// publicMeta drops the backend's own keys and the empty values it stores to
// stop s3mem carrying an older version's values over (MergeMetadata).
func publicMeta(meta map[string]string) map[string]string {
	out := make(map[string]string, len(meta))
	for k, v := range meta {
		switch {
		case k == metaDataKey, k == metaPlainMD5, k == metaPlainSize:
		case v == "" && (k == metaSSE || k == metaSSEKeyID || k == metaBucketKey):
		default:
			out[k] = v
		}
	}
	return out
}

// PutObject encrypts when meta carries x-amz-server-side-encryption (the
// request's, or the bucket default the Service filled in).
func (b *sseBackend) PutObject(bucket, key string, meta map[string]string, input io.Reader, size int64, cond *gofakes3.PutConditions) (gofakes3.PutObjectResult, error) {
	data, err := gofakes3.ReadAll(input, size)
	if err != nil {
		return gofakes3.PutObjectResult{}, err
	}
	return b.put(bucket, key, meta, data, cond)
}

func (b *sseBackend) put(bucket, key string, meta map[string]string, data []byte, cond *gofakes3.PutConditions) (gofakes3.PutObjectResult, error) {
	stored := make(map[string]string, len(meta)+3)
	for k, v := range meta {
		stored[k] = v
	}
	// Every key is set, empty when unused: s3mem's MergeMetadata would
	// otherwise carry an older version's encryption over.
	for _, k := range []string{metaDataKey, metaPlainMD5, metaPlainSize, metaSSE, metaSSEKeyID, metaBucketKey} {
		if _, ok := stored[k]; !ok {
			stored[k] = ""
		}
	}
	if v := stored[metaSSE]; v == sseNone {
		stored[metaSSE] = ""
	}
	body := data
	if validSSE(stored[metaSSE]) {
		if _, err := b.inner.BucketExists(bucket); err != nil {
			return gofakes3.PutObjectResult{}, err
		}
		k, err := b.bucketKey(bucket)
		if err != nil {
			return gofakes3.PutObjectResult{}, err
		}
		sum := md5.Sum(data)
		stored[metaDataKey] = k.wrapped
		stored[metaPlainMD5] = hex.EncodeToString(sum[:])
		stored[metaPlainSize] = strconv.Itoa(len(data))
		body = seal(k.aead, data, objectAAD(bucket, key))
	} else {
		stored[metaSSEKeyID], stored[metaBucketKey] = "", ""
	}
	if cond == nil {
		return b.inner.PutObject(bucket, key, stored, bytes.NewReader(body), int64(len(body)), nil)
	}
	// The inner backend would compare the conditions with the ciphertext's
	// MD5; check them against the plaintext here, then write.
	b.putMu.Lock()
	defer b.putMu.Unlock()
	info := &gofakes3.ConditionalObjectInfo{}
	if obj, err := b.HeadObject(bucket, key); err == nil {
		_ = obj.Contents.Close()
		info.Exists, info.Hash = true, obj.Hash
	} else if !gofakes3.HasErrorCode(err, gofakes3.ErrNoSuchKey) {
		return gofakes3.PutObjectResult{}, err
	}
	if err := gofakes3.CheckPutConditions(cond, info); err != nil {
		return gofakes3.PutObjectResult{}, err
	}
	return b.inner.PutObject(bucket, key, stored, bytes.NewReader(body), int64(len(body)), nil)
}

// sseNone is what the Service puts in x-amz-server-side-encryption of a
// CopyObject without encryption, so gofakes3 does not carry the source's
// setting over (S3 applies the destination's, not the source's).
const sseNone = "tgsim:none"

// CopyObject decrypts the source and stores it under the destination's
// settings.
func (b *sseBackend) CopyObject(srcBucket, srcKey, dstBucket, dstKey string, meta map[string]string) (gofakes3.CopyObjectResult, error) {
	src, err := b.GetObject(srcBucket, srcKey, nil)
	if err != nil {
		return gofakes3.CopyObjectResult{}, err
	}
	data, err := io.ReadAll(src.Contents)
	_ = src.Contents.Close()
	if err != nil {
		return gofakes3.CopyObjectResult{}, err
	}
	if _, err := b.put(dstBucket, dstKey, meta, data, nil); err != nil {
		return gofakes3.CopyObjectResult{}, err
	}
	return gofakes3.CopyObjectResult{ETag: gofakes3.FormatETag(src.Hash), LastModified: gofakes3.NewContentTime(b.now())}, nil
}

func (b *sseBackend) DeleteObject(bucket, key string) (gofakes3.ObjectDeleteResult, error) {
	return b.inner.DeleteObject(bucket, key)
}

func (b *sseBackend) DeleteMulti(bucket string, keys ...string) (gofakes3.MultiDeleteResult, error) {
	return b.inner.DeleteMulti(bucket, keys...)
}

func (b *sseBackend) VersioningConfiguration(bucket string) (gofakes3.VersioningConfiguration, error) {
	vb, err := b.versioned()
	if err != nil {
		// Never enabled: what gofakes3 answers for an unversioned backend.
		return gofakes3.VersioningConfiguration{}, nil
	}
	return vb.VersioningConfiguration(bucket)
}

func (b *sseBackend) SetVersioningConfiguration(bucket string, v gofakes3.VersioningConfiguration) error {
	vb, err := b.versioned()
	if err != nil {
		return err
	}
	return vb.SetVersioningConfiguration(bucket, v)
}

func (b *sseBackend) DeleteObjectVersion(bucket, key string, v gofakes3.VersionID) (gofakes3.ObjectDeleteResult, error) {
	vb, err := b.versioned()
	if err != nil {
		return gofakes3.ObjectDeleteResult{}, err
	}
	return vb.DeleteObjectVersion(bucket, key, v)
}

func (b *sseBackend) DeleteMultiVersions(bucket string, objects ...gofakes3.ObjectID) (gofakes3.MultiDeleteResult, error) {
	vb, err := b.versioned()
	if err != nil {
		return gofakes3.MultiDeleteResult{}, err
	}
	return vb.DeleteMultiVersions(bucket, objects...)
}

// ListBucketVersions lists plaintext sizes and ETags.
func (b *sseBackend) ListBucketVersions(bucket string, prefix *gofakes3.Prefix, page *gofakes3.ListBucketVersionsPage) (*gofakes3.ListBucketVersionsResult, error) {
	vb, err := b.versioned()
	if err != nil {
		return nil, err
	}
	res, err := vb.ListBucketVersions(bucket, prefix, page)
	if err != nil {
		return nil, err
	}
	for _, item := range res.Versions {
		v, ok := item.(*gofakes3.Version)
		if !ok {
			continue
		}
		obj, err := vb.HeadObjectVersion(bucket, v.Key, v.VersionID)
		if err != nil {
			continue
		}
		_ = obj.Contents.Close()
		if size, etag, ok := plainInfo(obj.Metadata); ok {
			v.Size, v.ETag = size, etag
		}
	}
	return res, nil
}
