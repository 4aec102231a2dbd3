package harness

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/tgsim/tgsim/sim/core"
	"github.com/tgsim/tgsim/sim/deploy"
	"github.com/tgsim/tgsim/sim/flow"
)

// RuntimeFunctionName is the Lambda the core hosts for Things Graph.
const RuntimeFunctionName = deploy.RuntimeFunctionName

// runtimeRegistry starts the Things Graph runtime for a core and remembers
// every instance it started, so tests can read executions.
type runtimeRegistry struct {
	mu       sync.Mutex
	runtimes []*flow.Runtime
	// lambdas returns the functions registered with the harness.
	lambdas       func() map[string]LambdaFunc
	actionTimeout time.Duration
}

// factory returns the Things Graph runtime factory of a harness core: it
// remembers every runtime it starts (RunningCore Runtime).
func (r *runtimeRegistry) factory(endpoint string) core.FunctionFactory {
	return RuntimeFactory(endpoint, RuntimeOptions{Lambdas: r.lambdas, ActionTimeout: r.actionTimeout, OnStart: r.add})
}

func (r *runtimeRegistry) add(rt *flow.Runtime) {
	r.mu.Lock()
	r.runtimes = append(r.runtimes, rt)
	r.mu.Unlock()
}

// RuntimeOptions configures RuntimeFactory.
type RuntimeOptions struct {
	// Lambdas, when set, returns the functions the flows' AwsLambda
	// actions may call, by ARN or name; it is asked at each start.
	Lambdas func() map[string]LambdaFunc
	// ActionTimeout is how long a step waits for a device's answer;
	// zero is the flow package's default.
	ActionTimeout time.Duration
	// OnStart, when set, is told of every runtime the factory starts.
	OnStart func(*flow.Runtime)
}

// RuntimeFactory returns the FunctionFactory of the Things Graph runtime
// (the Lambda named RuntimeFunctionName) for a core whose control plane is
// at endpoint: it reads the artifacts named in TG_ARTIFACTS from S3
// through the SDK, compiles them, and reports executions to the Things
// Graph service, all signed with the core's credentials. It needs no
// Harness: `tgsim core` installs it in a core of its own process.
func RuntimeFactory(endpoint string, opts RuntimeOptions) core.FunctionFactory {
	return func(ctx context.Context, env core.FunctionEnv) (core.Function, error) {
		client := s3.NewFromConfig(env.AWS, func(o *s3.Options) {
			o.BaseEndpoint = aws.String(endpoint)
			o.UsePathStyle = true
		})
		var plans []*flow.Plan
		for _, u := range strings.Split(env.Variables[deploy.ArtifactsVariable], ",") {
			if u = strings.TrimSpace(u); u == "" {
				continue
			}
			rest, ok := strings.CutPrefix(u, "s3://")
			bucket, key, ok2 := strings.Cut(rest, "/")
			if !ok || !ok2 {
				return nil, fmt.Errorf("%s: %q is not s3://bucket/key", deploy.ArtifactsVariable, u)
			}
			out, err := client.GetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: &key})
			if err != nil {
				return nil, fmt.Errorf("s3:GetObject %s: %w", u, err)
			}
			body, err := io.ReadAll(io.LimitReader(out.Body, 64<<20))
			out.Body.Close()
			if err != nil {
				return nil, fmt.Errorf("read %s: %w", u, err)
			}
			a, err := flow.DecodeArtifact(body)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", u, err)
			}
			p, err := flow.Compile(a)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", u, err)
			}
			plans = append(plans, p)
		}
		// Executions go to the Things Graph service, signed as the core.
		cfg := env.AWS
		rep := flow.NewReporter(func(ctx context.Context, body []byte) error {
			return postReport(ctx, cfg, endpoint, body)
		}, env.Logger)
		// REST services signed with SigV4 use the core's credentials (a
		// Greengrass Lambda acts with the group role's; tgsim's core
		// stands in with its own).
		var lambdas map[string]LambdaFunc
		if opts.Lambdas != nil {
			lambdas = opts.Lambdas()
		}
		rt, err := flow.New(flow.Options{Plans: plans, Publish: env.Publish, Logger: env.Logger, OnUpdate: rep.Update,
			AWS: env.AWS, Lambdas: lambdas, ActionTimeout: opts.ActionTimeout})
		if err != nil {
			rep.Close()
			return nil, err
		}
		if opts.OnStart != nil {
			opts.OnStart(rt)
		}
		return runtimeFunction{rt: rt, rep: rep}, nil
	}
}

// LambdaFunc is a Lambda function the harness hosts for AwsLambda
// services: it gets the request payload and returns the response.
type LambdaFunc = func(ctx context.Context, payload []byte) ([]byte, error)

// RegisterLambda makes a function available to the flows' AwsLambda
// service actions, by function ARN (with or without its version) or name.
// Runtimes started afterwards see it (register before deploying).
func (h *Harness) RegisterLambda(nameOrARN string, fn LambdaFunc) {
	h.lambdaMu.Lock()
	defer h.lambdaMu.Unlock()
	if h.lambdas == nil {
		h.lambdas = map[string]LambdaFunc{}
	}
	h.lambdas[nameOrARN] = fn
}

// lambdaSnapshot copies the registered functions for a new runtime.
func (h *Harness) lambdaSnapshot() map[string]LambdaFunc {
	h.lambdaMu.Lock()
	defer h.lambdaMu.Unlock()
	out := make(map[string]LambdaFunc, len(h.lambdas))
	for k, v := range h.lambdas {
		out[k] = v
	}
	return out
}

type runtimeFunction struct {
	rt  *flow.Runtime
	rep *flow.Reporter
}

func (f runtimeFunction) Handle(ctx context.Context, m core.Message) {
	f.rt.Handle(ctx, m.Topic, m.Payload)
}

// Close stops the runtime, then reports what it recorded last.
func (f runtimeFunction) Close() error {
	err := f.rt.Close()
	if rerr := f.rep.Close(); rerr != nil && err == nil {
		err = fmt.Errorf("reporting executions: %w", rerr)
	}
	return err
}

// Runtime returns the Things Graph runtime the core started last (the one
// serving the latest deployment), or nil.
func (rc *RunningCore) Runtime() *flow.Runtime {
	rc.runtime.mu.Lock()
	defer rc.runtime.mu.Unlock()
	if n := len(rc.runtime.runtimes); n > 0 {
		return rc.runtime.runtimes[n-1]
	}
	return nil
}
