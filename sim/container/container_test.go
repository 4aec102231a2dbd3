package container

import (
	"archive/tar"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tgsim/tgsim/sim/harness"
)

// The parts that need no Docker engine; e2e/containers_test.go (label
// "containers") runs the module against one.

// TestRootCAPath: the module asks for the CA where the harness serves it.
func TestRootCAPath(t *testing.T) {
	if RootCAPath != harness.IoTRootCAPath {
		t.Fatalf("RootCAPath = %q, harness.IoTRootCAPath = %q", RootCAPath, harness.IoTRootCAPath)
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

// TestDockerfileCopiesTheContext: every source the Dockerfile COPYs is in
// the context BuildImage sends, and every context file is used.
func TestDockerfileCopiesTheContext(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "cmd", "tgsim", "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	sent := map[string]bool{"bin/tgsim": false}
	for _, d := range BenchDocuments {
		sent[d] = false
		if _, err := os.Stat(filepath.Join("..", "..", filepath.FromSlash(d))); err != nil {
			t.Errorf("BenchDocuments: %v", err)
		}
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 3 || f[0] != "COPY" {
			continue
		}
		for _, src := range f[1 : len(f)-1] {
			if _, ok := sent[src]; !ok {
				t.Errorf("the Dockerfile copies %s, which BuildImage does not send", src)
			}
			sent[src] = true
		}
	}
	for name, used := range sent {
		if !used {
			t.Errorf("BuildImage sends %s, which the Dockerfile never copies", name)
		}
	}
}
