package bench

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/greengrass"
	ggtypes "github.com/aws/aws-sdk-go-v2/service/greengrass/types"
	"github.com/aws/aws-sdk-go-v2/service/iot"
	awsv1 "github.com/aws/aws-sdk-go/aws"
	"github.com/aws/aws-sdk-go/service/iotthingsgraph"

	"github.com/tgsim/tgsim/sim/device"
	"github.com/tgsim/tgsim/sim/flow"
	"github.com/tgsim/tgsim/sim/harness"
)

// Remote is a tgsim the bench reaches only over the network: a `tgsim up`
// (with --auto-cores=false) whose group is served by a `tgsim core` on
// some other host.
type Remote struct {
	// Endpoint is the edge's URL, e.g. http://cloud:4566.
	Endpoint string
	// AWS carries the credentials and region.
	AWS aws.Config
	// Group is the Greengrass group the rooms deploy to. When it does not
	// exist, shard 0 creates it (with the core thing GROUP_Core, as the
	// console's group creation does) and the other shards wait for it.
	Group string
	// DiscoveryURL is the Greengrass discovery API; default https on port
	// 8443 of the AWS IoT data endpoint's host (iot DescribeEndpoint), as
	// AWS serves it.
	DiscoveryURL string
	// Prefix starts every room's name, so runs and shards never share a
	// thing; default "S<shard>x" and six random letters.
	Prefix string
	// CloudRoute also routes each motion sensor's events to AWS IoT Core:
	// after the deploy, the bench adds a subscription (motion sensor →
	// cloud, on its event topic) per room to the group and deploys it, as
	// an operator would in the console.
	CloudRoute bool
}

// RunRemote is Run against a remote tgsim: it creates this shard's rooms'
// things, certificates and flow configurations through the APIs, deploys
// them to r.Group, waits for the Greengrass deployment to succeed,
// discovers the core through the discovery API, connects the devices to
// it and drives them. Latency is measured here; failed executions come
// from SearchFlowExecutions. The core's drops are not visible from here.
//
// Each motion event's payload carries its room's sequence number,
// {"isMotionDetected":true,"seq":N} (N from 0), so a subscriber in the
// cloud (CloudRoute) can check order and completeness.
func RunRemote(ctx context.Context, r Remote, opts Options) (*Result, error) {
	if r.Endpoint == "" || r.Group == "" {
		return nil, errors.New("bench: a remote run needs an endpoint and a group")
	}
	opts, err := withDefaults(opts)
	if err != nil {
		return nil, err
	}
	if r.Prefix == "" {
		r.Prefix = fmt.Sprintf("S%dx%s", opts.ShardIndex, randomLetters(6))
	}
	if err := validPrefix(r.Prefix); err != nil {
		return nil, err
	}
	res := &Result{Options: opts, Remote: r.Endpoint, Drops: map[string]uint64{}}
	setupStart := time.Now()
	rooms, instances, c, err := setupRemote(ctx, r, opts)
	defer closeRooms(rooms)
	if err != nil {
		return nil, err
	}
	res.Setup = time.Since(setupStart)
	drive(ctx, rooms, opts, res)
	failed, err := failedExecutions(ctx, c.tg, instances)
	if err != nil {
		return res, err
	}
	res.Failed = failed
	return res, nil
}

// validPrefix: a room's name becomes a GraphQL query name in its
// deployment document and starts thing names.
func validPrefix(p string) error {
	for i, r := range p {
		if !(r == '_' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || i > 0 && '0' <= r && r <= '9') {
			return fmt.Errorf("bench: prefix %q: position %d: expected letters, digits and _ (not starting with a digit)", p, i+1)
		}
	}
	return nil
}

func randomLetters(n int) string {
	const letters = "abcdefghijklmnopqrstuvwxyz"
	b := make([]byte, n)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = letters[int(b[i])%len(letters)]
	}
	return string(b)
}

func setupRemote(ctx context.Context, r Remote, opts Options) ([]*room, []string, *clients, error) {
	d, err := readDocs(opts.Dir)
	if err != nil {
		return nil, nil, nil, err
	}
	c, err := newClients(ctx, r.Endpoint, r.AWS)
	if err != nil {
		return nil, nil, nil, err
	}
	groupID, err := c.findOrCreateGroup(ctx, r.Group, opts.ShardIndex == 0)
	if err != nil {
		return nil, nil, c, err
	}
	const bucket = "bench-flows"
	if err := c.ensureBucket(ctx, bucket); err != nil {
		return nil, nil, c, err
	}
	if err := c.ensureTemplates(ctx, d); err != nil {
		return nil, nil, c, err
	}
	var names []string
	var numbers []int
	for n := 1; n <= opts.Rooms; n++ {
		if (n-1)%opts.ShardCount == opts.ShardIndex {
			names = append(names, fmt.Sprintf("%sRoom%d", r.Prefix, n))
			numbers = append(numbers, n)
		}
	}
	last, instances, err := c.deployRooms(ctx, d, names, r.Group, bucket)
	if err != nil {
		return nil, nil, c, err
	}
	disc, roots, err := c.discoveryEndpoint(ctx, r)
	if err != nil {
		return nil, instances, c, err
	}
	// Each device discovers its core, as a Greengrass device does. Two
	// shards deploying at once each extend the group version they read,
	// so one shard's rooms can be left out of the other's newer version:
	// discovery then does not know their devices, and those rooms are
	// deployed again (up to three rounds).
	cores := map[string]device.Discovered{}
	for round := 1; ; round++ {
		if _, err := c.waitSuccess(ctx, groupID, last); err != nil {
			return nil, instances, c, err
		}
		var missing []int
		for i, name := range names {
			for _, kind := range []string{"Camera", "Screen", "Motion"} {
				ca, err := device.DiscoverGroup(ctx, nil, disc, name+kind, groupID, c.certs[name+kind], roots)
				if errors.Is(err, device.ErrNotDiscovered) {
					missing = append(missing, i)
					break
				}
				if err != nil {
					return nil, instances, c, err
				}
				cores[name+kind] = ca
			}
		}
		if len(missing) == 0 {
			break
		}
		if round == 3 {
			return nil, instances, c, fmt.Errorf("bench: %d rooms are still not in group %s after %d deploys", len(missing), r.Group, round)
		}
		for _, i := range missing {
			dep, err := c.tg.DeploySystemInstanceWithContext(ctx, &iotthingsgraph.DeploySystemInstanceInput{Id: awsv1.String(instances[i])})
			if err != nil {
				return nil, instances, c, fmt.Errorf("DeploySystemInstance %s again: %w", names[i], err)
			}
			last = awsv1.StringValue(dep.GreengrassDeploymentId)
		}
	}
	if r.CloudRoute {
		if err := c.routeToCloud(ctx, groupID, names); err != nil {
			return nil, instances, c, err
		}
	}
	var rooms []*room
	for i, name := range names {
		broker := cores[name+"Motion"].Broker
		rm, err := connectRoom(ctx, numbers[i], name, broker, func(thing string) *tls.Config {
			ca := cores[thing]
			return &tls.Config{RootCAs: ca.Roots, ServerName: ca.Host, Certificates: []tls.Certificate{c.certs[thing]}, MinVersion: tls.VersionTLS12}
		})
		if err != nil {
			return rooms, instances, c, fmt.Errorf("connecting %s's devices to the core at %s: %w", name, broker, err)
		}
		rooms = append(rooms, rm)
	}
	return rooms, instances, c, nil
}

// findOrCreateGroup returns the group's id; when it does not exist, it
// creates it if create is set, else waits for it.
func (c *clients) findOrCreateGroup(ctx context.Context, group string, create bool) (string, error) {
	for {
		var token *string
		for {
			page, err := c.gg.ListGroups(ctx, &greengrass.ListGroupsInput{NextToken: token})
			if err != nil {
				return "", fmt.Errorf("greengrass ListGroups: %w", err)
			}
			for _, g := range page.Groups {
				if aws.ToString(g.Name) == group {
					return aws.ToString(g.Id), nil
				}
			}
			if token = page.NextToken; aws.ToString(token) == "" {
				break
			}
		}
		if create {
			return c.createGroup(ctx, group)
		}
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("bench: waiting for group %q (shard 0 creates it): %w", group, ctx.Err())
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// waitSuccess polls the group's deployments until the one with id, or a
// newer one, succeeded, and returns that deployment's id. The core
// applies only the newest deployment it sees, so a newer success stands
// for this one (each carries the whole group).
func (c *clients) waitSuccess(ctx context.Context, groupID, id string) (string, error) {
	for {
		list, err := c.gg.ListDeployments(ctx, &greengrass.ListDeploymentsInput{GroupId: &groupID})
		if err != nil {
			return "", fmt.Errorf("greengrass ListDeployments: %w", err)
		}
		var mine *ggtypes.Deployment
		for i := range list.Deployments {
			if aws.ToString(list.Deployments[i].DeploymentId) == id {
				mine = &list.Deployments[i]
			}
		}
		if mine == nil {
			return "", fmt.Errorf("greengrass deployment %s is not listed for group %s", id, groupID)
		}
		for _, d := range list.Deployments {
			if d.CreatedAt == nil || mine.CreatedAt == nil || *d.CreatedAt < *mine.CreatedAt {
				continue
			}
			st, err := c.gg.GetDeploymentStatus(ctx, &greengrass.GetDeploymentStatusInput{GroupId: &groupID, DeploymentId: d.DeploymentId})
			if err != nil {
				return "", fmt.Errorf("greengrass GetDeploymentStatus: %w", err)
			}
			switch aws.ToString(st.DeploymentStatus) {
			case "Success":
				return aws.ToString(d.DeploymentId), nil
			case "Failure":
				if aws.ToString(d.DeploymentId) == id {
					return "", fmt.Errorf("greengrass deployment %s failed: %s", id, aws.ToString(st.ErrorMessage))
				}
			}
		}
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("bench: waiting for greengrass deployment %s (is a tgsim core serving the group?): %w", id, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// subscriptions reads the group version's subscription definition
// version (empty when it has none), with the group version itself.
func (c *clients) subscriptions(ctx context.Context, groupID, version string) (*ggtypes.SubscriptionDefinitionVersion, error) {
	gv, err := c.gg.GetGroupVersion(ctx, &greengrass.GetGroupVersionInput{GroupId: &groupID, GroupVersionId: &version})
	if err != nil {
		return nil, fmt.Errorf("greengrass GetGroupVersion: %w", err)
	}
	out := &ggtypes.SubscriptionDefinitionVersion{}
	if gv.Definition == nil || aws.ToString(gv.Definition.SubscriptionDefinitionVersionArn) == "" {
		return out, nil
	}
	_, rest, _ := strings.Cut(aws.ToString(gv.Definition.SubscriptionDefinitionVersionArn), ":/greengrass/definition/subscriptions/")
	id, vid, ok := strings.Cut(rest, "/versions/")
	if !ok {
		return nil, fmt.Errorf("subscription definition version ARN %q", aws.ToString(gv.Definition.SubscriptionDefinitionVersionArn))
	}
	sd, err := c.gg.GetSubscriptionDefinitionVersion(ctx, &greengrass.GetSubscriptionDefinitionVersionInput{SubscriptionDefinitionId: &id, SubscriptionDefinitionVersionId: &vid})
	if err != nil {
		return nil, fmt.Errorf("greengrass GetSubscriptionDefinitionVersion: %w", err)
	}
	if sd.Definition != nil {
		out = sd.Definition
	}
	return out, nil
}

// routeToCloud adds a subscription motion sensor → cloud per room to the
// group's latest version and deploys it.
func (c *clients) routeToCloud(ctx context.Context, groupID string, names []string) error {
	g, err := c.gg.GetGroup(ctx, &greengrass.GetGroupInput{GroupId: &groupID})
	if err != nil {
		return fmt.Errorf("greengrass GetGroup: %w", err)
	}
	gv, err := c.gg.GetGroupVersion(ctx, &greengrass.GetGroupVersionInput{GroupId: &groupID, GroupVersionId: g.LatestVersion})
	if err != nil {
		return fmt.Errorf("greengrass GetGroupVersion: %w", err)
	}
	subs, err := c.subscriptions(ctx, groupID, aws.ToString(g.LatestVersion))
	if err != nil {
		return err
	}
	list := slices.Clone(subs.Subscriptions)
	for _, name := range names {
		th, err := c.iot.DescribeThing(ctx, &iot.DescribeThingInput{ThingName: aws.String(name + "Motion")})
		if err != nil {
			return fmt.Errorf("iot DescribeThing %s: %w", name+"Motion", err)
		}
		list = append(list, ggtypes.Subscription{Id: aws.String("bench-cloud-" + name), Source: th.ThingArn,
			Subject: aws.String(name + "Motion/motion"), Target: aws.String("cloud")})
	}
	sd, err := c.gg.CreateSubscriptionDefinition(ctx, &greengrass.CreateSubscriptionDefinitionInput{InitialVersion: &ggtypes.SubscriptionDefinitionVersion{Subscriptions: list}})
	if err != nil {
		return fmt.Errorf("greengrass CreateSubscriptionDefinition: %w", err)
	}
	def := *gv.Definition
	def.SubscriptionDefinitionVersionArn = sd.LatestVersionArn
	nv, err := c.gg.CreateGroupVersion(ctx, &greengrass.CreateGroupVersionInput{GroupId: &groupID, CoreDefinitionVersionArn: def.CoreDefinitionVersionArn,
		DeviceDefinitionVersionArn: def.DeviceDefinitionVersionArn, FunctionDefinitionVersionArn: def.FunctionDefinitionVersionArn,
		LoggerDefinitionVersionArn: def.LoggerDefinitionVersionArn, ResourceDefinitionVersionArn: def.ResourceDefinitionVersionArn,
		ConnectorDefinitionVersionArn: def.ConnectorDefinitionVersionArn, SubscriptionDefinitionVersionArn: def.SubscriptionDefinitionVersionArn})
	if err != nil {
		return fmt.Errorf("greengrass CreateGroupVersion: %w", err)
	}
	dep, err := c.gg.CreateDeployment(ctx, &greengrass.CreateDeploymentInput{GroupId: &groupID, GroupVersionId: nv.Version, DeploymentType: ggtypes.DeploymentTypeNewDeployment})
	if err != nil {
		return fmt.Errorf("greengrass CreateDeployment: %w", err)
	}
	_, err = c.waitSuccess(ctx, groupID, aws.ToString(dep.DeploymentId))
	return err
}

// discoveryEndpoint is the discovery API's URL and the roots its
// certificate chains to (the data plane's root CA, as Amazon Root CA 1).
func (c *clients) discoveryEndpoint(ctx context.Context, r Remote) (string, *x509.CertPool, error) {
	caPEM, err := harness.FetchIoTRootCA(ctx, r.Endpoint)
	if err != nil {
		return "", nil, fmt.Errorf("bench: the AWS IoT root CA: %w", err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(caPEM)
	if r.DiscoveryURL != "" {
		return strings.TrimRight(r.DiscoveryURL, "/"), roots, nil
	}
	out, err := c.iot.DescribeEndpoint(ctx, &iot.DescribeEndpointInput{EndpointType: aws.String("iot:Data-ATS")})
	if err != nil {
		return "", nil, fmt.Errorf("iot DescribeEndpoint: %w", err)
	}
	host := aws.ToString(out.EndpointAddress)
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	// AWS: greengrass/v1/developerguide/gg-discover-api.html: the
	// discovery API is served on port 8443 of the data endpoint.
	return "https://" + net.JoinHostPort(host, "8443"), roots, nil
}

// failedExecutions counts the instances' executions that failed or were
// aborted (SearchFlowExecutions).
func failedExecutions(ctx context.Context, tg *iotthingsgraph.IoTThingsGraph, instances []string) (int, error) {
	n := 0
	for _, id := range instances {
		err := tg.SearchFlowExecutionsPagesWithContext(ctx, &iotthingsgraph.SearchFlowExecutionsInput{SystemInstanceId: awsv1.String(id)},
			func(page *iotthingsgraph.SearchFlowExecutionsOutput, _ bool) bool {
				for _, s := range page.Summaries {
					if st := awsv1.StringValue(s.Status); st == string(flow.StatusFailed) || st == string(flow.StatusAborted) {
						n++
					}
				}
				return true
			})
		if err != nil {
			return n, fmt.Errorf("SearchFlowExecutions %s: %w", id, err)
		}
	}
	return n, nil
}
