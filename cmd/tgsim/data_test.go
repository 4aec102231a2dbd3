package main

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iot"
	s3sdk "github.com/aws/aws-sdk-go-v2/service/s3"
)

// buildTgsim builds this command into a temporary directory, or skips the
// test when it cannot.
func buildTgsim(t *testing.T) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("skipping: no go command on PATH to build tgsim:", err)
	}
	bin := filepath.Join(t.TempDir(), "tgsim")
	out, err := exec.Command(goBin, "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Skipf("skipping: tgsim could not be built: %v\n%s", err, out)
	}
	return bin
}

// syncBuffer is a bytes.Buffer safe to read while a process writes it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// startUp runs `tgsim up --data dir` and waits until its health endpoint
// answers; it returns the endpoint URL and the process.
func startUp(t *testing.T, bin, dir string) (string, *exec.Cmd, *syncBuffer) {
	t.Helper()
	addr := freeAddr(t)
	cmd := exec.Command(bin, "up", "--data", dir, "--addr", addr, "--discovery-addr", "127.0.0.1:0", "--log-level", "warn")
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	url := "http://" + addr
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get(url + "/_tgsim/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return url, cmd, out
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("tgsim up did not answer health in 20s: %v\n%s", err, out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestUpDataSurvivesSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping: builds and runs the tgsim binary")
	}
	bin := buildTgsim(t)
	dir := filepath.Join(t.TempDir(), "state")
	ctx := context.Background()
	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("test", "test", "")}
	clients := func(url string) (*s3sdk.Client, *iot.Client) {
		return s3sdk.NewFromConfig(cfg, func(o *s3sdk.Options) { o.BaseEndpoint = aws.String(url); o.UsePathStyle = true }),
			iot.NewFromConfig(cfg, func(o *iot.Options) { o.BaseEndpoint = aws.String(url) })
	}

	url, cmd, out := startUp(t, bin, dir)
	s3c, iotc := clients(url)
	if _, err := s3c.CreateBucket(ctx, &s3sdk.CreateBucketInput{Bucket: aws.String("survivor")}); err != nil {
		t.Fatal(err)
	}
	thing, err := iotc.CreateThing(ctx, &iot.CreateThingInput{ThingName: aws.String("lamp")})
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err == nil {
		t.Fatalf("tgsim up exited cleanly after SIGKILL\n%s", out.String())
	}

	url, _, out = startUp(t, bin, dir)
	s3c, iotc = clients(url)
	if _, err := s3c.HeadBucket(ctx, &s3sdk.HeadBucketInput{Bucket: aws.String("survivor")}); err != nil {
		t.Errorf("bucket after SIGKILL and restart: %v\n%s", err, out.String())
	}
	got, err := iotc.DescribeThing(ctx, &iot.DescribeThingInput{ThingName: aws.String("lamp")})
	if err != nil {
		t.Fatalf("thing after SIGKILL and restart: %v\n%s", err, out.String())
	}
	if aws.ToString(got.ThingId) != aws.ToString(thing.ThingId) || aws.ToString(got.ThingArn) != aws.ToString(thing.ThingArn) {
		t.Errorf("thing after restart = %s %s, want %s %s", aws.ToString(got.ThingId), aws.ToString(got.ThingArn), aws.ToString(thing.ThingId), aws.ToString(thing.ThingArn))
	}
}

func TestUpDataLockedBySecondProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping: builds and runs the tgsim binary")
	}
	bin := buildTgsim(t)
	dir := t.TempDir()
	startUp(t, bin, dir)
	var out bytes.Buffer
	second := exec.Command(bin, "up", "--data", dir, "--addr", freeAddr(t), "--discovery-addr", "127.0.0.1:0")
	second.Stdout, second.Stderr = &out, &out
	start := time.Now()
	err := second.Run()
	if err == nil {
		t.Fatalf("a second tgsim up on the same --data started\n%s", out.String())
	}
	want := filepath.Join(dir, "iam.db") + " is locked by another process"
	if !bytes.Contains(out.Bytes(), []byte(want)) {
		t.Errorf("second tgsim up said:\n%s\nwant it to contain %q", out.String(), want)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("second tgsim up took %s to fail", d)
	}
}
