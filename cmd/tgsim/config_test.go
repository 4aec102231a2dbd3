package main

import (
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tgsim/tgsim/fakes/edge"
)

func TestLoad(t *testing.T) {
	t.Parallel()
	def := Config{Addr: "127.0.0.1:4566", DiscoveryAddr: "127.0.0.1:8443", IoTDataAddr: "127.0.0.1:8883", AccountID: "000000000000", Region: "us-east-1", AccessKeyID: "test", SecretAccessKey: "test", LogFormat: "text", IAM: edge.ModeEnforce}
	with := func(f func(*Config)) Config {
		c := def
		f(&c)
		if c.Command == "up" {
			c.AutoCores = true // up's default
		}
		return c
	}
	core := func(f func(*Config)) Config {
		c := def
		c.Command, c.LogLevel, c.Args = "core", slog.LevelInfo, []string{}
		c.Core = CoreConfig{Group: "g", Endpoint: "http://10.0.0.5:4566", MQTTAddr: "127.0.0.1:8884"}
		f(&c)
		return c
	}
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		want    Config
		wantErr string // substring; "" means success
		usage   bool
	}{
		{name: "up defaults", args: []string{"up"}, want: with(func(c *Config) { c.Command = "up"; c.LogLevel = slog.LevelInfo; c.Args = []string{} })},
		{name: "run file", args: []string{"run", "a.yaml"}, want: with(func(c *Config) { c.Command = "run"; c.LogLevel = slog.LevelWarn; c.Args = []string{"a.yaml"} })},
		{name: "env beats default", args: []string{"up"}, env: map[string]string{"TGSIM_ADDR": "127.0.0.1:9", "TGSIM_REGION": "eu-west-1"},
			want: with(func(c *Config) {
				c.Command = "up"
				c.LogLevel = slog.LevelInfo
				c.Args = []string{}
				c.Addr = "127.0.0.1:9"
				c.Region = "eu-west-1"
			})},
		{name: "flag beats env", args: []string{"up", "--addr", "127.0.0.1:7"}, env: map[string]string{"TGSIM_ADDR": "127.0.0.1:9"},
			want: with(func(c *Config) {
				c.Command = "up"
				c.LogLevel = slog.LevelInfo
				c.Args = []string{}
				c.Addr = "127.0.0.1:7"
			})},
		{name: "log level and json", args: []string{"up", "--log-level", "debug", "--log-format", "json"},
			want: with(func(c *Config) {
				c.Command = "up"
				c.LogLevel = slog.LevelDebug
				c.Args = []string{}
				c.LogFormat = "json"
			})},
		{name: "bench defaults", args: []string{"bench"}, want: with(func(c *Config) {
			c.Command = "bench"
			c.LogLevel = slog.LevelWarn
			c.Args = []string{}
			c.Bench = BenchConfig{Rooms: 10, Rate: 100, Duration: 10 * time.Second, ShardIndex: 0, ShardCount: 1}
		})},
		{name: "bench flags", args: []string{"bench", "--rooms", "3", "--rate", "500", "--duration", "2s", "--html", "r.html", "--json", "--shard", "1/4"},
			want: with(func(c *Config) {
				c.Command = "bench"
				c.LogLevel = slog.LevelWarn
				c.Args = []string{}
				c.JSON = true
				c.Bench = BenchConfig{Rooms: 3, Rate: 500, Duration: 2 * time.Second, HTML: "r.html", ShardIndex: 1, ShardCount: 4}
			})},
		{name: "bench bad shard", args: []string{"bench", "--shard", "4/4"}, wantErr: `--shard "4/4": expected i/n with 0 <= i < n`},
		{name: "bench bad rate", args: []string{"bench", "--rate", "0"}, wantErr: "--rate 0: events per second must be positive"},
		{name: "bench flags elsewhere", args: []string{"up", "--rooms", "3"}, wantErr: "--rooms: only tgsim bench takes it"},
		{name: "no command", args: nil, usage: true, wantErr: "usage"},
		{name: "unknown command", args: []string{"fly"}, usage: true, wantErr: `unknown command "fly"`},
		{name: "run needs a file", args: []string{"run"}, usage: true, wantErr: "at least one file"},
		{name: "bad account", args: []string{"up", "--account", "12"}, wantErr: "12 digits"},
		{name: "bad level", args: []string{"up", "--log-level", "loud"}, wantErr: "--log-level"},
		{name: "bad format", args: []string{"up", "--log-format", "xml"}, wantErr: "--log-format"},
		{name: "iam soft from env", args: []string{"up"}, env: map[string]string{"TGSIM_IAM": "soft"},
			want: with(func(c *Config) {
				c.Command = "up"
				c.LogLevel = slog.LevelInfo
				c.Args = []string{}
				c.IAM = edge.ModeSoft
			})},
		{name: "plain TCP cores on request", args: []string{"up", "--core-plaintext"},
			want: with(func(c *Config) {
				c.Command = "up"
				c.LogLevel = slog.LevelInfo
				c.Args = []string{}
				c.CorePlaintext = true
			})},
		{name: "bad iam mode", args: []string{"up", "--iam", "maybe"}, wantErr: "expected off, soft or enforce"},
		{name: "unknown flag", args: []string{"up", "--nope"}, usage: true, wantErr: "flag provided but not defined"},
		{name: "run json", args: []string{"run", "--json", "scenarios"},
			want: with(func(c *Config) {
				c.Command = "run"
				c.LogLevel = slog.LevelWarn
				c.Args = []string{"scenarios"}
				c.JSON = true
			})},
		{name: "run junit", args: []string{"run", "--junit", "out/report.xml", "a.yaml", "b.yaml"},
			want: with(func(c *Config) {
				c.Command = "run"
				c.LogLevel = slog.LevelWarn
				c.Args = []string{"a.yaml", "b.yaml"}
				c.JUnit = "out/report.xml"
			})},
		{name: "run json and junit=", args: []string{"run", "--junit=r.xml", "--json", "a.yaml"},
			want: with(func(c *Config) {
				c.Command = "run"
				c.LogLevel = slog.LevelWarn
				c.Args = []string{"a.yaml"}
				c.JSON = true
				c.JUnit = "r.xml"
			})},
		{name: "health at an address", args: []string{"health", "--addr", "0.0.0.0:4566"}, want: with(func(c *Config) {
			c.Command = "health"
			c.LogLevel = slog.LevelWarn
			c.Args = []string{}
			c.Addr = "0.0.0.0:4566"
		})},
		{name: "health takes no files", args: []string{"health", "x"}, wantErr: "tgsim health takes no arguments", usage: true},
		{name: "json is for run only", args: []string{"up", "--json"}, wantErr: "--json: only tgsim run writes reports"},
		{name: "junit is for run only", args: []string{"validate", "--junit", "r.xml", "a.yaml"}, wantErr: "--junit: only tgsim run writes reports"},
		{name: "junit needs a file", args: []string{"run", "--junit=", "a.yaml"}, wantErr: "--junit needs a file name"},
		{name: "data dir flag", args: []string{"up", "--data", "/tmp/tg"},
			want: with(func(c *Config) {
				c.Command = "up"
				c.LogLevel = slog.LevelInfo
				c.Args = []string{}
				c.DataDir = "/tmp/tg"
			})},
		{name: "data dir from env", args: []string{"up"}, env: map[string]string{"TGSIM_DATA_DIR": "/var/tg"},
			want: with(func(c *Config) {
				c.Command = "up"
				c.LogLevel = slog.LevelInfo
				c.Args = []string{}
				c.DataDir = "/var/tg"
			})},
		{name: "data flag beats env", args: []string{"up", "--data=/a"}, env: map[string]string{"TGSIM_DATA_DIR": "/b"},
			want: with(func(c *Config) {
				c.Command = "up"
				c.LogLevel = slog.LevelInfo
				c.Args = []string{}
				c.DataDir = "/a"
			})},
		{name: "data env ignored by run", args: []string{"run", "a.yaml"}, env: map[string]string{"TGSIM_DATA_DIR": "/b"},
			want: with(func(c *Config) { c.Command = "run"; c.LogLevel = slog.LevelWarn; c.Args = []string{"a.yaml"} })},
		{name: "data is for up only", args: []string{"run", "--data", "/a", "a.yaml"}, wantErr: "--data: only tgsim up keeps state"},
		{name: "data needs a directory", args: []string{"up", "--data="}, wantErr: "--data needs a directory"},
		{name: "core defaults", args: []string{"core", "--group", "g", "--endpoint", "http://10.0.0.5:4566"}, want: core(func(*Config) {})},
		{name: "core flags", args: []string{"core", "--group", "g", "--endpoint", "http://10.0.0.5:4566", "--mqtt-addr", "0.0.0.0:9883",
			"--advertise-host", "pi.local", "--core-plaintext", "--access-key", "AK", "--secret-key", "SK", "--region", "eu-west-1", "--log-level", "debug"},
			want: core(func(c *Config) {
				c.Core.MQTTAddr, c.Core.AdvertiseHost, c.CorePlaintext = "0.0.0.0:9883", "pi.local", true
				c.AccessKeyID, c.SecretAccessKey, c.Region, c.LogLevel = "AK", "SK", "eu-west-1", slog.LevelDebug
			})},
		{name: "core from env", args: []string{"core"}, env: map[string]string{"TGSIM_CORE_GROUP": "g", "TGSIM_ENDPOINT": "http://10.0.0.5:4566", "TGSIM_CORE_MQTT_ADDR": "127.0.0.1:1"},
			want: core(func(c *Config) { c.Core.MQTTAddr = "127.0.0.1:1" })},
		{name: "core needs a group", args: []string{"core", "--endpoint", "http://127.0.0.1:4566"}, usage: true, wantErr: "tgsim core needs --group NAME"},
		{name: "core needs an endpoint", args: []string{"core", "--group", "g"}, usage: true, wantErr: "tgsim core needs --endpoint URL"},
		{name: "core endpoint is a URL", args: []string{"core", "--group", "g", "--endpoint", "127.0.0.1:4566"}, wantErr: `--endpoint "127.0.0.1:4566": expected a URL`},
		{name: "core mqtt address", args: []string{"core", "--group", "g", "--endpoint", "http://h:1", "--mqtt-addr", "8884"}, wantErr: `--mqtt-addr "8884": expected host:port`},
		{name: "core takes no files", args: []string{"core", "--group", "g", "--endpoint", "http://h:1", "x"}, usage: true, wantErr: "tgsim core takes no arguments"},
		{name: "group is for core and bench only", args: []string{"up", "--group", "g"}, wantErr: "--group: only tgsim core and tgsim bench take it"},
		{name: "bench remote", args: []string{"bench", "--endpoint", "http://cloud:4566", "--group", "home", "--shard", "1/2",
			"--discovery-url", "https://cloud:8443", "--prefix", "F1", "--cloud-route"},
			want: with(func(c *Config) {
				c.Command = "bench"
				c.LogLevel = slog.LevelWarn
				c.Args = []string{}
				c.Bench = BenchConfig{Rooms: 10, Rate: 100, Duration: 10 * time.Second, ShardIndex: 1, ShardCount: 2,
					Endpoint: "http://cloud:4566", Group: "home", DiscoveryURL: "https://cloud:8443", Prefix: "F1", CloudRoute: true}
			})},
		{name: "bench remote from env", args: []string{"bench"}, env: map[string]string{"TGSIM_ENDPOINT": "http://cloud:4566", "TGSIM_CORE_GROUP": "home"},
			want: with(func(c *Config) {
				c.Command = "bench"
				c.LogLevel = slog.LevelWarn
				c.Args = []string{}
				c.Bench = BenchConfig{Rooms: 10, Rate: 100, Duration: 10 * time.Second, ShardCount: 1, Endpoint: "http://cloud:4566", Group: "home"}
			})},
		{name: "bench ignores a core's group alone", args: []string{"bench"}, env: map[string]string{"TGSIM_CORE_GROUP": "home"},
			want: with(func(c *Config) {
				c.Command = "bench"
				c.LogLevel = slog.LevelWarn
				c.Args = []string{}
				c.Bench = BenchConfig{Rooms: 10, Rate: 100, Duration: 10 * time.Second, ShardCount: 1}
			})},
		{name: "bench remote needs a group", args: []string{"bench", "--endpoint", "http://cloud:4566"}, usage: true, wantErr: "tgsim bench --endpoint needs --group NAME"},
		{name: "bench endpoint is a URL", args: []string{"bench", "--endpoint", "cloud:4566", "--group", "g"}, wantErr: `--endpoint "cloud:4566": expected a URL`},
		{name: "bench discovery is https", args: []string{"bench", "--endpoint", "http://cloud:4566", "--group", "g", "--discovery-url", "http://cloud:8443"},
			wantErr: `--discovery-url "http://cloud:8443": expected a URL such as https://cloud:8443`},
		{name: "cloud-route needs an endpoint", args: []string{"bench", "--cloud-route"}, wantErr: "need --endpoint"},
		{name: "cloud-route is for bench only", args: []string{"up", "--cloud-route"}, wantErr: "--cloud-route: only tgsim bench takes it"},
		{name: "up advertises the data plane", args: []string{"up", "--iot-data-advertise", "cloud"},
			want: with(func(c *Config) {
				c.Command = "up"
				c.LogLevel = slog.LevelInfo
				c.Args = []string{}
				c.IoTDataAdvertise = "cloud"
			})},
		{name: "advertise from env, with port", args: []string{"up"}, env: map[string]string{"TGSIM_IOT_DATA_ADVERTISE": "cloud:18883"},
			want: with(func(c *Config) {
				c.Command = "up"
				c.LogLevel = slog.LevelInfo
				c.Args = []string{}
				c.IoTDataAdvertise = "cloud:18883"
			})},
		{name: "advertise an IPv6 address", args: []string{"up", "--iot-data-advertise", "[fd00::1]"},
			want: with(func(c *Config) {
				c.Command = "up"
				c.LogLevel = slog.LevelInfo
				c.Args = []string{}
				c.IoTDataAdvertise = "[fd00::1]"
			})},
		{name: "advertise IPv6 without brackets", args: []string{"up", "--iot-data-advertise", "fd00::1"}, wantErr: "an IPv6 address without brackets"},
		{name: "advertise a bad port", args: []string{"up", "--iot-data-advertise", "cloud:0"}, wantErr: `port "0" is not 1-65535`},
		{name: "advertise a URL", args: []string{"up", "--iot-data-advertise", "mqtts://cloud"}, wantErr: "expected HOST or HOST:PORT"},
		{name: "advertise is for up only", args: []string{"core", "--group", "g", "--endpoint", "http://h:1", "--iot-data-advertise", "c"}, wantErr: "--iot-data-advertise: only tgsim up"},
		{name: "advertise env ignored by core", args: []string{"core", "--group", "g", "--endpoint", "http://10.0.0.5:4566"}, env: map[string]string{"TGSIM_IOT_DATA_ADVERTISE": "cloud"},
			want: core(func(*Config) {})},
		{name: "core's data endpoint", args: []string{"core", "--group", "g", "--endpoint", "http://10.0.0.5:4566", "--iot-data-endpoint", "cloud:8883"},
			want: core(func(c *Config) { c.Core.IoTDataEndpoint = "cloud:8883" })},
		{name: "core's data endpoint needs a port", args: []string{"core", "--group", "g", "--endpoint", "http://h:1", "--iot-data-endpoint", "cloud"}, wantErr: `--iot-data-endpoint "cloud": expected host:port`},
		{name: "data endpoint is for core only", args: []string{"bench", "--iot-data-endpoint", "c:1"}, wantErr: "--iot-data-endpoint: only tgsim core takes it"},
		{name: "mqtt-addr is for core only", args: []string{"bench", "--mqtt-addr", "127.0.0.1:1"}, wantErr: "--mqtt-addr: only tgsim core takes it"},
		{name: "core env ignored by up", args: []string{"up"}, env: map[string]string{"TGSIM_CORE_GROUP": "g", "TGSIM_ENDPOINT": "http://h:1"},
			want: with(func(c *Config) { c.Command = "up"; c.LogLevel = slog.LevelInfo; c.Args = []string{} })},
		{name: "up without cores", args: []string{"up", "--auto-cores=false"}, want: func() Config {
			c := with(func(c *Config) { c.Command = "up"; c.LogLevel = slog.LevelInfo; c.Args = []string{} })
			c.AutoCores = false
			return c
		}()},
		{name: "up without cores from env", args: []string{"up"}, env: map[string]string{"TGSIM_AUTO_CORES": "false"}, want: func() Config {
			c := with(func(c *Config) { c.Command = "up"; c.LogLevel = slog.LevelInfo; c.Args = []string{} })
			c.AutoCores = false
			return c
		}()},
		{name: "auto-cores is for up only", args: []string{"core", "--group", "g", "--endpoint", "http://h:1", "--auto-cores=false"}, wantErr: "--auto-cores: only tgsim up"},
		{name: "junit without value", args: []string{"run", "--junit"}, usage: true, wantErr: "flag needs an argument"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := Load(tt.args, func(k string) string { return tt.env[k] })
			if tt.wantErr != "" {
				if err == nil || !contains(err.Error(), tt.wantErr) {
					t.Fatalf("Load(%q) error = %v, want it to contain %q", tt.args, err, tt.wantErr)
				}
				if errors.Is(err, errUsage) != tt.usage {
					t.Errorf("Load(%q) usage error = %v, want %v", tt.args, errors.Is(err, errUsage), tt.usage)
				}
				return
			}
			if err != nil {
				t.Fatalf("Load(%q) = %v", tt.args, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Load(%q) mismatch (-want +got):\n%s", tt.args, diff)
			}
		})
	}
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}
