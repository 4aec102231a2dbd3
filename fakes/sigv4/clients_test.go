package sigv4_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/greengrass"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/tgsim/tgsim/fakes/sigv4"
)

// clientConfig points an SDK v2 client at srv with fixed credentials. The
// verifier's clock is the real one here: the SDK signs with time.Now.
func clientConfig(url string, hc *http.Client, id, secret, token string) aws.Config {
	return aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider(id, secret, token),
		HTTPClient:   hc,
		BaseEndpoint: aws.String(url),
		// config.LoadDefaultConfig's default; the zero value computes no
		// request checksum at all.
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenSupported,
	}
}

func liveOpts() sigv4.Options {
	keys := testKeys()
	tk := keys[tempAKID]
	tk.Expires = time.Time{}
	keys[tempAKID] = tk
	return sigv4.Options{Lookup: lookupIn(keys)}
}

// s3Respond answers just enough S3 for the client calls below.
func s3Respond(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.Method == http.MethodGet && r.URL.Query().Get("list-type") == "2":
		w.Header().Set("Content-Type", "application/xml")
		_, _ = io.WriteString(w, `<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>my-bucket</Name><KeyCount>0</KeyCount></ListBucketResult>`)
	case r.Method == http.MethodGet:
		w.Header().Set("Content-Length", "5")
		_, _ = io.WriteString(w, "hello")
	default:
		w.Header().Set("ETag", `"0"`)
		w.WriteHeader(http.StatusOK)
	}
}

// TestS3ClientEndToEnd drives the real aws-sdk-go-v2 S3 client through a
// TLS server whose handler runs Verify and then reads the whole body. Over
// TLS the SDK uploads aws-chunked with a CRC32 trailer
// (STREAMING-UNSIGNED-PAYLOAD-TRAILER); the handler must still read the
// original framing unchanged.
func TestS3ClientEndToEnd(t *testing.T) {
	t.Parallel()
	srv, ch := verifyServer(t, true, liveOpts(), s3Respond)
	client := s3.NewFromConfig(clientConfig(srv.URL, srv.Client(), testAKID, testSecret, ""), func(o *s3.Options) { o.UsePathStyle = true })
	ctx := context.Background()
	const key = "dir/a b+c über €.txt"
	data := bytes.Repeat([]byte("tgsim "), 30000) // 180000 bytes: several chunks

	t.Run("PutObject", func(t *testing.T) {
		_, err := client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("my-bucket"), Key: aws.String(key), Body: bytes.NewReader(data)})
		o := <-ch
		if o.err != nil {
			t.Fatalf("Verify(PutObject) = %v, want nil", o.err)
		}
		if err != nil {
			t.Fatalf("PutObject: %v", err)
		}
		if o.res.PayloadMode != sigv4.StreamingUnsignedTrail {
			t.Errorf("PutObject PayloadMode = %q, want %q", o.res.PayloadMode, sigv4.StreamingUnsignedTrail)
		}
		if o.readErr != nil {
			t.Fatalf("reading the verified body: %v", o.readErr)
		}
		if got := decodeAWSChunked(t, o.body); !bytes.Equal(got, data) {
			t.Errorf("decoded body is %d bytes, want the %d uploaded", len(got), len(data))
		}
		if !bytes.Contains(o.body, []byte("x-amz-checksum-crc32:")) {
			t.Errorf("body has no x-amz-checksum-crc32 trailer; the handler should see the framing unchanged")
		}
	})
	t.Run("PutObject unseekable", func(t *testing.T) {
		_, err := client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("my-bucket"), Key: aws.String("k"), Body: io.MultiReader(bytes.NewReader(data)), ContentLength: aws.Int64(int64(len(data)))})
		o := <-ch
		if o.err != nil || err != nil || o.readErr != nil {
			t.Fatalf("PutObject(unseekable) = %v; Verify = %v; read = %v; want all nil", err, o.err, o.readErr)
		}
		if got := decodeAWSChunked(t, o.body); !bytes.Equal(got, data) {
			t.Errorf("decoded body is %d bytes, want %d", len(got), len(data))
		}
	})
	t.Run("GetObject", func(t *testing.T) {
		out, err := client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("my-bucket"), Key: aws.String(key), Range: aws.String("bytes=0-4")})
		o := <-ch
		if o.err != nil {
			t.Fatalf("Verify(GetObject %q) = %v, want nil", key, o.err)
		}
		if err != nil {
			t.Fatalf("GetObject: %v", err)
		}
		out.Body.Close()
	})
	t.Run("ListObjectsV2", func(t *testing.T) {
		_, err := client.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("my-bucket"), Prefix: aws.String("a b+c/ü"), Delimiter: aws.String("/")})
		o := <-ch
		if o.err != nil {
			t.Fatalf("Verify(ListObjectsV2) = %v, want nil", o.err)
		}
		if err != nil {
			t.Fatalf("ListObjectsV2: %v", err)
		}
	})
	t.Run("presigned GetObject", func(t *testing.T) {
		ps := s3.NewPresignClient(client)
		p, err := ps.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("my-bucket"), Key: aws.String(key)}, s3.WithPresignExpires(10*time.Minute))
		if err != nil {
			t.Fatalf("PresignGetObject: %v", err)
		}
		req, _ := http.NewRequest(p.Method, p.URL, nil)
		for k, v := range p.SignedHeader {
			if k != "Host" {
				req.Header[k] = v
			}
		}
		o := send(t, srv, ch, req)
		if o.err != nil {
			t.Fatalf("Verify(presigned GetObject) = %v, want nil", o.err)
		}
		if !o.res.Presigned || o.res.PayloadMode != sigv4.UnsignedPayload {
			t.Errorf("Result = %+v, want presigned UNSIGNED-PAYLOAD", o.res)
		}
	})
	t.Run("wrong secret", func(t *testing.T) {
		bad := s3.NewFromConfig(clientConfig(srv.URL, srv.Client(), testAKID, "wrong", ""), func(o *s3.Options) {
			o.UsePathStyle = true
			o.RetryMaxAttempts = 1
		})
		_, err := bad.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("my-bucket"), Key: aws.String(key)})
		o := <-ch
		if kindOf(o.err) != sigv4.SignatureMismatch {
			t.Fatalf("Verify = %v, want SignatureMismatch", o.err)
		}
		if err == nil || !strings.Contains(err.Error(), "SignatureDoesNotMatch") {
			t.Errorf("GetObject error = %v, want SignatureDoesNotMatch", err)
		}
	})
}

// TestS3ClientPlainHTTP: without TLS the SDK hashes the payload instead of
// streaming it.
func TestS3ClientPlainHTTP(t *testing.T) {
	t.Parallel()
	srv, ch := verifyServer(t, false, liveOpts(), s3Respond)
	client := s3.NewFromConfig(clientConfig(srv.URL, srv.Client(), tempAKID, tempSecret, tempToken), func(o *s3.Options) { o.UsePathStyle = true })
	data := []byte("plain http body")
	_, err := client.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String("b"), Key: aws.String("k+1 2"), Body: bytes.NewReader(data)})
	o := <-ch
	if o.err != nil || err != nil {
		t.Fatalf("PutObject = %v; Verify = %v; want both nil", err, o.err)
	}
	if o.res.SessionToken != tempToken {
		t.Errorf("Result.SessionToken = %q, want the client's token", o.res.SessionToken)
	}
	t.Logf("plain HTTP PutObject payload mode: %s", o.res.PayloadMode)
	if o.res.PayloadMode == sigv4.PayloadSigned && !bytes.Equal(o.body, data) {
		t.Errorf("body = %q, want %q", o.body, data)
	}
}

// TestQueryAndRESTJSONClients: STS (Query, POST form) with temporary
// credentials and Greengrass (REST-JSON, path parameter needing escaping).
func TestQueryAndRESTJSONClients(t *testing.T) {
	t.Parallel()
	respond := func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/greengrass/") {
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, `{"Id":"a b"}`)
			return
		}
		w.Header().Set("Content-Type", "text/xml")
		_, _ = io.WriteString(w, `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><Arn>arn:aws:sts::000000000000:assumed-role/r/s</Arn><UserId>U</UserId><Account>000000000000</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></GetCallerIdentityResponse>`)
	}
	srv, ch := verifyServer(t, false, liveOpts(), respond)
	ctx := context.Background()

	stsClient := sts.NewFromConfig(clientConfig(srv.URL, srv.Client(), tempAKID, tempSecret, tempToken))
	if _, err := stsClient.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
		t.Errorf("GetCallerIdentity: %v", err)
	}
	if o := <-ch; o.err != nil || o.res.Scope.Service != "sts" || o.res.SessionToken != tempToken {
		t.Errorf("Verify(GetCallerIdentity) = %+v, %v; want sts scope with the session token", o.res, o.err)
	}

	gg := greengrass.NewFromConfig(clientConfig(srv.URL, srv.Client(), testAKID, testSecret, ""))
	if _, err := gg.GetGroup(ctx, &greengrass.GetGroupInput{GroupId: aws.String("a b")}); err != nil {
		t.Errorf("GetGroup: %v", err)
	}
	if o := <-ch; o.err != nil || o.res.Scope.Service != "greengrass" {
		t.Errorf("Verify(GetGroup) = %+v, %v; want greengrass scope", o.res, o.err)
	}
}

// decodeAWSChunked strips aws-chunked framing (test-side, independent of
// the package) and returns the payload.
func decodeAWSChunked(t *testing.T, b []byte) []byte {
	t.Helper()
	var out []byte
	for {
		i := bytes.Index(b, []byte("\r\n"))
		if i < 0 {
			t.Fatalf("aws-chunked body: no size line in %q", clipBytes(b))
		}
		sizeHex, _, _ := strings.Cut(string(b[:i]), ";")
		var n int
		for _, c := range sizeHex {
			n <<= 4
			switch {
			case c >= '0' && c <= '9':
				n |= int(c - '0')
			case c >= 'a' && c <= 'f':
				n |= int(c-'a') + 10
			case c >= 'A' && c <= 'F':
				n |= int(c-'A') + 10
			default:
				t.Fatalf("aws-chunked body: bad size %q", sizeHex)
			}
		}
		b = b[i+2:]
		if n == 0 {
			return out
		}
		out = append(out, b[:n]...)
		b = b[n+2:]
	}
}

func clipBytes(b []byte) []byte {
	if len(b) > 80 {
		return b[:80]
	}
	return b
}
