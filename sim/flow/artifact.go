package flow

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"sort"
	"strings"
	"time"
)

// FormatVersion is the version of the artifact layout this package writes.
const FormatVersion = 1

// Limits on artifacts read back, so a corrupt or hostile object cannot
// exhaust memory.
const (
	maxArtifactFiles = 10_000
	maxArtifactBytes = 64 << 20
)

// Manifest describes one deployed flow configuration.
type Manifest struct {
	FormatVersion    int    `json:"formatVersion"`
	DeploymentID     string `json:"deploymentId"`
	SystemID         string `json:"systemId"`
	Target           string `json:"target"`
	Region           string `json:"region"`
	AccountID        string `json:"accountId"`
	NamespaceVersion int64  `json:"namespaceVersion"`
	// Things maps each bound thing name to the device URN associated with it.
	Things    map[string]string `json:"things"`
	CreatedAt time.Time         `json:"createdAt"`
}

// Document is one TDM document of the dependency closure.
type Document struct {
	Name string // file name inside the artifact, e.g. "deployment.graphql"
	Text string
}

// Artifact is the flow configuration Things Graph stores in S3 for a
// Greengrass deployment: the manifest plus the TDM text of the deployment,
// its system, its flows and every entity they use, as of deployment time.
// [INF] spec §4.3: the tarball format is undocumented; this is tgsim's.
type Artifact struct {
	Manifest  Manifest
	Documents []Document
}

// ObjectKey is the S3 key of a flow configuration's artifact. The guide
// names it after the flow ("flow-<flow name>.tar.gz", [DOC
// ug:iot-tg-greengrass]). Divergence: tgsim adds the flow configuration's
// name (flow-SecurityFlow-Room215.tar.gz), so two configurations of one
// flow stored in one bucket never overwrite each other's artifact.
func ObjectKey(flowName, deploymentName string) string {
	return "flow-" + flowName + "-" + deploymentName + ".tar.gz"
}

// Encode writes the artifact as a gzipped tar: manifest.json first, then
// documents/<name> in order.
func (a *Artifact) Encode() ([]byte, error) {
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	m := a.Manifest
	m.FormatVersion = FormatVersion
	mj, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, err
	}
	add := func(name string, b []byte) error {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(b)), ModTime: m.CreatedAt, Typeflag: tar.TypeReg}); err != nil {
			return err
		}
		_, err := tw.Write(b)
		return err
	}
	if err := add("manifest.json", mj); err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for _, d := range a.Documents {
		if err := checkDocName(d.Name); err != nil {
			return nil, err
		}
		if seen[d.Name] {
			return nil, fmt.Errorf("artifact: document %q appears twice", d.Name)
		}
		seen[d.Name] = true
		if err := add("documents/"+d.Name, []byte(d.Text)); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	if err := gz.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func checkDocName(n string) error {
	if n == "" || strings.ContainsAny(n, "/\\\x00") || n == "." || n == ".." {
		return fmt.Errorf("artifact: bad document name %q", n)
	}
	return nil
}

// DecodeArtifact reads an artifact written by Encode. Anything unexpected
// (unknown entries, paths outside documents/, oversize content, a newer
// format) is an error that says what and where.
func DecodeArtifact(b []byte) (*Artifact, error) {
	gz, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("artifact: not gzip: %w", err)
	}
	tr := tar.NewReader(io.LimitReader(gz, maxArtifactBytes+1))
	a := &Artifact{}
	haveManifest := false
	total := 0
	for i := 0; ; i++ {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("artifact: entry %d: %w", i, err)
		}
		if i >= maxArtifactFiles {
			return nil, fmt.Errorf("artifact: more than %d entries", maxArtifactFiles)
		}
		if h.Typeflag != tar.TypeReg {
			return nil, fmt.Errorf("artifact: entry %q: only regular files are allowed", h.Name)
		}
		total += int(h.Size)
		if h.Size < 0 || total > maxArtifactBytes {
			return nil, fmt.Errorf("artifact: larger than %d bytes", maxArtifactBytes)
		}
		body, err := io.ReadAll(tr)
		if err != nil {
			return nil, fmt.Errorf("artifact: entry %q: %w", h.Name, err)
		}
		switch {
		case h.Name == "manifest.json":
			if err := json.Unmarshal(body, &a.Manifest); err != nil {
				return nil, fmt.Errorf("artifact: manifest.json: %w", err)
			}
			haveManifest = true
		case strings.HasPrefix(h.Name, "documents/"):
			name := path.Base(h.Name)
			if h.Name != "documents/"+name || checkDocName(name) != nil {
				return nil, fmt.Errorf("artifact: entry %q: bad document path", h.Name)
			}
			a.Documents = append(a.Documents, Document{Name: name, Text: string(body)})
		default:
			return nil, fmt.Errorf("artifact: unexpected entry %q", h.Name)
		}
	}
	if !haveManifest {
		return nil, errors.New("artifact: no manifest.json")
	}
	if a.Manifest.FormatVersion != FormatVersion {
		return nil, fmt.Errorf("artifact: format version %d, this runtime reads %d", a.Manifest.FormatVersion, FormatVersion)
	}
	sort.SliceStable(a.Documents, func(i, j int) bool { return a.Documents[i].Name < a.Documents[j].Name })
	return a, nil
}
