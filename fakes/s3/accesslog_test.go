package s3_test

import (
	"context"
	"io"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	s3sdk "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

func TestServerAccessLogs(t *testing.T) {
	ctx := context.Background()
	st := newSetup(t, false)
	c := st.client
	for _, b := range []string{"src", "logs"} {
		if _, err := c.CreateBucket(ctx, &s3sdk.CreateBucketInput{Bucket: aws.String(b)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.PutBucketLogging(ctx, &s3sdk.PutBucketLoggingInput{Bucket: aws.String("src"), BucketLoggingStatus: &types.BucketLoggingStatus{
		LoggingEnabled: &types.LoggingEnabled{TargetBucket: aws.String("nobucket"), TargetPrefix: aws.String("x/")}}}); func() bool { c, _ := apiError(err); return c != "InvalidTargetBucketForLogging" }() {
		t.Errorf("PutBucketLogging to a missing bucket = %v, want InvalidTargetBucketForLogging", err)
	}
	if _, err := c.PutBucketLogging(ctx, &s3sdk.PutBucketLoggingInput{Bucket: aws.String("src"), BucketLoggingStatus: &types.BucketLoggingStatus{
		LoggingEnabled: &types.LoggingEnabled{TargetBucket: aws.String("logs"), TargetPrefix: aws.String("src-logs/")}}}); err != nil {
		t.Fatalf("PutBucketLogging: %v", err)
	}
	got, err := c.GetBucketLogging(ctx, &s3sdk.GetBucketLoggingInput{Bucket: aws.String("src")})
	if err != nil || got.LoggingEnabled == nil || aws.ToString(got.LoggingEnabled.TargetBucket) != "logs" || aws.ToString(got.LoggingEnabled.TargetPrefix) != "src-logs/" {
		t.Fatalf("GetBucketLogging = %+v, %v", got, err)
	}
	if _, err := c.PutObject(ctx, &s3sdk.PutObjectInput{Bucket: aws.String("src"), Key: aws.String("a.txt"), Body: strings.NewReader("hello")}); err != nil {
		t.Fatal(err)
	}
	get, err := c.GetObject(ctx, &s3sdk.GetObjectInput{Bucket: aws.String("src"), Key: aws.String("a.txt")})
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, get.Body)
	get.Body.Close()
	c.HeadObject(ctx, &s3sdk.HeadObjectInput{Bucket: aws.String("src"), Key: aws.String("missing")})
	c.ListObjectsV2(ctx, &s3sdk.ListObjectsV2Input{Bucket: aws.String("src")})

	recs := st.srv.AccessLog("src")
	var ops []string
	for _, r := range recs {
		ops = append(ops, r.Operation+" "+r.Key+" "+itoa(r.HTTPStatus))
	}
	want := []string{"REST.PUT.LOGGING_STATUS  200", "REST.GET.LOGGING_STATUS  200", "REST.PUT.OBJECT a.txt 200", "REST.GET.OBJECT a.txt 200", "REST.HEAD.OBJECT missing 404", "REST.GET.BUCKET  200"}
	if strings.Join(ops, "\n") != strings.Join(want, "\n") {
		t.Fatalf("AccessLog(src) operations =\n%s\nwant\n%s", strings.Join(ops, "\n"), strings.Join(want, "\n"))
	}
	put := recs[2]
	if put.ObjectSize != 5 || put.Bucket != "src" || len(put.BucketOwner) != 64 || put.RemoteIP != "127.0.0.1" || put.SignatureVersion != "SigV4" || put.AuthenticationType != "AuthHeader" || !strings.HasPrefix(put.RequestURI, "PUT /src/a.txt") {
		t.Errorf("PutObject record = %+v", put)
	}
	if recs[3].BytesSent != 5 || recs[3].ObjectSize != 5 {
		t.Errorf("GetObject record: bytes sent %d, object size %d; want 5, 5", recs[3].BytesSent, recs[3].ObjectSize)
	}
	line := put.String()
	if f := strings.Fields(line); len(f) < 26 || !strings.HasPrefix(f[2], "[") || f[7] != "REST.PUT.OBJECT" || f[8] != "a.txt" || !strings.Contains(line, `"PUT /src/a.txt`) {
		t.Errorf("record line %q is not in S3's format", line)
	}

	// Nothing delivered before a flush (the batch is 100 records).
	list, _ := c.ListObjectsV2(ctx, &s3sdk.ListObjectsV2Input{Bucket: aws.String("logs")})
	if len(list.Contents) != 0 {
		t.Fatalf("log objects before flush: %d", len(list.Contents))
	}
	st.srv.FlushAccessLogs()
	list, err = c.ListObjectsV2(ctx, &s3sdk.ListObjectsV2Input{Bucket: aws.String("logs")})
	if err != nil || len(list.Contents) != 1 || !strings.HasPrefix(aws.ToString(list.Contents[0].Key), "src-logs/") {
		t.Fatalf("log objects after flush = %+v, %v; want one under src-logs/", list, err)
	}
	obj, err := c.GetObject(ctx, &s3sdk.GetObjectInput{Bucket: aws.String("logs"), Key: list.Contents[0].Key})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(obj.Body)
	obj.Body.Close()
	lines := strings.Split(strings.TrimSpace(string(body)), "\n")
	if len(lines) != 6 || lines[2] != line {
		t.Errorf("log object holds %d lines: %q; want the records, third %q", len(lines), lines, line)
	}
	// Turning logging off.
	if _, err := c.PutBucketLogging(ctx, &s3sdk.PutBucketLoggingInput{Bucket: aws.String("src"), BucketLoggingStatus: &types.BucketLoggingStatus{}}); err != nil {
		t.Fatal(err)
	}
	if got, err := c.GetBucketLogging(ctx, &s3sdk.GetBucketLoggingInput{Bucket: aws.String("src")}); err != nil || got.LoggingEnabled != nil {
		t.Errorf("GetBucketLogging after disabling = %+v, %v", got, err)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
