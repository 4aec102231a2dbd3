package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/tgsim/tgsim/sim/harness"
)

// runCore is `tgsim core`: one Greengrass core, with the Things Graph
// runtime, in this process, following the group's deployments on the tgsim
// up at --endpoint through the SDK and tgsim's core channel only, until
// SIGINT or SIGTERM.
func runCore(ctx context.Context, cfg Config, logger *slog.Logger, stdout, stderr io.Writer) int {
	awsCfg := aws.Config{
		Region:      cfg.Region,
		Credentials: credentials.NewStaticCredentialsProvider(cfg.AccessKeyID, cfg.SecretAccessKey, ""),
	}
	cc := cfg.Core
	logger.Info("starting core", "group", cc.Group, "endpoint", cc.Endpoint, "mqtt_addr", cc.MQTTAddr)
	sc, err := harness.StartStandaloneCore(ctx, harness.StandaloneCoreOptions{
		Group: cc.Group, Endpoint: cc.Endpoint, AWS: awsCfg, MQTTAddr: cc.MQTTAddr, Plaintext: cfg.CorePlaintext,
		AdvertiseHost: cc.AdvertiseHost, IoTDataEndpoint: cc.IoTDataEndpoint, Logger: logger,
	})
	if err != nil {
		if ctx.Err() != nil {
			return 0 // stopped while waiting for the group
		}
		fmt.Fprintln(stderr, "tgsim core:", err)
		return 1
	}
	mode := "mutual TLS (server certificate from the group CA; a device presents its AWS IoT certificate, client id = thing name)"
	if cfg.CorePlaintext {
		mode = "plain TCP"
	}
	cloud := "AWS IoT Core found through iot DescribeEndpoint"
	if cc.IoTDataEndpoint != "" {
		cloud = "AWS IoT Core at " + cc.IoTDataEndpoint
	}
	fmt.Fprintf(stdout, "tgsim core for group %s (%s) serving MQTT at %s, %s; following %s; cloud route to %s as %s; stop with Ctrl-C\n",
		cc.Group, sc.GroupID, sc.MQTTAddr(), mode, cc.Endpoint, cloud, harness.CoreClientID(cc.Group))
	select {
	case <-ctx.Done():
		logger.Info("stopping")
	case <-sc.Done():
	}
	if err := sc.Close(); err != nil {
		fmt.Fprintln(stderr, "tgsim core:", err)
		return 1
	}
	return 0
}
