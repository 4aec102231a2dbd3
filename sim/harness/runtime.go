package harness

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"

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
}

// factory returns the FunctionFactory for the Things Graph runtime: it reads
// the artifacts named in TG_ARTIFACTS from S3 through the SDK and compiles
// them.
func (r *runtimeRegistry) factory(endpoint string) core.FunctionFactory {
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
		rt, err := flow.New(flow.Options{Plans: plans, Publish: env.Publish, Logger: env.Logger})
		if err != nil {
			return nil, err
		}
		r.mu.Lock()
		r.runtimes = append(r.runtimes, rt)
		r.mu.Unlock()
		return runtimeFunction{rt}, nil
	}
}

type runtimeFunction struct{ rt *flow.Runtime }

func (f runtimeFunction) Handle(ctx context.Context, m core.Message) {
	f.rt.Handle(ctx, m.Topic, m.Payload)
}
func (f runtimeFunction) Close() error { return f.rt.Close() }

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
