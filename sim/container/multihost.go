package container

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/wait"
)

// The multi-host topology: one container per part, all from the same
// image, as in docker-compose.yml. The cloud is Run with
// WithAutoCores(false) and WithArgs("--iot-data-advertise", NAME), NAME
// being its alias on the network the cores share with it; RunCore starts
// a Greengrass core that follows it, RunFleet a device fleet that deploys
// rooms to the core's group and drives them.

// CorePort is a `tgsim core`'s MQTT port (mutual TLS) in its container.
const CorePort = "8884/tcp"

// CoreOptions are the flags of `tgsim core`.
type CoreOptions struct {
	// Group is the Greengrass group the core serves; it waits for it.
	Group string
	// Endpoint is the cloud's edge as the core's container reaches it,
	// e.g. http://cloud:4566.
	Endpoint string
	// AdvertiseHost is the name devices reach the core by (published for
	// discovery and put in its certificate).
	AdvertiseHost string
}

// RunCore starts `tgsim core` from img, serving MQTT on CorePort, and
// returns once it runs (it may still be waiting for its group). opts
// attach it to networks (network.WithNetwork) and so on.
func RunCore(ctx context.Context, img string, o CoreOptions, opts ...testcontainers.ContainerCustomizer) (testcontainers.Container, error) {
	all := []testcontainers.ContainerCustomizer{
		testcontainers.WithCmd("core", "--group", o.Group, "--endpoint", o.Endpoint,
			"--mqtt-addr", "0.0.0.0:8884", "--advertise-host", o.AdvertiseHost),
		testcontainers.WithExposedPorts(CorePort),
		// The image's HEALTHCHECK asks for tgsim up's edge, which a core
		// has not.
		withoutHealthcheck(),
		testcontainers.WithWaitStrategy(wait.ForLog("starting core").WithStartupTimeout(30 * time.Second)),
	}
	c, err := testcontainers.Run(ctx, img, append(all, opts...)...)
	if err != nil {
		return c, fmt.Errorf("run tgsim core: %w", err)
	}
	return c, nil
}

// FleetOptions are the flags of `tgsim bench --endpoint`.
type FleetOptions struct {
	Endpoint, Group        string
	Rooms                  int
	Rate                   float64
	Duration               time.Duration
	ShardIndex, ShardCount int
	// CloudRoute also routes the motion events to AWS IoT Core.
	CloudRoute bool
}

// RunFleet starts `tgsim bench --endpoint ... --json` from img and returns
// once it runs; the bench prints its JSON report on stdout when done and
// the container exits (0 when every flow completed).
func RunFleet(ctx context.Context, img string, o FleetOptions, opts ...testcontainers.ContainerCustomizer) (testcontainers.Container, error) {
	if o.ShardCount == 0 {
		o.ShardCount = 1
	}
	args := []string{"bench", "--endpoint", o.Endpoint, "--group", o.Group, "--json",
		"--shard", fmt.Sprintf("%d/%d", o.ShardIndex, o.ShardCount)}
	if o.Rooms > 0 {
		args = append(args, "--rooms", strconv.Itoa(o.Rooms))
	}
	if o.Rate > 0 {
		args = append(args, "--rate", strconv.FormatFloat(o.Rate, 'f', -1, 64))
	}
	if o.Duration > 0 {
		args = append(args, "--duration", o.Duration.String())
	}
	if o.CloudRoute {
		args = append(args, "--cloud-route")
	}
	all := []testcontainers.ContainerCustomizer{testcontainers.WithCmd(args...), withoutHealthcheck()}
	c, err := testcontainers.Run(ctx, img, append(all, opts...)...)
	if err != nil {
		return c, fmt.Errorf("run tgsim bench: %w", err)
	}
	return c, nil
}

func withoutHealthcheck() testcontainers.CustomizeRequestOption {
	return testcontainers.WithConfigModifier(func(cfg *container.Config) {
		cfg.Healthcheck = &container.HealthConfig{Test: []string{"NONE"}}
	})
}

// Disconnect cuts a container off a network (docker network disconnect),
// as a pulled cable: its connections through that network go silent.
func Disconnect(ctx context.Context, c testcontainers.Container, networkName string) error {
	cli, err := testcontainers.NewDockerClientWithOpts(ctx)
	if err != nil {
		return err
	}
	defer cli.Close()
	_, err = cli.NetworkDisconnect(ctx, networkName, client.NetworkDisconnectOptions{Container: c.GetContainerID(), Force: true})
	return err
}

// Connect attaches a container to a network again (docker network
// connect), with the aliases it is known by there.
func Connect(ctx context.Context, c testcontainers.Container, networkName string, aliases ...string) error {
	cli, err := testcontainers.NewDockerClientWithOpts(ctx)
	if err != nil {
		return err
	}
	defer cli.Close()
	_, err = cli.NetworkConnect(ctx, networkName, client.NetworkConnectOptions{Container: c.GetContainerID(),
		EndpointConfig: &network.EndpointSettings{Aliases: aliases}})
	return err
}
