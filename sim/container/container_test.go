package container

import (
	"archive/tar"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The parts that need no Docker engine; e2e/containers_test.go (label
// "containers") runs the module against one.

func TestParseRootCAPath(t *testing.T) {
	out := `time=2026-11-27T01:58:28Z level=INFO msg="AWS IoT data plane listening"
tgsim is serving iotthingsgraph, s3, greengrass, iot, iot-data, iam and sts at http://[::]:4566
  AWS IoT Core data plane (MQTT, mutual TLS, IoT policies): [::]:8883
    trust /tmp/tgsim-iot-data-root-ca-1.pem as devices trust Amazon Root CA 1
tgsim is serving iotthingsgraph, s3, greengrass, iot, iot-data, iam and sts at http://[::]:4566
    trust /data/iot-data-root-ca.pem as devices trust Amazon Root CA 1
`
	got, err := parseRootCAPath(strings.NewReader(out))
	if err != nil || got != "/data/iot-data-root-ca.pem" {
		t.Fatalf("parseRootCAPath = %q, %v; want the latest start's file", got, err)
	}
	if _, err := parseRootCAPath(strings.NewReader("starting\n")); err == nil {
		t.Fatal("parseRootCAPath found a file in output that names none")
	}
}

func TestContextArchive(t *testing.T) {
	dir := t.TempDir()
	for name, mode := range map[string]os.FileMode{"cmd/tgsim/Dockerfile": 0o644, "bin/tgsim": 0o755} {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(name), mode); err != nil {
			t.Fatal(err)
		}
	}
	b, err := contextArchive(dir, "cmd/tgsim/Dockerfile", "bin/tgsim")
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(bytes.NewReader(b))
	var names []string
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(tr)
		if string(body) != hdr.Name {
			t.Errorf("%s holds %q", hdr.Name, body)
		}
		if hdr.Name == "bin/tgsim" && hdr.Mode&0o111 == 0 {
			t.Errorf("bin/tgsim is not executable: %o", hdr.Mode)
		}
		names = append(names, hdr.Name)
	}
	if strings.Join(names, ",") != "cmd/tgsim/Dockerfile,bin/tgsim" {
		t.Fatalf("archive holds %v", names)
	}
	if _, err := contextArchive(dir, "missing"); err == nil {
		t.Fatal("contextArchive of a missing file succeeded")
	}
}
