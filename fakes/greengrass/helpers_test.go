package greengrass_test

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	ggsdk "github.com/aws/aws-sdk-go-v2/service/greengrass"
	ggtypes "github.com/aws/aws-sdk-go-v2/service/greengrass/types"
	"github.com/aws/smithy-go"

	"github.com/tgsim/tgsim/fakes/awsproto"
	"github.com/tgsim/tgsim/fakes/greengrass"
)

const (
	account  = "123456789012"
	thingArn = "arn:aws:iot:us-east-1:123456789012:thing/core-1"
	certArn  = "arn:aws:iot:us-east-1:123456789012:cert/0123abcd"
	lambdaTG = "arn:aws:lambda:us-east-1:123456789012:function:ThingsGraph:1"
)

var epoch = time.Date(2026, 1, 2, 3, 4, 5, 600_000_000, time.UTC)

// seqIDs returns deterministic ids id-0001, id-0002, ...
func seqIDs() func() string {
	var n atomic.Int64
	return func() string { return fmt.Sprintf("id-%04d", n.Add(1)) }
}

// newServer starts a fake with a fixed clock and sequential ids and returns
// it with an SDK client pointed at it.
func newServer(t testing.TB, opts greengrass.Options) (*greengrass.Server, *ggsdk.Client) {
	t.Helper()
	if opts.AccountID == "" {
		opts.AccountID = account
	}
	if opts.Now == nil {
		opts.Now = func() time.Time { return epoch }
	}
	if opts.NewID == nil {
		opts.NewID = seqIDs()
	}
	srv, err := greengrass.NewServer(opts)
	if err != nil {
		t.Fatalf("NewServer: %v", err)
	}
	t.Cleanup(srv.Close)
	cfg := aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""),
	}
	client := ggsdk.NewFromConfig(cfg, func(o *ggsdk.Options) {
		o.BaseEndpoint = aws.String(srv.URL)
		o.RetryMaxAttempts = 1
	})
	return srv, client
}

// errorCode returns the AWS error code of err, or "" when err is nil.
func errorCode(err error) string {
	if err == nil {
		return ""
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	// Errors from Service methods called directly.
	if e := awsproto.AsError(err); e != nil {
		return e.Code
	}
	return "non-API error: " + err.Error()
}

// fixture is a deployable group built through the SDK.
type fixture struct {
	groupID, groupVersionID              string
	core, device, function, subscription ids
}

type ids struct{ id, version, versionArn string }

func mustCreateGroup(t *testing.T, ctx context.Context, c *ggsdk.Client) fixture {
	t.Helper()
	var f fixture
	core, err := c.CreateCoreDefinition(ctx, &ggsdk.CreateCoreDefinitionInput{
		Name: aws.String("cores"),
		InitialVersion: &ggtypes.CoreDefinitionVersion{Cores: []ggtypes.Core{
			{Id: aws.String("core"), ThingArn: aws.String(thingArn), CertificateArn: aws.String(certArn), SyncShadow: aws.Bool(true)},
		}},
	})
	if err != nil {
		t.Fatalf("CreateCoreDefinition: %v", err)
	}
	f.core = ids{aws.ToString(core.Id), aws.ToString(core.LatestVersion), aws.ToString(core.LatestVersionArn)}
	dev, err := c.CreateDeviceDefinition(ctx, &ggsdk.CreateDeviceDefinitionInput{
		InitialVersion: &ggtypes.DeviceDefinitionVersion{Devices: []ggtypes.Device{
			{Id: aws.String("camera"), ThingArn: aws.String("arn:aws:iot:us-east-1:123456789012:thing/camera"), CertificateArn: aws.String(certArn)},
		}},
	})
	if err != nil {
		t.Fatalf("CreateDeviceDefinition: %v", err)
	}
	f.device = ids{aws.ToString(dev.Id), aws.ToString(dev.LatestVersion), aws.ToString(dev.LatestVersionArn)}
	fn, err := c.CreateFunctionDefinition(ctx, &ggsdk.CreateFunctionDefinitionInput{
		InitialVersion: &ggtypes.FunctionDefinitionVersion{Functions: []ggtypes.Function{{
			Id: aws.String("tg"), FunctionArn: aws.String(lambdaTG),
			FunctionConfiguration: &ggtypes.FunctionConfiguration{
				Pinned: aws.Bool(true), MemorySize: aws.Int32(65536), Timeout: aws.Int32(30), EncodingType: ggtypes.EncodingTypeJson,
				Environment: &ggtypes.FunctionConfigurationEnvironment{Variables: map[string]string{"BUCKET": "b", "KEY": "flow-f.tar.gz"}},
			},
		}}},
	})
	if err != nil {
		t.Fatalf("CreateFunctionDefinition: %v", err)
	}
	f.function = ids{aws.ToString(fn.Id), aws.ToString(fn.LatestVersion), aws.ToString(fn.LatestVersionArn)}
	sub, err := c.CreateSubscriptionDefinition(ctx, &ggsdk.CreateSubscriptionDefinitionInput{
		InitialVersion: &ggtypes.SubscriptionDefinitionVersion{Subscriptions: []ggtypes.Subscription{
			{Id: aws.String("camera-to-tg"), Source: aws.String("arn:aws:iot:us-east-1:123456789012:thing/camera"), Subject: aws.String("camera/+/motion"), Target: aws.String(lambdaTG)},
		}},
	})
	if err != nil {
		t.Fatalf("CreateSubscriptionDefinition: %v", err)
	}
	f.subscription = ids{aws.ToString(sub.Id), aws.ToString(sub.LatestVersion), aws.ToString(sub.LatestVersionArn)}
	g, err := c.CreateGroup(ctx, &ggsdk.CreateGroupInput{
		Name: aws.String("home"),
		InitialVersion: &ggtypes.GroupVersion{
			CoreDefinitionVersionArn:         aws.String(f.core.versionArn),
			DeviceDefinitionVersionArn:       aws.String(f.device.versionArn),
			FunctionDefinitionVersionArn:     aws.String(f.function.versionArn),
			SubscriptionDefinitionVersionArn: aws.String(f.subscription.versionArn),
		},
	})
	if err != nil {
		t.Fatalf("CreateGroup: %v", err)
	}
	f.groupID, f.groupVersionID = aws.ToString(g.Id), aws.ToString(g.LatestVersion)
	return f
}
