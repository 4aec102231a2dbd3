package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/tgsim/tgsim/fakes/edge"
	"github.com/tgsim/tgsim/sim/harness"
)

// Config is everything the CLI reads from flags and the environment.
// Flag beats env (TGSIM_*), env beats default.
type Config struct {
	Command string
	Args    []string

	Addr          string
	DiscoveryAddr string
	IoTDataAddr   string
	// IoTDataAdvertise is the data plane's address as other hosts reach
	// it (up: DescribeEndpoint's answer and a name in its certificate).
	IoTDataAdvertise string
	AccountID        string
	Region           string
	AccessKeyID      string
	SecretAccessKey  string
	LogLevel         slog.Level
	LogFormat        string // text or json
	CorePlaintext    bool   // cores accept plain TCP instead of mutual TLS
	IAM              edge.Mode
	// AutoCores makes `up` start a core for each group that gets a
	// deployment (default true).
	AutoCores bool
	// DataDir, when set, is where `up` keeps its state across restarts.
	DataDir string

	// JSON makes `run` print one JSON document instead of the readable report.
	JSON bool
	// JUnit, when set, is where `run` also writes a JUnit XML report.
	JUnit string

	// Bench is what `bench` drives.
	Bench BenchConfig
	// Core is what `core` runs.
	Core CoreConfig
}

// CoreConfig holds the flags of tgsim core.
type CoreConfig struct {
	Group         string // the Greengrass group's name
	Endpoint      string // URL of the running tgsim up
	MQTTAddr      string // where devices connect
	AdvertiseHost string // published for discovery; "" = derived from MQTTAddr
	// IoTDataEndpoint is AWS IoT Core's data plane (host:port); "" asks
	// DescribeEndpoint.
	IoTDataEndpoint string
}

// BenchConfig holds the flags of tgsim bench.
type BenchConfig struct {
	Rooms                  int
	Rate                   float64
	Duration               time.Duration
	HTML                   string
	ShardIndex, ShardCount int
	// Endpoint, when set, is a remote tgsim up to bench (with Group).
	Endpoint, Group string
	DiscoveryURL    string
	Prefix          string
	CloudRoute      bool
}

const usage = `tgsim: AWS IoT Things Graph, Greengrass, IoT, S3 and IAM on your laptop, offline.

Usage:
  tgsim up [flags]              serve every fake AWS service behind one endpoint
  tgsim run [flags] FILE|DIR... run scenario files and print a report (exit 0 only if all pass)
  tgsim validate FILE...        check TDM (.graphql) files together, IAM policies (.json) and scenarios (.yaml), offline
  tgsim health [--addr ADDR]    exit 0 if the tgsim up at ADDR answers its health check (the image's HEALTHCHECK)
  tgsim bench [flags]           drive the guide's flow in many rooms and measure throughput and latency
  tgsim core --group NAME --endpoint URL [flags]
                                run one Greengrass core (with the Things Graph runtime) as its own
                                process, against the tgsim up at URL, for multi-host setups

Flags (env in brackets):
  --addr ADDR         edge listen address [TGSIM_ADDR] (default 127.0.0.1:4566)
  --discovery-addr A  Greengrass discovery API, mutual TLS [TGSIM_DISCOVERY_ADDR] (default 127.0.0.1:8443)
  --iot-data-addr A   AWS IoT Core MQTT data plane, mutual TLS [TGSIM_IOT_DATA_ADDR] (default 127.0.0.1:8883)
  --account ID        account id [TGSIM_ACCOUNT_ID] (default 000000000000)
  --region REGION     default region [TGSIM_REGION] (default us-east-1)
  --access-key ID     root access key id [TGSIM_ACCESS_KEY_ID] (default test)
  --secret-key KEY    root secret access key [TGSIM_SECRET_ACCESS_KEY] (default test)
  --log-level LEVEL   debug, info, warn, error [TGSIM_LOG_LEVEL] (default: info for up and core, warn otherwise)
  --log-format FMT    text or json [TGSIM_LOG_FORMAT] (default text)
  --core-plaintext    Greengrass cores accept plain TCP, not mutual TLS [TGSIM_CORE_PLAINTEXT=true]
  --iam MODE          off, soft or enforce [TGSIM_IAM] (default enforce): SigV4 and IAM on
                      every request; soft logs what would be denied and allows it

Flags of up:
  --auto-cores=false  do not start a Greengrass core for each group that gets a deployment
                      (cores run as tgsim core processes instead) [TGSIM_AUTO_CORES=false]
  --data DIR          keep Things Graph, IAM, IoT, Greengrass and S3 state in DIR across restarts
                      [TGSIM_DATA_DIR] (default: none, everything in memory)
  --iot-data-advertise HOST[:PORT]
                      the IoT data plane's address as other hosts reach it, e.g. cloud:8883:
                      iot DescribeEndpoint answers it, and the data plane's and discovery's
                      certificates name HOST [TGSIM_IOT_DATA_ADVERTISE] (default: --iot-data-addr)

Flags of run (before the files):
  --json              print one JSON document on stdout instead of the readable report:
                      {"scenarios":[{"name","path","passed","durationMs","error","checks":[...]}],
                       "passed","failed","wallTimeMs"}
  --junit FILE        also write a JUnit XML report to FILE (a testsuite per scenario file,
                      a testcase per check)

Flags of core (--access-key, --secret-key, --region, --log-* and --core-plaintext apply too):
  --group NAME        the Greengrass group this core serves; it waits for the group [TGSIM_CORE_GROUP]
  --endpoint URL      the tgsim up to follow, e.g. http://10.0.0.5:4566 [TGSIM_ENDPOINT]
  --mqtt-addr A       where devices connect, mutual TLS with a certificate from the group CA
                      [TGSIM_CORE_MQTT_ADDR] (default 127.0.0.1:8884: 8883 is tgsim up's IoT data plane;
                      use 0.0.0.0:PORT to serve other hosts)
  --advertise-host H  host published with UpdateConnectivityInfo for discovery and put in the
                      certificate [TGSIM_CORE_ADVERTISE_HOST] (default: the --mqtt-addr host, or this
                      machine's name when that is 0.0.0.0)
  --iot-data-endpoint H:P
                      AWS IoT Core's data plane the core connects to (MQTT, mutual TLS, with a
                      certificate the core provisions for its core thing) [TGSIM_IOT_DATA_ENDPOINT]
                      (default: iot DescribeEndpoint's answer)
  Start tgsim up with --auto-cores=false, or it also runs a core of its own for the group.

Flags of bench:
  --rooms N           flow configurations, each a motion sensor, a camera and a screen (default 10)
  --rate R            motion events per second over all rooms (default 100)
  --duration D        how long to drive them (default 10s)
  --html FILE         also write a self-contained HTML report with charts to FILE
  --json              print the figures as one JSON document instead of the table
  --shard i/n         drive only rooms r with r mod n == i, at rate/n (default 0/1)
  --endpoint URL      bench the tgsim up at URL instead of one in this process; its group is
                      served by a tgsim core elsewhere [TGSIM_ENDPOINT]
  --group NAME        with --endpoint: the Greengrass group to deploy the rooms to; shard 0
                      creates it when missing [TGSIM_CORE_GROUP]
  --discovery-url U   with --endpoint: the Greengrass discovery API (default https://HOST:8443,
                      HOST from iot DescribeEndpoint)
  --prefix P          with --endpoint: starts every room's name (default S<i>x + random letters)
  --cloud-route       with --endpoint: also route each motion sensor's events to AWS IoT Core
                      (each payload carries its room's "seq")
`

// errUsage asks main to print the usage and exit 2.
var errUsage = errors.New("usage")

// Load builds a Config from the arguments (without the program name) and an
// environment lookup. It reads nothing else.
func Load(args []string, getenv func(string) string) (Config, error) {
	if len(args) == 0 {
		return Config{}, errUsage
	}
	c := Config{Command: args[0]}
	switch c.Command {
	case "up", "run", "validate", "health", "bench", "core":
	case "help", "-h", "--help":
		return Config{}, errUsage
	default:
		return Config{}, fmt.Errorf("unknown command %q: %w", c.Command, errUsage)
	}
	env := func(key, def string) string {
		if v := getenv("TGSIM_" + key); v != "" {
			return v
		}
		return def
	}
	fs := flag.NewFlagSet("tgsim "+c.Command, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&c.Addr, "addr", env("ADDR", harness.DefaultAddr), "")
	fs.StringVar(&c.DiscoveryAddr, "discovery-addr", env("DISCOVERY_ADDR", harness.DefaultDiscoveryAddr), "")
	fs.StringVar(&c.IoTDataAddr, "iot-data-addr", env("IOT_DATA_ADDR", harness.DefaultIoTDataAddr), "")
	fs.StringVar(&c.IoTDataAdvertise, "iot-data-advertise", env("IOT_DATA_ADVERTISE", ""), "")
	fs.StringVar(&c.AccountID, "account", env("ACCOUNT_ID", harness.DefaultAccountID), "")
	fs.StringVar(&c.Region, "region", env("REGION", harness.DefaultRegion), "")
	fs.StringVar(&c.AccessKeyID, "access-key", env("ACCESS_KEY_ID", harness.DefaultAccessKeyID), "")
	fs.StringVar(&c.SecretAccessKey, "secret-key", env("SECRET_ACCESS_KEY", harness.DefaultSecretAccessKey), "")
	defLevel := "warn"
	if c.Command == "up" || c.Command == "core" {
		defLevel = "info"
	}
	level := fs.String("log-level", env("LOG_LEVEL", defLevel), "")
	fs.StringVar(&c.LogFormat, "log-format", env("LOG_FORMAT", "text"), "")
	iamMode := fs.String("iam", env("IAM", string(edge.ModeEnforce)), "")
	fs.BoolVar(&c.CorePlaintext, "core-plaintext", env("CORE_PLAINTEXT", "") == "true", "")
	fs.BoolVar(&c.JSON, "json", false, "")
	fs.StringVar(&c.JUnit, "junit", "", "")
	fs.StringVar(&c.DataDir, "data", env("DATA_DIR", ""), "")
	fs.BoolVar(&c.AutoCores, "auto-cores", env("AUTO_CORES", "true") != "false", "")
	fs.IntVar(&c.Bench.Rooms, "rooms", 10, "")
	fs.Float64Var(&c.Bench.Rate, "rate", 100, "")
	fs.DurationVar(&c.Bench.Duration, "duration", 10*time.Second, "")
	fs.StringVar(&c.Bench.HTML, "html", "", "")
	shard := fs.String("shard", "0/1", "")
	fs.StringVar(&c.Core.Group, "group", env("CORE_GROUP", ""), "")
	fs.StringVar(&c.Core.Endpoint, "endpoint", env("ENDPOINT", ""), "")
	fs.StringVar(&c.Core.MQTTAddr, "mqtt-addr", env("CORE_MQTT_ADDR", harness.DefaultStandaloneCoreAddr), "")
	fs.StringVar(&c.Core.AdvertiseHost, "advertise-host", env("CORE_ADVERTISE_HOST", ""), "")
	fs.StringVar(&c.Core.IoTDataEndpoint, "iot-data-endpoint", env("IOT_DATA_ENDPOINT", ""), "")
	fs.StringVar(&c.Bench.DiscoveryURL, "discovery-url", "", "")
	fs.StringVar(&c.Bench.Prefix, "prefix", "", "")
	fs.BoolVar(&c.Bench.CloudRoute, "cloud-route", false, "")
	if err := fs.Parse(args[1:]); err != nil {
		return Config{}, fmt.Errorf("tgsim %s: %v: %w", c.Command, err, errUsage)
	}
	var reportErr error
	fs.Visit(func(f *flag.Flag) {
		switch {
		case f.Name == "junit" && c.Command != "run", f.Name == "json" && c.Command != "run" && c.Command != "bench":
			reportErr = fmt.Errorf("--%s: only tgsim run writes reports", f.Name)
		case (f.Name == "rooms" || f.Name == "rate" || f.Name == "duration" || f.Name == "html" || f.Name == "shard" ||
			f.Name == "discovery-url" || f.Name == "prefix" || f.Name == "cloud-route") && c.Command != "bench":
			reportErr = fmt.Errorf("--%s: only tgsim bench takes it", f.Name)
		case (f.Name == "group" || f.Name == "endpoint") && c.Command != "core" && c.Command != "bench":
			reportErr = fmt.Errorf("--%s: only tgsim core and tgsim bench take it", f.Name)
		case (f.Name == "mqtt-addr" || f.Name == "advertise-host" || f.Name == "iot-data-endpoint") && c.Command != "core":
			reportErr = fmt.Errorf("--%s: only tgsim core takes it", f.Name)
		case f.Name == "iot-data-advertise" && c.Command != "up":
			reportErr = errors.New("--iot-data-advertise: only tgsim up serves the data plane")
		case f.Name == "junit" && c.JUnit == "":
			reportErr = errors.New("--junit needs a file name")
		case f.Name == "auto-cores" && c.Command != "up":
			reportErr = errors.New("--auto-cores: only tgsim up starts cores by itself")
		case f.Name == "data" && c.Command != "up":
			reportErr = errors.New("--data: only tgsim up keeps state")
		case f.Name == "data" && c.DataDir == "":
			reportErr = errors.New("--data needs a directory")
		}
	})
	if reportErr != nil {
		return Config{}, reportErr
	}
	c.Args = fs.Args()
	if c.Command != "up" {
		c.DataDir = "" // TGSIM_DATA_DIR is for up only; run and validate start fresh
		c.AutoCores = false
		c.IoTDataAdvertise = ""
	}
	if err := c.LogLevel.UnmarshalText([]byte(*level)); err != nil {
		return Config{}, fmt.Errorf("--log-level %q: expected debug, info, warn or error", *level)
	}
	mode, err := edge.ParseMode(*iamMode)
	if err != nil {
		return Config{}, fmt.Errorf("--iam: %v", err)
	}
	c.IAM = mode
	if c.LogFormat != "text" && c.LogFormat != "json" {
		return Config{}, fmt.Errorf("--log-format %q: expected text or json", c.LogFormat)
	}
	if len(c.AccountID) != 12 || strings.Trim(c.AccountID, "0123456789") != "" {
		return Config{}, fmt.Errorf("--account %q: an AWS account id is 12 digits", c.AccountID)
	}
	if c.Region == "" {
		return Config{}, errors.New("--region must not be empty")
	}
	if c.AccessKeyID == "" || c.SecretAccessKey == "" {
		return Config{}, errors.New("--access-key and --secret-key must not be empty")
	}
	if (c.Command == "run" || c.Command == "validate") && len(c.Args) == 0 {
		return Config{}, fmt.Errorf("tgsim %s needs at least one file: %w", c.Command, errUsage)
	}
	if c.Command != "bench" {
		c.Bench = BenchConfig{}
	} else {
		b := &c.Bench
		i, n, ok := strings.Cut(*shard, "/")
		si, err1 := strconv.Atoi(i)
		sn, err2 := strconv.Atoi(n)
		switch {
		case !ok || err1 != nil || err2 != nil || sn < 1 || si < 0 || si >= sn:
			return Config{}, fmt.Errorf("--shard %q: expected i/n with 0 <= i < n", *shard)
		case b.Rooms < 1:
			return Config{}, fmt.Errorf("--rooms %d: at least 1", b.Rooms)
		case b.Rate <= 0:
			return Config{}, fmt.Errorf("--rate %g: events per second must be positive", b.Rate)
		case b.Duration <= 0:
			return Config{}, fmt.Errorf("--duration %s: must be positive", b.Duration)
		case len(c.Args) > 0:
			return Config{}, fmt.Errorf("tgsim bench takes no arguments, found %q: %w", c.Args, errUsage)
		}
		b.ShardIndex, b.ShardCount = si, sn
		b.Endpoint, b.Group = c.Core.Endpoint, c.Core.Group
		if b.Endpoint == "" {
			b.Group = "" // TGSIM_CORE_GROUP alone is a core's setting
			if b.DiscoveryURL != "" || b.Prefix != "" || b.CloudRoute {
				return Config{}, errors.New("--discovery-url, --prefix and --cloud-route need --endpoint (a remote tgsim up)")
			}
		} else {
			if u, err := url.Parse(b.Endpoint); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				return Config{}, fmt.Errorf("--endpoint %q: expected a URL such as http://cloud:4566", b.Endpoint)
			}
			if b.Group == "" {
				return Config{}, fmt.Errorf("tgsim bench --endpoint needs --group NAME: %w", errUsage)
			}
			if u, err := url.Parse(b.DiscoveryURL); b.DiscoveryURL != "" && (err != nil || u.Scheme != "https" || u.Host == "") {
				return Config{}, fmt.Errorf("--discovery-url %q: expected a URL such as https://cloud:8443", b.DiscoveryURL)
			}
		}
	}
	if c.Command == "up" && c.IoTDataAdvertise != "" {
		if err := checkHostPort(c.IoTDataAdvertise); err != nil {
			return Config{}, fmt.Errorf("--iot-data-advertise %q: %v; expected HOST or HOST:PORT (an IPv6 host in brackets)", c.IoTDataAdvertise, err)
		}
	}
	if c.Command != "core" {
		c.Core = CoreConfig{}
	} else {
		cc := &c.Core
		switch {
		case cc.Group == "":
			return Config{}, fmt.Errorf("tgsim core needs --group NAME: %w", errUsage)
		case cc.Endpoint == "":
			return Config{}, fmt.Errorf("tgsim core needs --endpoint URL (a running tgsim up): %w", errUsage)
		case len(c.Args) > 0:
			return Config{}, fmt.Errorf("tgsim core takes no arguments, found %q: %w", c.Args, errUsage)
		}
		if u, err := url.Parse(cc.Endpoint); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return Config{}, fmt.Errorf("--endpoint %q: expected a URL such as http://127.0.0.1:4566", cc.Endpoint)
		}
		if _, _, err := net.SplitHostPort(cc.MQTTAddr); err != nil {
			return Config{}, fmt.Errorf("--mqtt-addr %q: expected host:port", cc.MQTTAddr)
		}
		if _, _, err := net.SplitHostPort(cc.IoTDataEndpoint); cc.IoTDataEndpoint != "" && err != nil {
			return Config{}, fmt.Errorf("--iot-data-endpoint %q: expected host:port", cc.IoTDataEndpoint)
		}
	}
	if c.Command == "health" && len(c.Args) > 0 {
		return Config{}, fmt.Errorf("tgsim health takes no arguments, found %q: %w", c.Args, errUsage)
	}
	return c, nil
}

// checkHostPort accepts HOST, HOST:PORT, [IPv6] and [IPv6]:PORT.
func checkHostPort(s string) error {
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		host, port = s, ""
		if strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
			host = s[1 : len(s)-1]
			if net.ParseIP(host) == nil {
				return fmt.Errorf("%q is not an IP address", host)
			}
		} else if strings.Contains(s, ":") {
			return errors.New("a port without a host, or an IPv6 address without brackets")
		}
	}
	if port != "" {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return fmt.Errorf("port %q is not 1-65535", port)
		}
	}
	if host == "" || strings.ContainsAny(host, "/ @?#") {
		return fmt.Errorf("host %q is not a host name or address", host)
	}
	return nil
}
