package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/tgsim/tgsim/sim/bench"
	"github.com/tgsim/tgsim/sim/harness"
)

// runBench is tgsim bench: an in-process world with one core over mutual
// TLS, the rooms deployed through the official clients, then the load;
// with --endpoint, the same against a remote tgsim up and its tgsim core.
func runBench(ctx context.Context, cfg Config, logger *slog.Logger, stdout, stderr io.Writer) int {
	b := cfg.Bench
	opts := bench.Options{Rooms: b.Rooms, Rate: b.Rate, Duration: b.Duration, ShardIndex: b.ShardIndex, ShardCount: b.ShardCount}
	if f, ok := stderr.(*os.File); ok && isTerminal(f) && !cfg.JSON {
		opts.Progress = stderr
	}
	var res *bench.Result
	var err error
	if b.Endpoint != "" {
		awsCfg := aws.Config{Region: cfg.Region, Credentials: credentials.NewStaticCredentialsProvider(cfg.AccessKeyID, cfg.SecretAccessKey, "")}
		res, err = bench.RunRemote(ctx, bench.Remote{Endpoint: b.Endpoint, AWS: awsCfg, Group: b.Group, DiscoveryURL: b.DiscoveryURL,
			Prefix: b.Prefix, CloudRoute: b.CloudRoute}, opts)
	} else {
		var h *harness.Harness
		h, err = harness.Start(harness.Options{AccountID: cfg.AccountID, Region: cfg.Region, AccessKeyID: cfg.AccessKeyID,
			SecretAccessKey: cfg.SecretAccessKey, IAM: cfg.IAM, Logger: logger, CoreTLS: !cfg.CorePlaintext})
		if err != nil {
			fmt.Fprintln(stderr, "tgsim bench:", err)
			return 1
		}
		defer h.Close()
		res, err = bench.Run(ctx, h, opts)
	}
	if err != nil {
		fmt.Fprintln(stderr, "tgsim bench:", err)
		return 1
	}
	if cfg.JSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(res); err != nil {
			fmt.Fprintln(stderr, "tgsim bench:", err)
			return 1
		}
	} else {
		fmt.Fprint(stdout, res.Table())
	}
	if b.HTML != "" {
		f, err := os.Create(b.HTML)
		if err == nil {
			err = res.WriteHTML(f)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
		}
		if err != nil {
			fmt.Fprintln(stderr, "tgsim bench: html report:", err)
			return 1
		}
		if !cfg.JSON {
			fmt.Fprintf(stdout, "  HTML report: %s\n", b.HTML)
		}
	}
	if res.Lost > 0 || res.Failed > 0 || res.PublishErrors > 0 {
		return 1
	}
	return 0
}

// isTerminal reports whether f is a character device (a terminal), for the
// live progress line.
func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
