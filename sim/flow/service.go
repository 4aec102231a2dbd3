package flow

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/tgsim/tgsim/sim/tdm"
)

// maxResponseBody bounds what a REST service answer may hold.
const maxResponseBody = 10 << 20

// runService performs a WebserviceActivity: the service action's REST
// request or Lambda invocation (spec §2.7).
func (r *Runtime) runService(ctx context.Context, p *Plan, ex *Execution, st *tdm.Step, attempt int) (any, map[string]any, error) {
	act := st.Activity
	svc := p.Services[tdm.Key(act.Service)]
	if svc == nil {
		return nil, nil, runtimeErr("service %s is not in flow configuration %s", act.Service, p.Deployment.ID)
	}
	var sa *tdm.DeviceAction
	for i := range svc.Actions {
		if strings.EqualFold(svc.Actions[i].Name, act.Action) {
			sa = &svc.Actions[i]
		}
	}
	if sa == nil {
		return nil, nil, runtimeErr("service %s has no action %q", svc.ID, act.Action)
	}
	env, err := r.argEnv(p, ex, act.Args)
	if err != nil {
		return nil, nil, err
	}
	switch {
	case sa.HTTP != nil:
		return r.runREST(ctx, p, ex, st, svc, sa, env, attempt)
	case sa.Lambda != nil:
		return r.runLambda(ctx, ex, st, svc, sa, env, attempt)
	}
	return nil, nil, runtimeErr("service %s action %s: %s %s is not supported by this runtime (REST HttpGet/HttpPost and AwsLambda are)", svc.ID, sa.Name, svc.Protocol, sa.Operation)
}

// paramString evaluates a param value to the string it contributes to a
// request: strings as they are, other values as JSON.
func paramString(prm tdm.Param, env tdm.Env) (string, error) {
	v, err := evalText(prm.Value, env)
	if err != nil {
		return "", runtimeErr("param %q: %v", prm.Name, err)
	}
	switch v := v.(type) {
	case string:
		return v, nil
	case nil:
		return "", nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "", runtimeErr("param %q: %v", prm.Name, err)
	}
	return string(b), nil
}

func (r *Runtime) runREST(ctx context.Context, p *Plan, ex *Execution, st *tdm.Step, svc *tdm.Service, sa *tdm.DeviceAction, env tdm.Env, attempt int) (any, map[string]any, error) {
	h := sa.HTTP
	what := fmt.Sprintf("service %s action %s", svc.ID, sa.Name)
	raw, err := paramString(tdm.Param{Name: "url", Value: h.URL}, env)
	if err != nil {
		return nil, nil, runtimeErr("%s url: %v", what, err)
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, nil, runtimeErr("%s: url %q is not an http(s) URL", what, raw)
	}
	q := u.Query()
	for _, prm := range h.QueryParams {
		s, err := paramString(prm, env)
		if err != nil {
			return nil, nil, runtimeErr("%s query %v", what, err)
		}
		q.Add(prm.Name, s)
	}
	u.RawQuery = q.Encode()
	// Body: a param without a name is the whole body; named params form a
	// JSON object [INF].
	var body []byte
	named := map[string]any{}
	for _, prm := range h.BodyParams {
		if prm.Name == "" {
			s, err := paramString(prm, env)
			if err != nil {
				return nil, nil, runtimeErr("%s body %v", what, err)
			}
			body = append(body, s...)
			continue
		}
		v, err := evalText(prm.Value, env)
		if err != nil {
			return nil, nil, runtimeErr("%s body param %q: %v", what, prm.Name, err)
		}
		named[prm.Name] = v
	}
	jsonBody := false
	if len(named) > 0 {
		if len(body) > 0 {
			return nil, nil, runtimeErr("%s: bodyParams mix a whole-body param (empty name) with named params", what)
		}
		body, _ = json.Marshal(named)
		jsonBody = true
	}
	method := h.Method
	if method == "" {
		method = http.MethodGet
	}
	cctx, cancel := context.WithTimeout(ctx, r.opts.ActionTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(cctx, method, u.String(), bytes.NewReader(body))
	if err != nil {
		return nil, nil, runtimeErr("%s: %v", what, err)
	}
	for _, prm := range h.HeaderParams {
		s, err := paramString(prm, env)
		if err != nil {
			return nil, nil, runtimeErr("%s header %v", what, err)
		}
		req.Header.Add(prm.Name, s)
	}
	if jsonBody && req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json")
	}
	info := map[string]any{"service": svc.ID, "action": sa.Name, "method": method, "url": u.String()}
	if h.Auth != "" {
		if !strings.EqualFold(h.Auth, "SigV4") {
			return nil, info, runtimeErr("%s: auth %q is not supported (only SigV4)", what, h.Auth)
		}
		if err := r.signV4(cctx, p, req, body, h, what); err != nil {
			return nil, info, err
		}
		info["auth"] = "SigV4"
	}
	start := map[string]any{"stepId": st.Name, "activity": st.Activity.Kind, "attempt": attempt}
	for k, v := range info {
		start[k] = v
	}
	r.record(ex, "ACTIVITY_STARTED", start)
	resp, err := r.opts.HTTPClient.Do(req)
	if err != nil {
		if cctx.Err() == context.DeadlineExceeded && ctx.Err() == nil {
			return nil, info, timeoutErr("%s: %s %s did not answer within %s", what, method, u.Redacted(), r.opts.ActionTimeout)
		}
		return nil, info, taskErr("%s: %s %s: %w", what, method, u.Redacted(), err)
	}
	defer resp.Body.Close()
	info["status"] = resp.StatusCode
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBody+1))
	if err != nil {
		if cctx.Err() == context.DeadlineExceeded && ctx.Err() == nil {
			return nil, info, timeoutErr("%s: reading the answer of %s %s took longer than %s", what, method, u.Redacted(), r.opts.ActionTimeout)
		}
		return nil, info, taskErr("%s: reading the answer: %w", what, err)
	}
	if len(b) > maxResponseBody {
		return nil, info, taskErr("%s: answer larger than %d bytes", what, maxResponseBody)
	}
	if resp.StatusCode >= 400 {
		snippet := string(b)
		if len(snippet) > 200 {
			snippet = snippet[:200] + "..."
		}
		return nil, info, taskErr("%s: %s %s answered HTTP %d: %s", what, method, u.Redacted(), resp.StatusCode, snippet)
	}
	return decodeResult(b), info, nil
}

// signV4 signs req with Options.AWS's credentials for the service's
// awsServiceName, in Options.AWS.Region (else the deployment's region).
func (r *Runtime) signV4(ctx context.Context, p *Plan, req *http.Request, body []byte, h *tdm.HTTPRequest, what string) error {
	if r.opts.AWS.Credentials == nil {
		return runtimeErr("%s uses auth SigV4 but the runtime has no AWS credentials (Options.AWS is empty)", what)
	}
	if h.AWSServiceName == "" {
		return runtimeErr("%s uses auth SigV4 but its Request has no awsServiceName", what)
	}
	creds, err := r.opts.AWS.Credentials.Retrieve(ctx)
	if err != nil {
		return taskErr("%s: retrieving AWS credentials for SigV4: %w", what, err)
	}
	region := r.opts.AWS.Region
	if region == "" {
		region = p.Manifest.Region
	}
	sum := sha256.Sum256(body)
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), h.AWSServiceName, region, r.opts.Now()); err != nil {
		return runtimeErr("%s: SigV4 signing: %v", what, err)
	}
	return nil
}

func (r *Runtime) runLambda(ctx context.Context, ex *Execution, st *tdm.Step, svc *tdm.Service, sa *tdm.DeviceAction, env tdm.Env, attempt int) (any, map[string]any, error) {
	what := fmt.Sprintf("service %s action %s", svc.ID, sa.Name)
	arn, err := paramString(tdm.Param{Name: "arn", Value: sa.Lambda.ARN}, env)
	if err != nil {
		return nil, nil, runtimeErr("%s arn: %v", what, err)
	}
	fn, key := r.lambda(arn)
	if fn == nil {
		return nil, nil, runtimeErr("Lambda function %s is not registered with the runtime (Options.Lambdas)", arn)
	}
	payload := map[string]any{}
	for _, prm := range sa.RequestParams {
		v, err := evalText(prm.Value, env)
		if err != nil {
			return nil, nil, runtimeErr("%s param %q: %v", what, prm.Name, err)
		}
		payload[prm.Name] = v
	}
	in, err := json.Marshal(payload)
	if err != nil {
		return nil, nil, runtimeErr("%s payload: %v", what, err)
	}
	info := map[string]any{"service": svc.ID, "action": sa.Name, "function": arn, "cloud": sa.Lambda.Cloud}
	start := map[string]any{"stepId": st.Name, "activity": st.Activity.Kind, "attempt": attempt, "payload": string(in)}
	for k, v := range info {
		start[k] = v
	}
	r.record(ex, "ACTIVITY_STARTED", start)
	cctx, cancel := context.WithTimeout(ctx, r.opts.ActionTimeout)
	defer cancel()
	type answer struct {
		out []byte
		err error
	}
	ch := make(chan answer, 1) // a function that ignores ctx finishes into the buffer
	go func() {
		defer func() {
			if p := recover(); p != nil {
				ch <- answer{err: fmt.Errorf("panic: %v", p)}
			}
		}()
		out, err := fn(cctx, in)
		ch <- answer{out, err}
	}()
	select {
	case a := <-ch:
		if a.err != nil {
			if errors.Is(a.err, context.DeadlineExceeded) && ctx.Err() == nil {
				return nil, info, timeoutErr("Lambda function %s (%s) did not finish within %s", arn, key, r.opts.ActionTimeout)
			}
			info["status"] = "FAILED"
			return nil, info, taskErr("Lambda function %s: %w", arn, a.err)
		}
		info["status"] = "SUCCEEDED"
		return decodeResult(a.out), info, nil
	case <-cctx.Done():
		if ctx.Err() != nil {
			return nil, info, ctx.Err()
		}
		return nil, info, timeoutErr("Lambda function %s did not finish within %s", arn, r.opts.ActionTimeout)
	}
}

// lambda finds a registered function: by the ARN as written, by the ARN
// without its version, by name:version, by name.
func (r *Runtime) lambda(arn string) (func(context.Context, []byte) ([]byte, error), string) {
	keys := []string{arn}
	parts := strings.Split(arn, ":")
	if len(parts) >= 7 && parts[0] == "arn" && parts[5] == "function" {
		name := parts[6]
		if len(parts) >= 8 {
			keys = append(keys, strings.Join(parts[:7], ":"), name+":"+parts[7])
		}
		keys = append(keys, name)
	}
	for _, k := range keys {
		if fn := r.opts.Lambdas[k]; fn != nil {
			return fn, k
		}
	}
	return nil, ""
}

// decodeResult is a service's answer as a value: JSON decoded when it is
// JSON, else the text; nil when empty.
func decodeResult(b []byte) any {
	if len(bytes.TrimSpace(b)) == 0 {
		return nil
	}
	return decodePayload(b)
}
