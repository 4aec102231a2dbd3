// Command tgsim runs the simulated AWS IoT Things Graph world: `up` serves
// the fakes behind one endpoint, `run` runs scenario files, `validate`
// checks TDM and scenario files offline.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/tgsim/tgsim/sim/harness"
	"github.com/tgsim/tgsim/sim/scenario"
	"github.com/tgsim/tgsim/sim/thingsgraph"
)

func main() {
	os.Exit(run(os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

func run(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	cfg, err := Load(args, getenv)
	if err != nil {
		if errors.Is(err, errUsage) {
			if msg := strings.TrimSuffix(err.Error(), ": "+errUsage.Error()); msg != errUsage.Error() {
				fmt.Fprintln(stderr, msg)
			}
			fmt.Fprint(stderr, usage)
			return 2
		}
		fmt.Fprintln(stderr, "tgsim:", err)
		return 2
	}
	// tgsim run on a terminal shows a progress line on stderr; log lines
	// go through it so they erase it first.
	logOut := stderr
	var prog *scenario.Progress
	if cfg.Command == "run" && !cfg.JSON && canRedraw(stderr, getenv) {
		width, _ := strconv.Atoi(getenv("COLUMNS"))
		prog = scenario.NewProgress(stderr, scenario.ProgressDelay, width)
		defer prog.Close()
		logOut = prog
	}
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	var logger *slog.Logger
	if cfg.LogFormat == "json" {
		logger = slog.New(slog.NewJSONHandler(logOut, opts))
	} else {
		logger = slog.New(slog.NewTextHandler(logOut, opts))
	}
	harness.TuneGC()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	switch cfg.Command {
	case "up":
		return up(ctx, cfg, logger, stdout, stderr)
	case "run":
		return runScenarios(ctx, cfg, logger, prog, stdout, stderr)
	case "validate":
		return validate(cfg, stdout, stderr)
	case "health":
		return health(ctx, cfg, stdout, stderr)
	case "bench":
		return runBench(ctx, cfg, logger, stdout, stderr)
	case "core":
		return runCore(ctx, cfg, logger, stdout, stderr)
	}
	return 2
}

// health asks a running tgsim up for /_tgsim/health. It is the image's
// HEALTHCHECK: a FROM scratch image has no curl, so the binary asks itself.
func health(ctx context.Context, cfg Config, stdout, stderr io.Writer) int {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	host, port, err := net.SplitHostPort(cfg.Addr)
	if err != nil {
		fmt.Fprintf(stderr, "tgsim health: --addr %q: %v\n", cfg.Addr, err)
		return 2
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1" // up listening on every address answers on loopback
	}
	url := "http://" + net.JoinHostPort(host, port) + "/_tgsim/health"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		fmt.Fprintln(stderr, "tgsim health:", err)
		return 2
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Fprintln(stderr, "tgsim health:", err)
		return 1
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintf(stderr, "tgsim health: %s answered %s\n", url, resp.Status)
		return 1
	}
	fmt.Fprintln(stdout, "ok", url)
	return 0
}

func up(ctx context.Context, cfg Config, logger *slog.Logger, stdout, stderr io.Writer) int {
	h, err := harness.Start(harness.Options{
		Addr: cfg.Addr, DiscoveryAddr: cfg.DiscoveryAddr, IoTDataAddr: cfg.IoTDataAddr, IoTDataAdvertise: cfg.IoTDataAdvertise,
		AccountID: cfg.AccountID, Region: cfg.Region,
		AccessKeyID: cfg.AccessKeyID, SecretAccessKey: cfg.SecretAccessKey, IAM: cfg.IAM, Logger: logger,
		AutoCores: cfg.AutoCores, CoreTLS: !cfg.CorePlaintext, DataDir: cfg.DataDir,
	})
	if err != nil {
		fmt.Fprintln(stderr, "tgsim up:", err)
		return 1
	}
	caFile, err := writeRootCA(cfg.DataDir, h.IoTDataCAPEM())
	if err != nil {
		// Not fatal: a FROM scratch image has no /tmp unless one is
		// mounted. Devices can still get the CA from a --data directory.
		logger.Warn("the IoT data plane's root CA was not written out", "error", err)
		caFile = "(not written: " + err.Error() + ")"
	}
	coresNote := `a Greengrass core starts for each group that gets a deployment; the health
  body lists each core's MQTT address (mutual TLS: a device presents its AWS IoT
  certificate and trusts the group CA; client id = thing name)`
	if !cfg.AutoCores {
		coresNote = "no Greengrass core starts here (--auto-cores=false): run tgsim core --group NAME --endpoint " + h.URL
	}
	dataPlane := h.IoTData.Addr()
	if cfg.IoTDataAdvertise != "" {
		dataPlane += ", advertised to other hosts as " + cfg.IoTDataAdvertise + " (iot DescribeEndpoint); root CA also at " + h.URL + harness.IoTRootCAPath
	}
	fmt.Fprintf(stdout, `tgsim is serving iotthingsgraph, s3, greengrass, iot, iot-data, iam and sts at %s
  export AWS_ACCESS_KEY_ID=%s AWS_SECRET_ACCESS_KEY=%s AWS_REGION=%s
  aws --endpoint-url %s s3 ls
  account %s; IAM %s; health: %s/_tgsim/health; stop with Ctrl-C
  %s
  Greengrass discovery (mutual TLS with a device's IoT certificate): %s/greengrass/discover/thing/NAME
  AWS IoT Core data plane (MQTT, mutual TLS, IoT policies): %s
    trust %s as devices trust Amazon Root CA 1
`, h.URL, cfg.AccessKeyID, cfg.SecretAccessKey, cfg.Region, h.URL, cfg.AccountID, cfg.IAM, h.URL, coresNote, h.DiscoveryURL, dataPlane, caFile)
	if cfg.DataDir != "" {
		fmt.Fprintf(stdout, "  state is kept in %s\n", cfg.DataDir)
	}
	<-ctx.Done()
	logger.Info("stopping")
	if err := h.Close(); err != nil {
		fmt.Fprintln(stderr, "tgsim up: shutdown:", err)
		return 1
	}
	return 0
}

// writeRootCA writes the IoT data plane's root CA certificate where a
// device (mosquitto --cafile) can read it: DIR/iot-data-root-ca.pem with
// --data, else a file in the temporary directory.
func writeRootCA(dir string, pemBytes []byte) (string, error) {
	if dir != "" {
		p := filepath.Join(dir, "iot-data-root-ca.pem")
		return p, os.WriteFile(p, pemBytes, 0o644)
	}
	f, err := os.CreateTemp("", "tgsim-iot-data-root-ca-*.pem")
	if err != nil {
		return "", err
	}
	defer f.Close()
	_, err = f.Write(pemBytes)
	return f.Name(), err
}

// expandPaths turns directories into the *.yaml files inside them.
func expandPaths(args []string) ([]string, error) {
	var out []string
	for _, a := range args {
		st, err := os.Stat(a)
		if err != nil {
			return nil, err
		}
		if !st.IsDir() {
			out = append(out, a)
			continue
		}
		matches, err := filepath.Glob(filepath.Join(a, "*.yaml"))
		if err != nil {
			return nil, err
		}
		sort.Strings(matches)
		out = append(out, matches...)
	}
	return out, nil
}

func runScenarios(ctx context.Context, cfg Config, logger *slog.Logger, prog *scenario.Progress, stdout, stderr io.Writer) int {
	start := time.Now()
	paths, err := expandPaths(cfg.Args)
	if err != nil {
		fmt.Fprintln(stderr, "tgsim run:", err)
		return 2
	}
	if len(paths) == 0 {
		fmt.Fprintln(stderr, "tgsim run: no scenario files found in", strings.Join(cfg.Args, " "))
		return 2
	}
	var reports []*scenario.Report
	for _, p := range paths {
		files, err := scenario.LoadAll(p)
		if err != nil {
			if !cfg.JSON {
				fmt.Fprintf(stdout, "FAIL  %s\n      FAIL invalid scenario: %v\n", p, err)
			}
			reports = append(reports, &scenario.Report{Name: p, Path: p, Err: fmt.Errorf("invalid scenario: %w", err)})
			continue
		}
		for _, f := range files {
			opts := scenario.Options{Logger: logger}
			if prog != nil {
				opts.Progress = prog.Update
			}
			rep := scenario.Run(ctx, f, opts)
			prog.Done()
			if !cfg.JSON {
				rep.Print(stdout)
			}
			reports = append(reports, rep)
		}
	}
	wall := time.Since(start)
	failed := 0
	for _, r := range reports {
		if !r.Passed() {
			failed++
		}
	}
	if cfg.JSON {
		if err := scenario.WriteJSON(stdout, reports, wall); err != nil {
			fmt.Fprintln(stderr, "tgsim run: --json:", err)
			return 2
		}
	} else {
		fmt.Fprintf(stdout, "\n%d scenario(s), %d passed, %d failed, wall time %s\n", len(reports), len(reports)-failed, failed, wall.Round(time.Millisecond))
	}
	if cfg.JUnit != "" {
		if err := writeJUnit(cfg.JUnit, reports, wall); err != nil {
			fmt.Fprintln(stderr, "tgsim run: --junit:", err)
			return 2
		}
	}
	if failed > 0 {
		return 1
	}
	return 0
}

func writeJUnit(path string, reports []*scenario.Report, wall time.Duration) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := scenario.WriteJUnit(f, reports, wall); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// validate checks scenario files one by one, and TDM files together (a
// flow may use entities another file defines), with the checks and
// messages the Things Graph service gives an upload.
func validate(cfg Config, stdout, stderr io.Writer) int {
	bad := 0
	var docs []thingsgraph.Document
	for _, p := range cfg.Args {
		switch strings.ToLower(filepath.Ext(p)) {
		case ".json":
			b, err := os.ReadFile(p)
			if err != nil {
				fmt.Fprintf(stdout, "%s: %v\n", p, err)
				bad++
				continue
			}
			errs, warnings := checkPolicy(p, string(b))
			for _, m := range append(errs, warnings...) {
				fmt.Fprintln(stdout, m)
			}
			if len(errs) > 0 {
				bad++
			} else {
				fmt.Fprintf(stdout, "%s: ok\n", p)
			}
		case ".yaml", ".yml":
			if _, err := scenario.LoadAll(p); err != nil {
				fmt.Fprintf(stdout, "%s: %v\n", p, err)
				bad++
			} else {
				fmt.Fprintf(stdout, "%s: ok\n", p)
			}
		default:
			b, err := os.ReadFile(p)
			if err != nil {
				fmt.Fprintf(stdout, "%s: %v\n", p, err)
				bad++
				continue
			}
			docs = append(docs, thingsgraph.Document{Name: p, Text: string(b)})
		}
	}
	if len(docs) > 0 {
		problems := thingsgraph.ValidateDocuments(docs, cfg.Region, cfg.AccountID)
		failed := map[string]bool{}
		for _, pr := range problems {
			fmt.Fprintln(stdout, pr.String())
			if !pr.Warning {
				failed[pr.Document] = true
			}
		}
		for _, d := range docs {
			if failed[d.Name] {
				bad++
			} else {
				fmt.Fprintf(stdout, "%s: ok\n", d.Name)
			}
		}
	}
	if bad > 0 {
		return 1
	}
	return 0
}

// canRedraw reports whether w is a terminal that can redraw a line: a
// character device (isTerminal), and TERM is not "dumb".
func canRedraw(w io.Writer, getenv func(string) string) bool {
	f, ok := w.(*os.File)
	return ok && getenv("TERM") != "dumb" && isTerminal(f)
}
