package harness

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iot"
	awsv1 "github.com/aws/aws-sdk-go/aws"
	credv1 "github.com/aws/aws-sdk-go/aws/credentials"
	sessionv1 "github.com/aws/aws-sdk-go/aws/session"
	"github.com/aws/aws-sdk-go/service/iotdataplane"

	"github.com/tgsim/tgsim/fakes/awsproto"
	iamfake "github.com/tgsim/tgsim/fakes/iam"
	"github.com/tgsim/tgsim/fakes/policy"
	"github.com/tgsim/tgsim/sim/deploy"
	"github.com/tgsim/tgsim/sim/flow"
	"github.com/tgsim/tgsim/sim/tdm"
)

// ThingsGraphServicePrincipal is who assumes a flow's flowActionsRoleArn.
// [INF spec §4.4] the service's CloudTrail event source.
const ThingsGraphServicePrincipal = "iotthingsgraph.amazonaws.com"

// cloudHost is the Things Graph cloud runtime [INF spec §4.4]: one flow
// runtime per CLOUD flow configuration. IoT topic rules hand it device
// messages through the Lambda action on deploy.CloudRuntimeFunctionARN;
// it acts on devices by publishing through the AWS IoT data plane's HTTPS
// Publish API with a session of the flow's role, so IAM decides each
// action the flow takes, as the role's permissions did in AWS.
type cloudHost struct {
	h *Harness

	mu   sync.Mutex
	runs map[string]*cloudRun // by tdm.Key(deployment id)
}

type cloudRun struct {
	host *cloudHost
	id   string
	role string
	rt   *flow.Runtime
	rep  *flow.Reporter
	data *iotdataplane.IoTDataPlane

	mu      sync.Mutex
	creds   iamfake.ServiceCredentials
	checked bool // DescribeEndpoint answered for these credentials
}

var _ interface {
	Start(*flow.Artifact, string) error
	Stop(string) error
} = (*cloudHost)(nil)

// Start runs a CLOUD flow configuration, replacing a running one.
func (c *cloudHost) Start(art *flow.Artifact, role string) error {
	plan, err := flow.Compile(art)
	if err != nil {
		return fmt.Errorf("flow configuration: %w", err)
	}
	run := &cloudRun{host: c, id: art.Manifest.DeploymentID, role: role}
	// One client per runtime, with its own HTTP client: the v1 session
	// rewrites its client's transport when AWS_CA_BUNDLE is set, which
	// must not be http.DefaultClient's, shared with everything else.
	sess, err := sessionv1.NewSession(&awsv1.Config{
		Region: awsv1.String(c.h.opts.Region), Endpoint: awsv1.String(c.h.URL), MaxRetries: awsv1.Int(0),
		HTTPClient:  &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone(), Timeout: 30 * time.Second},
		Credentials: credv1.NewCredentials(roleCredentials{run}),
		Logger:      awsv1.LoggerFunc(func(...any) {}),
	})
	if err != nil {
		return err
	}
	run.data = iotdataplane.New(sess)
	log := c.h.opts.Logger.With("component", "tg-cloud", "deployment", run.id)
	run.rep = flow.NewReporter(c.h.reportExecutions, log)
	// SigV4 REST services are signed as the flow's role, as AWS's cloud
	// runtime acts with flowActionsRoleArn.
	roleAWS := aws.Config{Region: c.h.opts.Region, Credentials: aws.CredentialsProviderFunc(func(ctx context.Context) (aws.Credentials, error) {
		cr, err := run.session(ctx)
		if err != nil {
			return aws.Credentials{}, err
		}
		return aws.Credentials{AccessKeyID: cr.AccessKeyID, SecretAccessKey: cr.SecretAccessKey, SessionToken: cr.SessionToken, CanExpire: true, Expires: cr.Expires}, nil
	})}
	rt, err := flow.New(flow.Options{Plans: []*flow.Plan{plan}, Publish: run.publish, Logger: log, OnUpdate: run.rep.Update,
		AWS: roleAWS, Lambdas: c.h.lambdaSnapshot(), ActionTimeout: c.h.opts.ActionTimeout})
	if err != nil {
		run.rep.Close()
		return err
	}
	run.rt = rt
	c.mu.Lock()
	old := c.runs[tdm.Key(run.id)]
	c.runs[tdm.Key(run.id)] = run
	c.mu.Unlock()
	if old != nil {
		old.close()
	}
	return nil
}

// Stop ends a flow configuration's runtime.
func (c *cloudHost) Stop(id string) error {
	c.mu.Lock()
	run := c.runs[tdm.Key(id)]
	delete(c.runs, tdm.Key(id))
	c.mu.Unlock()
	if run == nil {
		return nil
	}
	return run.close()
}

func (c *cloudHost) closeAll() error {
	c.mu.Lock()
	runs := c.runs
	c.runs = map[string]*cloudRun{}
	c.mu.Unlock()
	var errs []error
	for _, r := range runs {
		errs = append(errs, r.close())
	}
	return errors.Join(errs...)
}

// runtime returns the runtime of a flow configuration, or nil.
func (c *cloudHost) runtime(id string) *flow.Runtime {
	c.mu.Lock()
	defer c.mu.Unlock()
	if r := c.runs[tdm.Key(id)]; r != nil {
		return r.rt
	}
	return nil
}

func (r *cloudRun) close() error {
	err := r.rt.Close()
	if rerr := r.rep.Close(); rerr != nil && err == nil {
		err = fmt.Errorf("reporting executions: %w", rerr)
	}
	return err
}

// invoke is the Lambda action's target: the envelope a cloud rule built.
func (c *cloudHost) invoke(ctx context.Context, functionARN string, payload []byte) error {
	if functionARN != deploy.CloudRuntimeFunctionARN(c.h.opts.Region, c.h.opts.AccountID) {
		// AWS: Lambda Invoke — ResourceNotFoundException.
		return fmt.Errorf("ResourceNotFoundException: Function not found: %s", functionARN)
	}
	var env deploy.CloudEnvelope
	if err := json.Unmarshal(payload, &env); err != nil {
		return fmt.Errorf("the Things Graph cloud runtime reads {payload, topic, flowConfiguration}: %w", err)
	}
	msg, err := base64.StdEncoding.DecodeString(env.Payload)
	if err != nil {
		return fmt.Errorf("payload is not base64: %w", err)
	}
	rt := c.runtime(env.FlowConfiguration)
	if rt == nil {
		return fmt.Errorf("no flow configuration %s runs in the cloud", env.FlowConfiguration)
	}
	rt.Handle(ctx, env.Topic, msg)
	return nil
}

// session returns credentials of the flow's role, assumed as Things Graph
// and renewed five minutes before they expire, and checks once per
// session that the role may find the data endpoint (iot:DescribeEndpoint;
// spec §4.4: without it Things Graph cannot find the account's endpoint).
func (r *cloudRun) session(ctx context.Context) (iamfake.ServiceCredentials, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	h := r.host.h
	if r.creds.AccessKeyID == "" || time.Until(r.creds.Expires) < 5*time.Minute {
		creds, err := h.IAM.AssumeRoleForService(ctx, r.role, ThingsGraphServicePrincipal, "ThingsGraph")
		if err != nil {
			return iamfake.ServiceCredentials{}, fmt.Errorf("assuming flowActionsRoleArn %s: %w", r.role, err)
		}
		r.creds, r.checked = creds, false
	}
	if !r.checked {
		cfg := aws.Config{Region: h.opts.Region, Credentials: credentials.NewStaticCredentialsProvider(r.creds.AccessKeyID, r.creds.SecretAccessKey, r.creds.SessionToken)}
		client := iot.NewFromConfig(cfg, func(o *iot.Options) { o.BaseEndpoint = aws.String(h.URL) })
		if _, err := client.DescribeEndpoint(ctx, &iot.DescribeEndpointInput{EndpointType: aws.String("iot:Data-ATS")}); err != nil {
			return iamfake.ServiceCredentials{}, fmt.Errorf("iot:DescribeEndpoint as %s: %w", r.creds.ARN, err)
		}
		r.checked = true
	}
	return r.creds, nil
}

// publish sends an action request through the IoT data plane's HTTPS
// Publish API as the flow's role. The aws-sdk-go v1 client is the
// official one: aws-sdk-go-v2 has no iotdataplane module on the proxy
// this project builds from.
func (r *cloudRun) publish(ctx context.Context, topic string, payload []byte) error {
	creds, err := r.session(ctx)
	if err != nil {
		return err
	}
	_, err = r.data.PublishWithContext(ctx, &iotdataplane.PublishInput{Topic: awsv1.String(topic), Qos: awsv1.Int64(1), Payload: payload})
	if err != nil {
		return fmt.Errorf("iot:Publish %s as %s: %w", topic, creds.ARN, err)
	}
	return nil
}

// roleCredentials hands the v1 client the session publish obtained.
type roleCredentials struct{ r *cloudRun }

func (p roleCredentials) Retrieve() (credv1.Value, error) {
	p.r.mu.Lock()
	defer p.r.mu.Unlock()
	c := p.r.creds
	if c.AccessKeyID == "" {
		return credv1.Value{}, errors.New("the flow role has not been assumed yet")
	}
	return credv1.Value{AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey, SessionToken: c.SessionToken, ProviderName: "ThingsGraphFlowRole"}, nil
}

// IsExpired makes the client ask again for every request: session renews
// the role's credentials itself.
func (p roleCredentials) IsExpired() bool { return true }

// reportExecutions sends the cloud runtimes' execution records to Things
// Graph, signed as the service.
func (h *Harness) reportExecutions(ctx context.Context, body []byte) error {
	return postReport(ctx, h.AWS, h.URL, body)
}

// postReport posts a batch of execution records to the Things Graph
// service's tgsim-internal report route, SigV4-signed with cfg.
func postReport(ctx context.Context, cfg aws.Config, endpoint string, body []byte) error {
	resp, err := awsproto.DoSigned(ctx, cfg, http.MethodPost, strings.TrimRight(endpoint, "/")+flow.ReportPath, "iotthingsgraph", body)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return fmt.Errorf("HTTP %d: %s", resp.StatusCode, b)
	}
	return nil
}

// roleAllows decides whether AWS IoT, acting with a rule action's role,
// may perform action on resource: the role must trust iot.amazonaws.com
// and its policies must allow the action. Sessions are cached per role.
type roleAuthorizer struct {
	iam *iamfake.Service
	mu  sync.Mutex
	ses map[string]iamfake.ServiceCredentials
}

func (a *roleAuthorizer) Authorize(ctx context.Context, roleARN, action, resource string) error {
	if roleARN == "" {
		return fmt.Errorf("the action has no roleArn; AWS IoT needs a role to perform %s", action)
	}
	a.mu.Lock()
	creds, ok := a.ses[roleARN]
	a.mu.Unlock()
	if !ok || time.Until(creds.Expires) < 5*time.Minute {
		var err error
		if creds, err = a.iam.AssumeRoleForService(ctx, roleARN, "iot.amazonaws.com", "iot-rules"); err != nil {
			return err
		}
		a.mu.Lock()
		a.ses[roleARN] = creds
		a.mu.Unlock()
	}
	_, caller, ok := a.iam.Authenticate(creds.AccessKeyID)
	if !ok {
		return fmt.Errorf("session of %s expired", roleARN)
	}
	set, err := a.iam.Policies(caller)
	if err != nil {
		return err
	}
	res := policy.Evaluate(set, &policy.Request{Action: action, Resource: resource,
		Principal: &policy.Principal{Type: "AWS", ID: caller.ARN, Account: caller.Account}}, policy.Options{})
	if res.Decision != policy.Allowed {
		return fmt.Errorf("AccessDenied: User: %s is not authorized to perform: %s on resource: %s", caller.ARN, action, resource)
	}
	return nil
}
