package s3_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	s3sdk "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"

	"github.com/tgsim/tgsim/fakes/s3"
)

// recorder is an http.RoundTripper that remembers the headers and host of
// every request the SDK sends.
type recorder struct {
	next http.RoundTripper
	mu   sync.Mutex
	reqs []recorded
}

type recorded struct {
	method, host string
	header       http.Header
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	r.mu.Lock()
	r.reqs = append(r.reqs, recorded{method: req.Method, host: req.URL.Host, header: req.Header.Clone()})
	r.mu.Unlock()
	return r.next.RoundTrip(req)
}

func (r *recorder) last(method string) recorded {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := len(r.reqs) - 1; i >= 0; i-- {
		if r.reqs[i].method == method {
			return r.reqs[i]
		}
	}
	return recorded{}
}

type setup struct {
	srv    *s3.Server
	client *s3sdk.Client
	rec    *recorder
}

// newSetup starts a fake S3 (over TLS when tls is set) and a path-style SDK
// client with the SDK's default checksum behaviour.
func newSetup(t testing.TB, tls bool) setup {
	t.Helper()
	newServer := s3.NewServer
	if tls {
		newServer = s3.NewTLSServer
	}
	srv, err := newServer(s3.Options{})
	if err != nil {
		t.Fatalf("NewServer: %v", err)
	}
	t.Cleanup(srv.Close)
	rec := &recorder{next: srv.Client().Transport}
	client := s3sdk.New(s3sdk.Options{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("test", "test", "session-token-secret"),
		HTTPClient:  &http.Client{Transport: rec},
		// What config.LoadDefaultConfig resolves when nothing is configured;
		// a hand-built aws.Config leaves both Unset, which turns checksums off.
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenSupported,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenSupported,
	}, func(o *s3sdk.Options) {
		o.BaseEndpoint = aws.String(srv.URL)
		o.UsePathStyle = true
	})
	return setup{srv: srv, client: client, rec: rec}
}

func randomBytes(t testing.TB, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

func TestObjectRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		tls  bool
		// wantEncoding is the Content-Encoding the SDK is expected to use
		// for PutObject with its default (CRC32) checksum.
		wantEncoding string
		wantSHA      string
	}{
		{name: "http: CRC32 in a header", tls: false, wantEncoding: "", wantSHA: ""},
		{name: "https: aws-chunked with CRC32 trailer", tls: true, wantEncoding: "aws-chunked", wantSHA: "STREAMING-UNSIGNED-PAYLOAD-TRAILER"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			st := newSetup(t, tt.tls)
			c := st.client
			data := randomBytes(t, 16<<10)

			if _, err := c.CreateBucket(ctx, &s3sdk.CreateBucketInput{Bucket: aws.String("artifacts")}); err != nil {
				t.Fatalf("CreateBucket: %v", err)
			}
			put, err := c.PutObject(ctx, &s3sdk.PutObjectInput{
				Bucket: aws.String("artifacts"), Key: aws.String("flow-x.tar.gz"),
				Body: bytes.NewReader(data), ContentType: aws.String("application/gzip"),
			})
			if err != nil {
				t.Fatalf("PutObject: %v", err)
			}
			sent := st.rec.last(http.MethodPut)
			if got := sent.header.Get("Content-Encoding"); got != tt.wantEncoding {
				t.Errorf("SDK sent Content-Encoding %q, want %q", got, tt.wantEncoding)
			}
			if tt.wantSHA != "" && sent.header.Get("X-Amz-Content-Sha256") != tt.wantSHA {
				t.Errorf("SDK sent x-amz-content-sha256 %q, want %q", sent.header.Get("X-Amz-Content-Sha256"), tt.wantSHA)
			}
			if aws.ToString(put.ChecksumCRC32) == "" {
				t.Errorf("PutObject answer has no x-amz-checksum-crc32")
			}

			get, err := c.GetObject(ctx, &s3sdk.GetObjectInput{Bucket: aws.String("artifacts"), Key: aws.String("flow-x.tar.gz")})
			if err != nil {
				t.Fatalf("GetObject: %v", err)
			}
			got, err := io.ReadAll(get.Body)
			_ = get.Body.Close()
			if err != nil {
				t.Fatalf("reading GetObject body: %v", err)
			}
			if !bytes.Equal(got, data) {
				t.Fatalf("GetObject returned %d bytes that differ from the %d put", len(got), len(data))
			}
			// The SDK asks for checksums by default and validated this one.
			if diff := cmp.Diff(aws.ToString(put.ChecksumCRC32), aws.ToString(get.ChecksumCRC32)); diff != "" {
				t.Errorf("GetObject CRC32 (-put +get):\n%s", diff)
			}
			if aws.ToString(get.ContentEncoding) != "" {
				t.Errorf("GetObject Content-Encoding = %q, want none (aws-chunked is transport only)", aws.ToString(get.ContentEncoding))
			}

			head, err := c.HeadObject(ctx, &s3sdk.HeadObjectInput{Bucket: aws.String("artifacts"), Key: aws.String("flow-x.tar.gz")})
			if err != nil {
				t.Fatalf("HeadObject: %v", err)
			}
			if aws.ToInt64(head.ContentLength) != int64(len(data)) || aws.ToString(head.ContentType) != "application/gzip" {
				t.Errorf("HeadObject = length %d type %q, want %d %q", aws.ToInt64(head.ContentLength), aws.ToString(head.ContentType), len(data), "application/gzip")
			}

			// Nothing describing the request was kept as object metadata.
			obj, err := st.srv.Backend().HeadObject("artifacts", "flow-x.tar.gz")
			if err != nil {
				t.Fatalf("Backend().HeadObject: %v", err)
			}
			for _, h := range []string{"X-Amz-Security-Token", "X-Amz-Date", "X-Amz-Content-Sha256", "X-Amz-Decoded-Content-Length", "X-Amz-Trailer"} {
				if v, ok := obj.Metadata[h]; ok {
					t.Errorf("stored metadata has %s = %q", h, v)
				}
			}

			list, err := c.ListObjectsV2(ctx, &s3sdk.ListObjectsV2Input{Bucket: aws.String("artifacts"), Prefix: aws.String("flow-")})
			if err != nil {
				t.Fatalf("ListObjectsV2: %v", err)
			}
			var keys []string
			for _, o := range list.Contents {
				keys = append(keys, aws.ToString(o.Key))
				if aws.ToInt64(o.Size) != int64(len(data)) {
					t.Errorf("ListObjectsV2 size of %s = %d, want %d", aws.ToString(o.Key), aws.ToInt64(o.Size), len(data))
				}
			}
			if diff := cmp.Diff([]string{"flow-x.tar.gz"}, keys); diff != "" {
				t.Errorf("ListObjectsV2 keys (-want +got):\n%s", diff)
			}

			if _, err := c.DeleteObject(ctx, &s3sdk.DeleteObjectInput{Bucket: aws.String("artifacts"), Key: aws.String("flow-x.tar.gz")}); err != nil {
				t.Fatalf("DeleteObject: %v", err)
			}
			_, err = c.GetObject(ctx, &s3sdk.GetObjectInput{Bucket: aws.String("artifacts"), Key: aws.String("flow-x.tar.gz")})
			var nsk *types.NoSuchKey
			if !errors.As(err, &nsk) {
				t.Errorf("GetObject after DeleteObject = %v, want NoSuchKey", err)
			}
		})
	}
}

func TestErrors(t *testing.T) {
	ctx := context.Background()
	st := newSetup(t, false)
	c := st.client
	if _, err := c.CreateBucket(ctx, &s3sdk.CreateBucketInput{Bucket: aws.String("bkt")}); err != nil {
		t.Fatalf("CreateBucket: %v", err)
	}
	tests := []struct {
		name  string
		call  func() error
		check func(error) bool
		want  string
	}{
		{
			name: "GetObject missing key",
			call: func() error {
				_, err := c.GetObject(ctx, &s3sdk.GetObjectInput{Bucket: aws.String("bkt"), Key: aws.String("nope")})
				return err
			},
			check: func(err error) bool { var e *types.NoSuchKey; return errors.As(err, &e) },
			want:  "NoSuchKey",
		},
		{
			name: "HeadObject missing key",
			call: func() error {
				_, err := c.HeadObject(ctx, &s3sdk.HeadObjectInput{Bucket: aws.String("bkt"), Key: aws.String("nope")})
				return err
			},
			check: func(err error) bool { var e *types.NotFound; return errors.As(err, &e) },
			want:  "NotFound",
		},
		{
			name: "PutObject missing bucket",
			call: func() error {
				_, err := c.PutObject(ctx, &s3sdk.PutObjectInput{Bucket: aws.String("nobucket"), Key: aws.String("k"), Body: strings.NewReader("x")})
				return err
			},
			// Not a modelled PutObject error, so only the code is typed.
			check: func(err error) bool {
				var e smithy.APIError
				return errors.As(err, &e) && e.ErrorCode() == "NoSuchBucket"
			},
			want: "NoSuchBucket",
		},
		{
			name: "ListObjectsV2 missing bucket",
			call: func() error {
				_, err := c.ListObjectsV2(ctx, &s3sdk.ListObjectsV2Input{Bucket: aws.String("nobucket")})
				return err
			},
			check: func(err error) bool { var e *types.NoSuchBucket; return errors.As(err, &e) },
			want:  "NoSuchBucket",
		},
		{
			name: "CreateBucket twice",
			call: func() error {
				_, err := c.CreateBucket(ctx, &s3sdk.CreateBucketInput{Bucket: aws.String("bkt")})
				return err
			},
			check: func(err error) bool { var e *types.BucketAlreadyExists; return errors.As(err, &e) },
			want:  "BucketAlreadyExists",
		},
		{
			name: "PutObject wrong CRC32",
			call: func() error {
				_, err := c.PutObject(ctx, &s3sdk.PutObjectInput{Bucket: aws.String("bkt"), Key: aws.String("k"),
					Body: strings.NewReader("hello"), ChecksumCRC32: aws.String("AAAAAA==")})
				return err
			},
			check: func(err error) bool { var e smithy.APIError; return errors.As(err, &e) && e.ErrorCode() == "BadDigest" },
			want:  "BadDigest",
		},
		{
			name: "PutObject malformed SHA256",
			call: func() error {
				_, err := c.PutObject(ctx, &s3sdk.PutObjectInput{Bucket: aws.String("bkt"), Key: aws.String("k"),
					Body: strings.NewReader("hello"), ChecksumSHA256: aws.String("not base64!")})
				return err
			},
			check: func(err error) bool {
				var e smithy.APIError
				return errors.As(err, &e) && e.ErrorCode() == "InvalidRequest"
			},
			want: "InvalidRequest",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			if !tt.check(err) {
				t.Errorf("error = %v, want %s", err, tt.want)
			}
		})
	}
	// A rejected upload stored nothing.
	if _, err := st.srv.Backend().HeadObject("bkt", "k"); err == nil {
		t.Errorf("object bkt/k exists after rejected uploads")
	}
}

func TestChecksumAlgorithms(t *testing.T) {
	ctx := context.Background()
	st := newSetup(t, true)
	if _, err := st.client.CreateBucket(ctx, &s3sdk.CreateBucketInput{Bucket: aws.String("bkt")}); err != nil {
		t.Fatalf("CreateBucket: %v", err)
	}
	data := randomBytes(t, 70<<10) // more than one 64 KiB aws-chunked chunk
	// The SDK computes these five; it lists MD5 and XXHASH* too but cannot
	// compute them.
	for _, alg := range []types.ChecksumAlgorithm{types.ChecksumAlgorithmCrc32, types.ChecksumAlgorithmCrc32c,
		types.ChecksumAlgorithmCrc64nvme, types.ChecksumAlgorithmSha1, types.ChecksumAlgorithmSha256} {
		t.Run(string(alg), func(t *testing.T) {
			key := "obj-" + string(alg)
			if _, err := st.client.PutObject(ctx, &s3sdk.PutObjectInput{Bucket: aws.String("bkt"), Key: aws.String(key),
				Body: bytes.NewReader(data), ChecksumAlgorithm: alg}); err != nil {
				t.Fatalf("PutObject(%s): %v", alg, err)
			}
			get, err := st.client.GetObject(ctx, &s3sdk.GetObjectInput{Bucket: aws.String("bkt"), Key: aws.String(key)})
			if err != nil {
				t.Fatalf("GetObject: %v", err)
			}
			got, err := io.ReadAll(get.Body)
			_ = get.Body.Close()
			if err != nil || !bytes.Equal(got, data) {
				t.Fatalf("GetObject body differs (err %v)", err)
			}
		})
	}
}

func TestRangeGetHidesChecksum(t *testing.T) {
	ctx := context.Background()
	st := newSetup(t, false)
	c := st.client
	if _, err := c.CreateBucket(ctx, &s3sdk.CreateBucketInput{Bucket: aws.String("bkt")}); err != nil {
		t.Fatalf("CreateBucket: %v", err)
	}
	if _, err := c.PutObject(ctx, &s3sdk.PutObjectInput{Bucket: aws.String("bkt"), Key: aws.String("k"), Body: strings.NewReader("0123456789")}); err != nil {
		t.Fatalf("PutObject: %v", err)
	}
	// With the full-object CRC32 on a partial body the SDK's validation
	// would fail; S3 sends no checksum for a range.
	get, err := c.GetObject(ctx, &s3sdk.GetObjectInput{Bucket: aws.String("bkt"), Key: aws.String("k"), Range: aws.String("bytes=2-4")})
	if err != nil {
		t.Fatalf("GetObject range: %v", err)
	}
	got, _ := io.ReadAll(get.Body)
	_ = get.Body.Close()
	if string(got) != "234" || get.ChecksumCRC32 != nil {
		t.Errorf("GetObject(bytes=2-4) = %q crc32 %v, want %q and no checksum", got, get.ChecksumCRC32, "234")
	}
}

// TestVirtualHostedStyle sends virtual-hosted-style requests
// ("<bucket>.localhost:<port>"): the SDK only uses them when the endpoint is
// a host name (for an IP literal it falls back to path style), so the test
// dials every host to the server's loopback address.
func TestVirtualHostedStyle(t *testing.T) {
	ctx := context.Background()
	srv, err := s3.NewServer(s3.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	addr := srv.Listener.Addr().String()
	_, port, _ := net.SplitHostPort(addr)
	dialer := &net.Dialer{Timeout: 5 * time.Second}
	rec := &recorder{next: &http.Transport{DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
		return dialer.DialContext(ctx, network, addr)
	}}}
	c := s3sdk.New(s3sdk.Options{
		Region:                     "us-east-1",
		Credentials:                credentials.NewStaticCredentialsProvider("test", "test", ""),
		HTTPClient:                 &http.Client{Transport: rec},
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenSupported,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenSupported,
	}, func(o *s3sdk.Options) { o.BaseEndpoint = aws.String("http://localhost:" + port) })

	if _, err := c.CreateBucket(ctx, &s3sdk.CreateBucketInput{Bucket: aws.String("vhost")}); err != nil {
		t.Fatalf("CreateBucket: %v", err)
	}
	if got := rec.last(http.MethodPut).host; got != "vhost.localhost:"+port {
		t.Fatalf("SDK sent CreateBucket to host %q, want virtual-hosted %q", got, "vhost.localhost:"+port)
	}
	if _, err := c.PutObject(ctx, &s3sdk.PutObjectInput{Bucket: aws.String("vhost"), Key: aws.String("a/b.txt"), Body: strings.NewReader("hi")}); err != nil {
		t.Fatalf("PutObject: %v", err)
	}
	obj, err := srv.Backend().GetObject("vhost", "a/b.txt", nil)
	if err != nil {
		t.Fatalf("Backend().GetObject: %v", err)
	}
	b, _ := io.ReadAll(obj.Contents)
	if string(b) != "hi" {
		t.Errorf("stored %q, want %q", b, "hi")
	}
}

func TestNowOption(t *testing.T) {
	ctx := context.Background()
	at := time.Date(2019, 3, 3, 20, 33, 9, 0, time.UTC)
	srv, err := s3.NewServer(s3.Options{Now: func() time.Time { return at }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	c := s3sdk.New(s3sdk.Options{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("test", "test", "")},
		func(o *s3sdk.Options) { o.BaseEndpoint = aws.String(srv.URL); o.UsePathStyle = true })
	if _, err := c.CreateBucket(ctx, &s3sdk.CreateBucketInput{Bucket: aws.String("bkt")}); err != nil {
		t.Fatalf("CreateBucket (server clock years behind the SDK's): %v", err)
	}
	if _, err := c.PutObject(ctx, &s3sdk.PutObjectInput{Bucket: aws.String("bkt"), Key: aws.String("k"), Body: strings.NewReader("x")}); err != nil {
		t.Fatalf("PutObject: %v", err)
	}
	head, err := c.HeadObject(ctx, &s3sdk.HeadObjectInput{Bucket: aws.String("bkt"), Key: aws.String("k")})
	if err != nil {
		t.Fatalf("HeadObject: %v", err)
	}
	if !aws.ToTime(head.LastModified).Equal(at) {
		t.Errorf("LastModified = %v, want %v", aws.ToTime(head.LastModified), at)
	}
}

func TestUnknownPathIsS3Error(t *testing.T) {
	st := newSetup(t, false)
	resp, err := http.Get(st.srv.URL + "/no-such-bucket/key")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound || !strings.Contains(string(body), "<Code>NoSuchBucket</Code>") {
		t.Errorf("GET unknown bucket = %d %s, want 404 NoSuchBucket XML", resp.StatusCode, body)
	}
}

// BenchmarkPutGet16KiB measures a PutObject and GetObject round trip
// through the SDK, stored plain and with SSE-S3 (AES256).
func BenchmarkPutGet16KiB(b *testing.B) {
	for _, sse := range []types.ServerSideEncryption{"", types.ServerSideEncryptionAes256} {
		name := "plain"
		if sse != "" {
			name = "sse"
		}
		b.Run(name, func(b *testing.B) {
			ctx := context.Background()
			st := newSetup(b, false)
			if _, err := st.client.CreateBucket(ctx, &s3sdk.CreateBucketInput{Bucket: aws.String("bench")}); err != nil {
				b.Fatal(err)
			}
			data := randomBytes(b, 16<<10)
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := st.client.PutObject(ctx, &s3sdk.PutObjectInput{Bucket: aws.String("bench"), Key: aws.String("k"), Body: bytes.NewReader(data), ServerSideEncryption: sse}); err != nil {
					b.Fatal(err)
				}
				get, err := st.client.GetObject(ctx, &s3sdk.GetObjectInput{Bucket: aws.String("bench"), Key: aws.String("k")})
				if err != nil {
					b.Fatal(err)
				}
				if _, err := io.Copy(io.Discard, get.Body); err != nil {
					b.Fatal(err)
				}
				_ = get.Body.Close()
			}
		})
	}
}
