package scenario

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	awsv1 "github.com/aws/aws-sdk-go/aws"
	"github.com/aws/aws-sdk-go/service/iotthingsgraph"

	"github.com/tgsim/tgsim/sim/core"
)

// ExecEventsExpect checks the event sequence of flow executions, as
// ListFlowExecutionMessages returns it to the account root: every
// execution of the setup's deployments with Status (SUCCEEDED, FAILED,
// ABORTED; any when empty) must have exactly Events, in order, or, with
// Contains, those events in that order with others between them.
type ExecEventsExpect struct {
	Status   string   `yaml:"status"`
	Events   []string `yaml:"events"`
	Contains []string `yaml:"contains"`
	// Count, when set, is how many executions must match Status.
	Count *int `yaml:"count"`
}

// checkExecEvents runs the executionEvents expectations through the
// official Things Graph client: SearchFlowExecutions per deployment,
// then ListFlowExecutionMessages per execution.
func (r *runner) checkExecEvents(ctx context.Context) {
	if len(r.f.Expect.ExecutionEvents) == 0 {
		return
	}
	// The runtimes report executions to Things Graph in batches: wait
	// (up to five seconds) until the API counts what the runtimes ran.
	want := map[string]int{}
	for _, rt := range r.runtimes() {
		for _, e := range rt.Executions() {
			want[e.Status]++
		}
	}
	var execs []execSummary
	for deadline := time.Now().Add(5 * time.Second); ; {
		var err error
		if execs, err = r.searchExecutions(ctx); err != nil {
			r.check("execution events", false, "%v", err)
			return
		}
		got := map[string]int{}
		for _, e := range execs {
			got[e.status]++
		}
		if maps.Equal(got, want) || time.Now().After(deadline) || ctx.Err() != nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	for i, x := range r.f.Expect.ExecutionEvents {
		name := fmt.Sprintf("execution events [%d] of %s executions", i, orText(x.Status, "all"))
		var n int
		bad := ""
		for _, e := range execs {
			if x.Status != "" && e.status != x.Status {
				continue
			}
			n++
			if bad != "" {
				continue
			}
			var got []string
			err := r.root.tg.ListFlowExecutionMessagesPagesWithContext(ctx, &iotthingsgraph.ListFlowExecutionMessagesInput{FlowExecutionId: awsv1.String(e.id)},
				func(p *iotthingsgraph.ListFlowExecutionMessagesOutput, _ bool) bool {
					for _, m := range p.Messages {
						got = append(got, awsv1.StringValue(m.EventType))
					}
					return true
				})
			switch {
			case err != nil:
				bad = fmt.Sprintf("ListFlowExecutionMessages %s: %v", e.id, err)
			case x.Events != nil && !slices.Equal(got, x.Events):
				bad = fmt.Sprintf("%s has %s", e.id, strings.Join(got, ", "))
			case x.Contains != nil && !isSubsequence(x.Contains, got):
				bad = fmt.Sprintf("%s has %s, not %s in that order", e.id, strings.Join(got, ", "), strings.Join(x.Contains, ", "))
			}
		}
		switch {
		case bad != "":
			r.check(name, false, "%s", bad)
		case x.Count != nil && n != *x.Count:
			r.check(name, false, "%d executions, want %d", n, *x.Count)
		case n == 0:
			r.check(name, false, "no executions with status %s", orText(x.Status, "any"))
		default:
			r.check(name, true, "%d executions, events as expected", n)
		}
	}
}

type execSummary struct{ id, status string }

// searchExecutions lists the executions of every setup deployment.
func (r *runner) searchExecutions(ctx context.Context) ([]execSummary, error) {
	var ids []string
	for _, id := range r.instanceOf {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	var execs []execSummary
	for _, inst := range ids {
		in := &iotthingsgraph.SearchFlowExecutionsInput{SystemInstanceId: awsv1.String(inst)}
		err := r.root.tg.SearchFlowExecutionsPagesWithContext(ctx, in, func(p *iotthingsgraph.SearchFlowExecutionsOutput, _ bool) bool {
			for _, s := range p.Summaries {
				execs = append(execs, execSummary{awsv1.StringValue(s.FlowExecutionId), awsv1.StringValue(s.Status)})
			}
			return true
		})
		if err != nil {
			return nil, fmt.Errorf("iotthingsgraph SearchFlowExecutions %s: %w", inst, err)
		}
	}
	return execs, nil
}

// isSubsequence reports whether want occurs in got in order, not
// necessarily adjacent.
func isSubsequence(want, got []string) bool {
	i := 0
	for _, g := range got {
		if i < len(want) && g == want[i] {
			i++
		}
	}
	return i == len(want)
}

// checkRouted compares the cores' routed counters with expect.routed.
func (r *runner) checkRouted() {
	for _, x := range r.f.Expect.Routed {
		groups := r.f.Setup.GreengrassGroups
		if x.Group != "" {
			groups = []string{x.Group}
		}
		var got uint64
		for _, g := range groups {
			c := r.h.Core(g)
			if c == nil {
				continue
			}
			got += c.Routed()[core.RouteKey{Source: r.arn(x.Source), Topic: x.Topic, Target: r.arn(x.Target)}]
		}
		name := fmt.Sprintf("routed %s → %s on %s", x.Source, x.Target, x.Topic)
		if x.Count != nil {
			r.check(name, got == uint64(*x.Count), "%d routed, want %d", got, *x.Count)
		} else {
			r.check(name, got > 0, "%d routed, want at least 1", got)
		}
	}
}
