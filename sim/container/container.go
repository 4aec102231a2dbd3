// Package container is a testcontainers-go module for tgsim: it runs
// `tgsim up` (every fake AWS service behind one edge, the AWS IoT Core MQTT
// data plane and Greengrass discovery) in a container, in the style of the
// official modules such as modules/localstack.
//
// tgsim's image holds only the static binary (cmd/tgsim/Dockerfile is FROM
// scratch), so it can be built with no registry: [BuildImage] builds
// bin/tgsim on the host and the image from it. Testcontainers' reaper image
// cannot be pulled offline either: set TESTCONTAINERS_RYUK_DISABLED=true
// and terminate containers yourself.
//
//	img, err := container.BuildImage(ctx, repoRoot) // or an image you built
//	c, err := container.Run(ctx, img, container.WithDataDir(t.TempDir()))
//	defer testcontainers.TerminateContainer(c)
//	cfg, err := c.AWSConfig(ctx)
//	s3c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
//
// The same image plays the other parts of the multi-host topology of
// docker-compose.yml: RunCore starts a Greengrass core (`tgsim core`),
// RunFleet a device fleet (`tgsim bench --endpoint`), and Disconnect and
// Connect partition a container from a network and heal it.
package container

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/wait"
)

const (
	// DefaultImage is the tag BuildImage gives the image, the one
	// docker-compose.yml builds too.
	DefaultImage = "tgsim:local"

	// EdgePort serves every AWS API (iotthingsgraph, s3, greengrass, iot,
	// iam, sts) and /_tgsim/health, plain HTTP.
	EdgePort = "4566/tcp"
	// IoTDataPort is AWS IoT Core's MQTT data plane (mutual TLS).
	IoTDataPort = "8883/tcp"
	// DiscoveryPort is the Greengrass discovery API (mutual TLS).
	DiscoveryPort = "8443/tcp"

	// DataPath is where WithDataDir mounts the host directory.
	DataPath = "/data"

	// The root credentials, account and region `tgsim up` starts with.
	AccessKeyID     = "test"
	SecretAccessKey = "test"
	Region          = "us-east-1"
	AccountID       = "000000000000"

	// HealthPath is the edge's health check.
	HealthPath = "/_tgsim/health"
	// StartupLine begins what `tgsim up` prints once it serves.
	StartupLine = "tgsim is serving"
	// RootCAPath is where the edge serves the IoT data plane's root CA,
	// unsigned (harness.IoTRootCAPath).
	RootCAPath = "/_tgsim/iot/root-ca.pem"
)

// Container is a running `tgsim up`.
type Container struct {
	testcontainers.Container
}

var _ testcontainers.Container = (*Container)(nil)

// Run starts `tgsim up` from img, listening on every address inside the
// container, with the edge, the IoT data plane and discovery exposed, and
// returns once the edge answers its health check. opts customize the
// request as for any testcontainers module (WithDataDir, WithAutoCores,
// testcontainers.WithEnv with TGSIM_* variables, ...).
//
// /tmp is a tmpfs: without --data, `tgsim up` writes the IoT data plane's
// root CA to a temporary file, and a FROM scratch image has no /tmp.
//
// On error, the returned Container may be non-nil (a container that was
// created but did not become healthy): terminate it.
func Run(ctx context.Context, img string, opts ...testcontainers.ContainerCustomizer) (*Container, error) {
	moduleOpts := []testcontainers.ContainerCustomizer{
		testcontainers.WithCmd("up",
			"--addr", "0.0.0.0:4566",
			"--iot-data-addr", "0.0.0.0:8883",
			"--discovery-addr", "0.0.0.0:8443"),
		testcontainers.WithExposedPorts(EdgePort, IoTDataPort, DiscoveryPort),
		testcontainers.WithTmpfs(map[string]string{"/tmp": "rw,mode=1777"}),
		testcontainers.WithWaitStrategy(
			wait.ForHTTP(HealthPath).WithPort(EdgePort).
				WithPollInterval(100 * time.Millisecond).
				WithStartupTimeout(60 * time.Second)),
	}
	moduleOpts = append(moduleOpts, opts...)
	ctr, err := testcontainers.Run(ctx, img, moduleOpts...)
	var c *Container
	if ctr != nil {
		c = &Container{Container: ctr}
	}
	if err != nil {
		return c, fmt.Errorf("run tgsim: %w", err)
	}
	return c, nil
}

// WithArgs appends flags to `tgsim up` (see `tgsim help`), e.g.
// WithArgs("--iam", "soft").
func WithArgs(args ...string) testcontainers.CustomizeRequestOption {
	return testcontainers.WithCmdArgs(args...)
}

// WithAutoCores sets --auto-cores: false starts no Greengrass core for the
// groups that get a deployment (cores then run as `tgsim core` elsewhere).
func WithAutoCores(on bool) testcontainers.CustomizeRequestOption {
	return WithArgs(fmt.Sprintf("--auto-cores=%t", on))
}

// WithDataDir bind-mounts hostDir at /data and starts `tgsim up --data
// /data`, so the state survives a restart of the container (or a new
// container on the same directory). The IoT data plane's root CA is then
// hostDir/iot-data-root-ca.pem.
//
// The image runs as uid 65534, which usually cannot write hostDir. On Unix
// hosts the container runs as the calling user's uid:gid instead, so the
// files belong to that user and (for example) t.TempDir can remove them.
// With rootless Docker or elsewhere, make hostDir writable by the
// container's user yourself.
func WithDataDir(hostDir string) testcontainers.CustomizeRequestOption {
	return func(req *testcontainers.GenericContainerRequest) error {
		abs, err := filepath.Abs(hostDir)
		if err != nil {
			return fmt.Errorf("data dir: %w", err)
		}
		if err := os.MkdirAll(abs, 0o755); err != nil {
			return fmt.Errorf("data dir: %w", err)
		}
		if err := testcontainers.WithHostConfigModifier(func(hc *container.HostConfig) {
			hc.Binds = append(hc.Binds, abs+":"+DataPath)
		})(req); err != nil {
			return err
		}
		if uid, gid := os.Getuid(), os.Getgid(); uid >= 0 && gid >= 0 {
			if err := testcontainers.WithConfigModifier(func(cfg *container.Config) {
				cfg.User = fmt.Sprintf("%d:%d", uid, gid)
			})(req); err != nil {
				return err
			}
		}
		return testcontainers.WithCmdArgs("--data", DataPath)(req)
	}
}

// EdgeEndpoint is the edge's URL on the host, http://host:port: every AWS
// API's endpoint (aws --endpoint-url, BaseEndpoint). The mapped port
// changes when the container restarts: ask again after Start.
//
// It is not called Endpoint: that name belongs to testcontainers.Container
// (Endpoint(ctx, "http") gives the same URL, 4566 being the lowest exposed
// port), and *Container stays a testcontainers.Container, for
// TerminateContainer and CleanupContainer.
func (c *Container) EdgeEndpoint(ctx context.Context) (string, error) {
	return c.PortEndpoint(ctx, EdgePort, "http")
}

// IoTDataEndpoint is AWS IoT Core's MQTT data plane on the host, as
// host:port (MQTT over mutual TLS: a device presents its IoT certificate
// and trusts RootCA).
func (c *Container) IoTDataEndpoint(ctx context.Context) (string, error) {
	return c.PortEndpoint(ctx, IoTDataPort, "")
}

// DiscoveryEndpoint is the Greengrass discovery API on the host,
// https://host:port (mutual TLS with a device's IoT certificate).
func (c *Container) DiscoveryEndpoint(ctx context.Context) (string, error) {
	return c.PortEndpoint(ctx, DiscoveryPort, "https")
}

// AWSConfig is an aws-sdk-go-v2 configuration for the container: the
// root credentials (test/test), us-east-1 and BaseEndpoint = EdgeEndpoint. S3
// clients need path-style addressing (o.UsePathStyle = true).
func (c *Container) AWSConfig(ctx context.Context) (aws.Config, error) {
	endpoint, err := c.EdgeEndpoint(ctx)
	if err != nil {
		return aws.Config{}, err
	}
	return aws.Config{
		Region:       Region,
		Credentials:  credentials.NewStaticCredentialsProvider(AccessKeyID, SecretAccessKey, ""),
		BaseEndpoint: aws.String(endpoint),
	}, nil
}

// RootCA returns the PEM of the IoT data plane's root CA, the certificate
// devices trust as they trust Amazon Root CA 1, downloaded from the edge
// (RootCAPath), as Amazon publishes its root CA.
func (c *Container) RootCA(ctx context.Context) ([]byte, error) {
	endpoint, err := c.EdgeEndpoint(ctx)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, endpoint+RootCAPath, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("root CA: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("root CA: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("root CA: GET %s: HTTP %d", RootCAPath, resp.StatusCode)
	}
	return body, nil
}

// BuildImage builds tgsim's image, tagged DefaultImage, from the module
// at repoRoot, with no registry: it builds repoRoot/bin/tgsim statically
// for Linux (CGO_ENABLED=0 go build -trimpath ./cmd/tgsim, the `go` on
// PATH) and then the image from cmd/tgsim/Dockerfile (FROM scratch), with
// a build context of just the Dockerfile, the binary and BenchDocuments.
// It returns the image's tag. When the image tagged DefaultImage was built from the same
// Dockerfile and binary (a label holds their digest), it is reused, so
// repeated runs leave no dangling images.
func BuildImage(ctx context.Context, repoRoot string) (string, error) {
	repoRoot, err := filepath.Abs(repoRoot)
	if err != nil {
		return "", err
	}
	bin := filepath.Join(repoRoot, "bin", "tgsim")
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-o", bin, "./cmd/tgsim")
	cmd.Dir = repoRoot
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+runtime.GOARCH, "GOFLAGS=")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/tgsim: %w\n%s", err, out)
	}
	const dockerfile = "cmd/tgsim/Dockerfile"
	buildCtx, err := contextArchive(repoRoot, append([]string{dockerfile, "bin/tgsim"}, BenchDocuments...)...)
	if err != nil {
		return "", fmt.Errorf("build context: %w", err)
	}
	repo, tag, _ := strings.Cut(DefaultImage, ":")
	p, err := testcontainers.NewDockerProvider()
	if err != nil {
		return "", fmt.Errorf("docker: %w", err)
	}
	defer p.Close()
	// The image is labelled with a digest of its context: when the image
	// tagged DefaultImage already has this one, it is the image to build.
	sum := contextDigest(buildCtx)
	if res, err := p.Client().ImageInspect(ctx, DefaultImage); err == nil && res.Config != nil && res.Config.Labels[contextLabel] == sum {
		return DefaultImage, nil
	}
	var log bytes.Buffer
	img, err := p.BuildImage(ctx, &testcontainers.ContainerRequest{
		FromDockerfile: testcontainers.FromDockerfile{
			ContextArchive: bytes.NewReader(buildCtx),
			Dockerfile:     dockerfile,
			Repo:           repo,
			Tag:            tag,
			KeepImage:      true,
			BuildLogWriter: &log,
			BuildOptionsModifier: func(o *client.ImageBuildOptions) {
				o.Labels = map[string]string{contextLabel: sum}
			},
		},
	})
	if err != nil {
		return "", fmt.Errorf("docker build -f %s: %w\n%s", dockerfile, err, log.String())
	}
	return img, nil
}

// BenchDocuments are the repository files, besides the binary, that the
// image holds: the TDM documents `tgsim bench` deploys (the Dockerfile
// copies them to /scenarios/motion-camera).
var BenchDocuments = []string{
	"scenarios/motion-camera/security-flow.workflow.graphql",
	"scenarios/motion-camera/security-flow.system.graphql",
	"scenarios/motion-camera/room215.deployment.graphql",
}

// contextLabel holds the digest of the context an image was built from.
const contextLabel = "io.github.tgsim.context-sha256"

// contextDigest digests the names and contents in a context archive, not
// the modification times (go build rewrites the binary every time).
func contextDigest(archive []byte) string {
	h := sha256.New()
	tr := tar.NewReader(bytes.NewReader(archive))
	for {
		hdr, err := tr.Next()
		if err != nil {
			break
		}
		fmt.Fprintf(h, "%s\x00%o\x00%d\x00", hdr.Name, hdr.Mode, hdr.Size)
		_, _ = io.Copy(h, tr)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// contextArchive tars the named files of dir (slash-separated paths).
func contextArchive(dir string, names ...string) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, name := range names {
		b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(name)))
		if err != nil {
			return nil, err
		}
		st, err := os.Stat(filepath.Join(dir, filepath.FromSlash(name)))
		if err != nil {
			return nil, err
		}
		hdr := &tar.Header{Name: name, Mode: int64(st.Mode().Perm()), Size: int64(len(b)), ModTime: st.ModTime()}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, err
		}
		if _, err := tw.Write(b); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
