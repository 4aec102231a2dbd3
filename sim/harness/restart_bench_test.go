package harness_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	iotsdk "github.com/aws/aws-sdk-go-v2/service/iot"
	s3sdk "github.com/aws/aws-sdk-go-v2/service/s3"

	ggfake "github.com/tgsim/tgsim/fakes/greengrass"
	iotfake "github.com/tgsim/tgsim/fakes/iot"
	s3fake "github.com/tgsim/tgsim/fakes/s3"
	"github.com/tgsim/tgsim/sim/harness"
)

// Size of the DataDir BenchmarkRestart starts on.
const (
	benchThings  = 10000
	benchGroups  = 1000
	benchObjects = 10000
)

// fillDataDir writes benchThings IoT things, benchGroups Greengrass groups
// and benchObjects S3 objects into a harness data directory, straight
// through the fakes' disk backends. Every backend write is an fsynced
// transaction, so the files are built on tmpfs when there is one and then
// copied to dir.
func fillDataDir(b *testing.B, dir string) {
	b.Helper()
	build := dir
	if st, err := os.Stat("/dev/shm"); err == nil && st.IsDir() {
		tmp, err := os.MkdirTemp("/dev/shm", "tgsim-bench-")
		if err != nil {
			b.Fatal(err)
		}
		defer os.RemoveAll(tmp)
		build = tmp
	}
	ctx := context.Background()
	const acct, region = "000000000000", "us-east-1"

	iot, err := iotfake.OpenBolt(filepath.Join(build, harness.IoTFile))
	if err != nil {
		b.Fatal(err)
	}
	for i := range benchThings {
		name := fmt.Sprintf("thing-%05d", i)
		if _, err := iot.CreateThing(ctx, iotfake.Thing{Name: name, ID: fmt.Sprintf("00000000-0000-0000-0000-%012d", i),
			ARN: fmt.Sprintf("arn:aws:iot:%s:%s:thing/%s", region, acct, name), Attributes: map[string]string{"n": fmt.Sprint(i)}, Version: 1}); err != nil {
			b.Fatal(err)
		}
	}
	if err := iot.Close(); err != nil {
		b.Fatal(err)
	}

	gg, err := ggfake.OpenBolt(filepath.Join(build, harness.GreengrassFile))
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now().UTC()
	for i := range benchGroups {
		id := fmt.Sprintf("00000000-0000-0000-0000-%012d", i)
		if _, err := gg.CreateGroup(ctx, ggfake.Group{ID: id, Name: fmt.Sprintf("group-%04d", i),
			Arn: fmt.Sprintf("arn:aws:greengrass:%s:%s:/greengrass/groups/%s", region, acct, id), CreatedAt: now, UpdatedAt: now}, nil); err != nil {
			b.Fatal(err)
		}
	}
	if err := gg.Close(); err != nil {
		b.Fatal(err)
	}

	s3, err := s3fake.New(s3fake.Options{DataDir: filepath.Join(build, harness.S3Dir)})
	if err != nil {
		b.Fatal(err)
	}
	be := s3.Backend()
	if err := be.CreateBucket("bench"); err != nil {
		b.Fatal(err)
	}
	body := bytes.Repeat([]byte("x"), 256)
	for i := range benchObjects {
		if _, err := be.PutObject("bench", fmt.Sprintf("obj/%05d", i), map[string]string{"Content-Type": "text/plain"},
			bytes.NewReader(body), int64(len(body)), nil); err != nil {
			b.Fatal(err)
		}
	}
	if err := s3.CloseStorage(); err != nil {
		b.Fatal(err)
	}
	if build != dir {
		if err := copyTree(build, dir); err != nil {
			b.Fatal(err)
		}
	}
}

func copyTree(from, to string) error {
	return filepath.WalkDir(from, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(from, p)
		if err != nil {
			return err
		}
		dst := filepath.Join(to, rel)
		if d.IsDir() {
			return os.MkdirAll(dst, 0o700)
		}
		in, err := os.Open(p)
		if err != nil {
			return err
		}
		defer in.Close()
		out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
		if err != nil {
			return err
		}
		if _, err := io.Copy(out, in); err != nil {
			out.Close()
			return err
		}
		if err := out.Sync(); err != nil {
			out.Close()
			return err
		}
		return out.Close()
	})
}

// BenchmarkRestart is `tgsim up --data DIR` restarting on a full
// directory: Start (every file opened and loaded) until the health
// endpoint answers. The bar: under 2 s. Filling the directory and Close
// are not timed.
func BenchmarkRestart(b *testing.B) {
	dir := b.TempDir()
	fillDataDir(b, dir)
	client := &http.Client{Timeout: 10 * time.Second}
	checked := false
	for b.Loop() {
		h, err := harness.Start(harness.Options{DataDir: dir})
		if err != nil {
			b.Fatal(err)
		}
		resp, err := client.Get(h.URL + "/_tgsim/health")
		if err != nil {
			b.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("health: HTTP %d", resp.StatusCode)
		}
		b.StopTimer()
		// The groups were loaded.
		if gs, err := h.Greengrass.Backend().ListGroups(context.Background()); err != nil || len(gs) != benchGroups {
			b.Fatalf("groups after restart: %d, %v; want %d", len(gs), err, benchGroups)
		}
		if !checked {
			checked = true
			checkFilled(b, h)
		}
		client.CloseIdleConnections()
		if err := h.Close(); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
}

// checkFilled counts, through the SDK, the things and objects a restarted
// harness serves.
func checkFilled(b *testing.B, h *harness.Harness) {
	b.Helper()
	ctx := context.Background()
	c := newClients(h, h.AWS)
	things := 0
	for p := iotsdk.NewListThingsPaginator(c.iot, &iotsdk.ListThingsInput{MaxResults: aws.Int32(250)}); p.HasMorePages(); {
		page, err := p.NextPage(ctx)
		if err != nil {
			b.Fatal(err)
		}
		things += len(page.Things)
	}
	objects := 0
	for p := s3sdk.NewListObjectsV2Paginator(c.s3, &s3sdk.ListObjectsV2Input{Bucket: aws.String("bench")}); p.HasMorePages(); {
		page, err := p.NextPage(ctx)
		if err != nil {
			b.Fatal(err)
		}
		objects += len(page.Contents)
	}
	if things != benchThings || objects != benchObjects {
		b.Fatalf("after restart: %d things, %d objects; want %d, %d", things, objects, benchThings, benchObjects)
	}
}
