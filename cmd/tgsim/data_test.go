package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iot"
	s3sdk "github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
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

// TestUpDataKillMidWrite is Step 4's kill -9 test: three writers (IoT
// things, S3 objects, IAM users) write in a loop through the official
// clients while tgsim up is killed with SIGKILL; after a restart on the same
// directory every acknowledged write is there, whole, and nothing else
// except at most the one write each writer had in flight.
func TestUpDataKillMidWrite(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping: builds and runs the tgsim binary")
	}
	bin := buildTgsim(t)
	dir := filepath.Join(t.TempDir(), "state")
	ctx := context.Background()
	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""), RetryMaxAttempts: 1}
	type clientSet struct {
		s3  *s3sdk.Client
		iot *iot.Client
		iam *iam.Client
	}
	clients := func(url string) clientSet {
		return clientSet{
			s3:  s3sdk.NewFromConfig(cfg, func(o *s3sdk.Options) { o.BaseEndpoint = aws.String(url); o.UsePathStyle = true }),
			iot: iot.NewFromConfig(cfg, func(o *iot.Options) { o.BaseEndpoint = aws.String(url) }),
			iam: iam.NewFromConfig(cfg, func(o *iam.Options) { o.BaseEndpoint = aws.String(url) }),
		}
	}
	url, cmd, out := startUp(t, bin, dir)
	c := clients(url)
	if _, err := c.s3.CreateBucket(ctx, &s3sdk.CreateBucketInput{Bucket: aws.String("loop")}); err != nil {
		t.Fatal(err)
	}
	body := func(i int) string { return fmt.Sprintf("object %d %s", i, strings.Repeat("x", i%4096)) }
	writers := map[string]func(i int) error{
		"iot thing": func(i int) error {
			_, err := c.iot.CreateThing(ctx, &iot.CreateThingInput{ThingName: aws.String(fmt.Sprintf("thing-%d", i))})
			return err
		},
		"s3 object": func(i int) error {
			_, err := c.s3.PutObject(ctx, &s3sdk.PutObjectInput{Bucket: aws.String("loop"), Key: aws.String(fmt.Sprintf("obj-%d", i)),
				Body: strings.NewReader(body(i)), ServerSideEncryption: s3types.ServerSideEncryptionAes256})
			return err
		},
		"iam user": func(i int) error {
			_, err := c.iam.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(fmt.Sprintf("user-%d", i))})
			return err
		},
	}
	acked := map[string]*atomic.Int64{}
	var wg sync.WaitGroup
	for name, write := range writers {
		n := &atomic.Int64{}
		acked[name] = n
		wg.Go(func() {
			for i := 0; ; i++ {
				if write(i) != nil {
					return // the kill: this write (and only this one) is unacknowledged
				}
				n.Store(int64(i + 1))
			}
		})
	}
	// Kill once every writer has had some writes acknowledged.
	deadline := time.Now().Add(20 * time.Second)
	for acked["iot thing"].Load() < 30 || acked["s3 object"].Load() < 30 || acked["iam user"].Load() < 30 {
		if time.Now().After(deadline) {
			t.Fatalf("writers too slow: %d things, %d objects, %d users in 20s\n%s", acked["iot thing"].Load(), acked["s3 object"].Load(), acked["iam user"].Load(), out.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	wg.Wait()

	url, _, out = startUp(t, bin, dir)
	c = clients(url)
	things, objects, users := acked["iot thing"].Load(), acked["s3 object"].Load(), acked["iam user"].Load()
	t.Logf("killed after %d things, %d objects, %d users acknowledged", things, objects, users)

	var gotThings int64
	for p := iot.NewListThingsPaginator(c.iot, &iot.ListThingsInput{}); p.HasMorePages(); {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatalf("ListThings after restart: %v\n%s", err, out.String())
		}
		gotThings += int64(len(page.Things))
	}
	if gotThings < things || gotThings > things+1 {
		t.Errorf("%d things after restart, want %d acknowledged (+1 in flight at most)", gotThings, things)
	}
	var gotUsers int64
	for p := iam.NewListUsersPaginator(c.iam, &iam.ListUsersInput{}); p.HasMorePages(); {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		gotUsers += int64(len(page.Users))
	}
	if gotUsers < users || gotUsers > users+1 {
		t.Errorf("%d users after restart, want %d acknowledged (+1 in flight at most)", gotUsers, users)
	}
	var keys int64
	for p := s3sdk.NewListObjectsV2Paginator(c.s3, &s3sdk.ListObjectsV2Input{Bucket: aws.String("loop")}); p.HasMorePages(); {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		keys += int64(len(page.Contents))
	}
	if keys < objects || keys > objects+1 {
		t.Errorf("%d objects after restart, want %d acknowledged (+1 in flight at most)", keys, objects)
	}
	// Every acknowledged object reads back whole, still encrypted at rest.
	for i := range int(objects) {
		got, err := c.s3.GetObject(ctx, &s3sdk.GetObjectInput{Bucket: aws.String("loop"), Key: aws.String(fmt.Sprintf("obj-%d", i))})
		if err != nil {
			t.Errorf("obj-%d: %v", i, err)
			continue
		}
		b, err := io.ReadAll(got.Body)
		got.Body.Close()
		if err != nil || string(b) != body(i) || got.ServerSideEncryption != s3types.ServerSideEncryptionAes256 {
			t.Errorf("obj-%d = %d bytes, %q, %v; want %d bytes, AES256", i, len(b), got.ServerSideEncryption, err, len(body(i)))
		}
	}
}
