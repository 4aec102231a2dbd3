package core

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/greengrass"
	ggtypes "github.com/aws/aws-sdk-go-v2/service/greengrass/types"

	"github.com/tgsim/tgsim/fakes/awsproto"
)

// DeploymentResult is how the core ended one deployment.
type DeploymentResult struct {
	DeploymentID string
	Status       string // Success or Failure
	Error        string
}

// Deployments returns the deployments the core has applied or rejected, oldest first.
func (c *Core) Deployments() []DeploymentResult {
	c.deployMu.Lock()
	defer c.deployMu.Unlock()
	return append([]DeploymentResult(nil), c.deployments...)
}

// WaitDeployment blocks until the core has finished the given deployment,
// and returns its result.
func (c *Core) WaitDeployment(ctx context.Context, deploymentID string) (DeploymentResult, error) {
	for {
		c.deployMu.Lock()
		for _, d := range c.deployments {
			if d.DeploymentID == deploymentID {
				c.deployMu.Unlock()
				return d, nil
			}
		}
		ch := c.deployedCh
		c.deployMu.Unlock()
		select {
		case <-ctx.Done():
			return DeploymentResult{}, fmt.Errorf("waiting for deployment %s: %w", deploymentID, ctx.Err())
		case <-ch:
		}
	}
}

type deploymentNotice struct {
	DeploymentID   string `json:"DeploymentId"`
	DeploymentType string `json:"DeploymentType"`
	GroupVersionID string `json:"GroupVersionId"`
}

// runAgent follows the group's deployments until ctx is done.
func (c *Core) runAgent(ctx context.Context) error {
	gg := greengrass.NewFromConfig(c.opts.AWS, func(o *greengrass.Options) {
		o.BaseEndpoint = aws.String(c.opts.Endpoint)
	})
	groupID, err := c.resolveGroup(ctx, gg)
	if err != nil {
		return err
	}
	log := c.log.With("group_id", groupID)
	after := ""
	backoff := 100 * time.Millisecond
	for {
		d, err := c.nextDeployment(ctx, groupID, after)
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case err != nil:
			log.Warn("deployment poll failed", "error", err, "retry_in", backoff)
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, 5*time.Second)
			continue
		case d == nil:
			continue
		}
		backoff = 100 * time.Millisecond
		after = d.DeploymentID
		res := DeploymentResult{DeploymentID: d.DeploymentID, Status: "Success"}
		if err := c.apply(ctx, gg, groupID, d); err != nil {
			if ctx.Err() != nil {
				// Stopped mid-deployment: nothing to report, as a core
				// switched off while downloading reports nothing. The
				// control plane keeps the deployment InProgress.
				log.Info("deployment interrupted: the core is stopping", "deployment_id", d.DeploymentID)
				return ctx.Err()
			}
			res.Status, res.Error = "Failure", err.Error()
			log.Error("deployment failed", "deployment_id", d.DeploymentID, "error", err)
		} else {
			log.Info("deployed", "deployment_id", d.DeploymentID, "routes", len(c.table.Load().routes))
		}
		if err := c.reportStatus(ctx, groupID, res); err != nil && ctx.Err() == nil {
			log.Error("reporting deployment status", "deployment_id", d.DeploymentID, "error", err)
		}
		c.deployMu.Lock()
		c.deployments = append(c.deployments, res)
		close(c.deployedCh)
		c.deployedCh = make(chan struct{})
		c.deployMu.Unlock()
	}
}

// resolveGroup finds the group id by name. The group may not exist yet when
// the core starts; it retries with backoff until ctx ends.
func (c *Core) resolveGroup(ctx context.Context, gg *greengrass.Client) (string, error) {
	backoff := 50 * time.Millisecond
	for {
		var err error
		var token *string
		for {
			var page *greengrass.ListGroupsOutput
			page, err = gg.ListGroups(ctx, &greengrass.ListGroupsInput{NextToken: token})
			if err != nil {
				break
			}
			for _, g := range page.Groups {
				if aws.ToString(g.Name) == c.opts.GroupName {
					return aws.ToString(g.Id), nil
				}
			}
			if token = page.NextToken; aws.ToString(token) == "" {
				break
			}
		}
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		c.log.Debug("group not found yet", "error", err, "retry_in", backoff)
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 2*time.Second)
	}
}

// apply fetches a group version and swaps the core onto it. On error the
// running table and functions stay as they were.
func (c *Core) apply(ctx context.Context, gg *greengrass.Client, groupID string, d *deploymentNotice) error {
	c.deployMu.Lock()
	defer c.deployMu.Unlock()
	if d.DeploymentType == "ResetDeployment" || d.DeploymentType == "ForceResetDeployment" {
		// AWS: Greengrass v1 developer guide, "Reset deployments": the
		// core forgets the group's deployed configuration. Nothing routes,
		// no function runs, and every device is disconnected.
		empty, _ := NewTable(nil, nil)
		c.table.Store(empty)
		c.funcs.Swap(&functionSet{byARN: map[string]*hostedFunction{}}).closeAll()
		c.disconnectRemoved(empty)
		if c.opts.OnTable != nil {
			c.opts.OnTable(empty)
		}
		return nil
	}
	gv, err := gg.GetGroupVersion(ctx, &greengrass.GetGroupVersionInput{GroupId: aws.String(groupID), GroupVersionId: aws.String(d.GroupVersionID)})
	if err != nil {
		return fmt.Errorf("get group version %s: %w", d.GroupVersionID, err)
	}
	def := gv.Definition
	if def == nil {
		def = &ggtypes.GroupVersion{}
	}
	var devices []Device
	if arn := aws.ToString(def.DeviceDefinitionVersionArn); arn != "" {
		id, vid, err := definitionVersionIDs(arn, "devices")
		if err != nil {
			return err
		}
		out, err := gg.GetDeviceDefinitionVersion(ctx, &greengrass.GetDeviceDefinitionVersionInput{DeviceDefinitionId: &id, DeviceDefinitionVersionId: &vid})
		if err != nil {
			return fmt.Errorf("get device definition version: %w", err)
		}
		if out.Definition != nil {
			for _, dev := range out.Definition.Devices {
				name := thingNameOf(aws.ToString(dev.ThingArn))
				devices = append(devices, Device{ThingName: name, ThingArn: aws.ToString(dev.ThingArn), CertArn: aws.ToString(dev.CertificateArn)})
			}
		}
	}
	var routes []Route
	if arn := aws.ToString(def.SubscriptionDefinitionVersionArn); arn != "" {
		id, vid, err := definitionVersionIDs(arn, "subscriptions")
		if err != nil {
			return err
		}
		out, err := gg.GetSubscriptionDefinitionVersion(ctx, &greengrass.GetSubscriptionDefinitionVersionInput{SubscriptionDefinitionId: &id, SubscriptionDefinitionVersionId: &vid})
		if err != nil {
			return fmt.Errorf("get subscription definition version: %w", err)
		}
		if out.Definition != nil {
			for _, s := range out.Definition.Subscriptions {
				routes = append(routes, Route{ID: aws.ToString(s.Id), Source: aws.ToString(s.Source), Subject: aws.ToString(s.Subject), Target: aws.ToString(s.Target)})
			}
		}
	}
	var fnDefs []ggtypes.Function
	if arn := aws.ToString(def.FunctionDefinitionVersionArn); arn != "" {
		id, vid, err := definitionVersionIDs(arn, "functions")
		if err != nil {
			return err
		}
		out, err := gg.GetFunctionDefinitionVersion(ctx, &greengrass.GetFunctionDefinitionVersionInput{FunctionDefinitionId: &id, FunctionDefinitionVersionId: &vid})
		if err != nil {
			return fmt.Errorf("get function definition version: %w", err)
		}
		if out.Definition != nil {
			fnDefs = out.Definition.Functions
		}
	}
	var connectors []ggtypes.Connector
	if arn := aws.ToString(def.ConnectorDefinitionVersionArn); arn != "" {
		id, vid, err := definitionVersionIDs(arn, "connectors")
		if err != nil {
			return err
		}
		out, err := gg.GetConnectorDefinitionVersion(ctx, &greengrass.GetConnectorDefinitionVersionInput{ConnectorDefinitionId: &id, ConnectorDefinitionVersionId: &vid})
		if err != nil {
			return fmt.Errorf("get connector definition version: %w", err)
		}
		if out.Definition != nil {
			connectors = out.Definition.Connectors
		}
	}
	table, err := NewTable(routes, devices)
	if err != nil {
		return err
	}
	fs, err := c.startFunctions(ctx, fnDefs)
	if err != nil {
		return err
	}
	// Connectors are hosted like functions, under their ARN. Only the
	// Modbus-RTU Protocol Adapter is simulated; messages to any other
	// connector are dropped ("function not running").
	for _, cn := range connectors {
		arn := aws.ToString(cn.ConnectorArn)
		if !isModbusAdapter(arn) {
			c.log.Warn("connector not simulated; messages routed to it are dropped", "connector", arn)
			continue
		}
		ad := &modbusAdapter{bank: &c.modbus, publish: func(topic string, payload []byte) error { return c.publishFrom(arn, topic, payload) }}
		fs.byARN[arn] = startHosted(arn, ad, 1000)
	}
	// Swap: the table first so that new functions' publishes route by it,
	// then the functions; old functions stop after nothing can reach them.
	c.table.Store(table)
	old := c.funcs.Swap(fs)
	old.closeAll()
	c.disconnectRemoved(table)
	if c.opts.OnTable != nil {
		c.opts.OnTable(table)
	}
	return nil
}

// startFunctions starts every function of a definition version. If one
// fails, the ones already started are stopped and the error names it.
func (c *Core) startFunctions(ctx context.Context, defs []ggtypes.Function) (*functionSet, error) {
	fs := &functionSet{byARN: make(map[string]*hostedFunction, len(defs))}
	for _, d := range defs {
		arn := aws.ToString(d.FunctionArn)
		name, ok := functionName(arn)
		if !ok {
			fs.closeAll()
			return nil, fmt.Errorf("function %s: %q is not a Lambda function ARN", aws.ToString(d.Id), arn)
		}
		factory, ok := c.opts.Functions[name]
		if !ok {
			fs.closeAll()
			return nil, fmt.Errorf("function %s: no implementation of Lambda %q is installed on this core", aws.ToString(d.Id), name)
		}
		vars := map[string]string{}
		if cfg := d.FunctionConfiguration; cfg != nil && cfg.Environment != nil {
			for k, v := range cfg.Environment.Variables {
				vars[k] = v
			}
		}
		env := FunctionEnv{
			ARN:       arn,
			Variables: vars,
			AWS:       c.opts.AWS,
			Publish: func(_ context.Context, topic string, payload []byte) error {
				return c.publishFrom(arn, topic, payload)
			},
			Logger: c.opts.Logger.With("component", "function", "function", name),
		}
		fn, err := factory(ctx, env)
		if err != nil {
			fs.closeAll()
			return nil, fmt.Errorf("function %s (%s): start: %w", aws.ToString(d.Id), name, err)
		}
		fs.byARN[arn] = startHosted(arn, fn, c.opts.FunctionQueue)
	}
	return fs, nil
}

// disconnectRemoved drops connections of things no longer in the group.
func (c *Core) disconnectRemoved(t *Table) {
	for id, cl := range c.broker.Clients.GetAll() {
		if cl.Net.Inline {
			continue
		}
		if _, ok := t.ThingArn(id); !ok {
			cl.Stop(errors.New("thing removed from the group"))
		}
	}
}

// definitionVersionIDs parses
// arn:aws:greengrass:REGION:ACCOUNT:/greengrass/definition/KIND/ID/versions/VID.
func definitionVersionIDs(arn, kind string) (id, vid string, err error) {
	_, rest, ok := strings.Cut(arn, ":/greengrass/definition/"+kind+"/")
	if ok {
		id, vid, ok = strings.Cut(rest, "/versions/")
	}
	if !ok || id == "" || vid == "" || strings.Contains(vid, "/") {
		return "", "", fmt.Errorf("%q is not a %s definition version ARN", arn, kind)
	}
	return id, vid, nil
}

// thingNameOf returns NAME of arn:aws:iot:REGION:ACCOUNT:thing/NAME.
func thingNameOf(arn string) string {
	if _, name, ok := strings.Cut(arn, ":thing/"); ok {
		return name
	}
	return arn
}

// nextDeployment long-polls the control plane for the group's next
// deployment after the given one; nil, nil means none arrived in the wait.
func (c *Core) nextDeployment(ctx context.Context, groupID, after string) (*deploymentNotice, error) {
	q := url.Values{"after": {after}, "wait": {"20s"}}
	u := strings.TrimRight(c.opts.Endpoint, "/") + "/_tgsim/greengrass/groups/" + url.PathEscape(groupID) + "/deployments/next?" + q.Encode()
	resp, err := c.signedDo(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	switch resp.StatusCode {
	case http.StatusNoContent:
		return nil, nil
	case http.StatusOK:
		var d deploymentNotice
		if err := json.Unmarshal(body, &d); err != nil {
			return nil, fmt.Errorf("deployment notice: %w", err)
		}
		return &d, nil
	default:
		return nil, fmt.Errorf("deployment notice: HTTP %d: %s", resp.StatusCode, body)
	}
}

// reportStatus tells the control plane how a deployment ended.
func (c *Core) reportStatus(ctx context.Context, groupID string, res DeploymentResult) error {
	body, _ := json.Marshal(map[string]string{"Status": res.Status, "ErrorMessage": res.Error})
	u := strings.TrimRight(c.opts.Endpoint, "/") + "/_tgsim/greengrass/groups/" + url.PathEscape(groupID) + "/deployments/" + url.PathEscape(res.DeploymentID) + "/status"
	resp, err := c.signedDo(ctx, http.MethodPost, u, body)
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

// signedDo sends a SigV4-signed request (service greengrass) with the core's
// credentials, as the core's calls to AWS are.
func (c *Core) signedDo(ctx context.Context, method, u string, body []byte) (*http.Response, error) {
	return awsproto.DoSigned(ctx, c.opts.AWS, method, u, "greengrass", body)
}
