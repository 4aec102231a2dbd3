package greengrass_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ggsdk "github.com/aws/aws-sdk-go-v2/service/greengrass"
	ggtypes "github.com/aws/aws-sdk-go-v2/service/greengrass/types"

	"github.com/tgsim/tgsim/fakes/greengrass"
)

func manyDevices(n int) []ggtypes.Device {
	out := make([]ggtypes.Device, n)
	for i := range out {
		out[i] = ggtypes.Device{Id: aws.String(fmt.Sprintf("d%d", i)), ThingArn: aws.String(fmt.Sprintf("arn:aws:iot:us-east-1:123456789012:thing/dev-%d", i)), CertificateArn: aws.String(certArn)}
	}
	return out
}

func manySubscriptions(n int, source func(i int) string) []ggtypes.Subscription {
	out := make([]ggtypes.Subscription, n)
	for i := range out {
		out[i] = ggtypes.Subscription{Id: aws.String(fmt.Sprintf("s%d", i)), Source: aws.String(source(i)), Subject: aws.String(fmt.Sprintf("dev-%d/+/event", i)), Target: aws.String(lambdaTG)}
	}
	return out
}

func thingSource(i int) string {
	return fmt.Sprintf("arn:aws:iot:us-east-1:123456789012:thing/dev-%d", i%2500)
}

func TestQuotas(t *testing.T) {
	ctx := context.Background()
	_, c := newServer(t, greengrass.Options{})
	dev, err := c.CreateDeviceDefinition(ctx, &ggsdk.CreateDeviceDefinitionInput{Name: aws.String("d")})
	if err != nil {
		t.Fatal(err)
	}
	sub, err := c.CreateSubscriptionDefinition(ctx, &ggsdk.CreateSubscriptionDefinitionInput{Name: aws.String("s")})
	if err != nil {
		t.Fatal(err)
	}
	fn, err := c.CreateFunctionDefinition(ctx, &ggsdk.CreateFunctionDefinitionInput{Name: aws.String("f")})
	if err != nil {
		t.Fatal(err)
	}
	functions := func(n int) []ggtypes.Function {
		out := make([]ggtypes.Function, n)
		for i := range out {
			out[i] = ggtypes.Function{Id: aws.String(fmt.Sprintf("f%d", i)), FunctionArn: aws.String(fmt.Sprintf("arn:aws:lambda:us-east-1:123456789012:function:f%d:1", i))}
		}
		return out
	}
	wantBadRequest := func(t *testing.T, err error, mention string) {
		t.Helper()
		var br *ggtypes.BadRequestException
		if !errors.As(err, &br) || !strings.Contains(aws.ToString(br.Message), mention) {
			t.Errorf("err = %v, want BadRequestException mentioning %q", err, mention)
		}
	}

	// At the quota: accepted.
	if _, err := c.CreateDeviceDefinitionVersion(ctx, &ggsdk.CreateDeviceDefinitionVersionInput{DeviceDefinitionId: dev.Id, Devices: manyDevices(greengrass.MaxDevicesPerGroup)}); err != nil {
		t.Errorf("2500 devices: %v", err)
	}
	if _, err := c.CreateSubscriptionDefinitionVersion(ctx, &ggsdk.CreateSubscriptionDefinitionVersionInput{SubscriptionDefinitionId: sub.Id, Subscriptions: manySubscriptions(greengrass.MaxSubscriptionsPerGroup, thingSource)}); err != nil {
		t.Errorf("10000 subscriptions: %v", err)
	}
	if _, err := c.CreateFunctionDefinitionVersion(ctx, &ggsdk.CreateFunctionDefinitionVersionInput{FunctionDefinitionId: fn.Id, Functions: functions(greengrass.MaxFunctionsPerGroup)}); err != nil {
		t.Errorf("200 functions: %v", err)
	}

	// One over: refused.
	_, err = c.CreateDeviceDefinitionVersion(ctx, &ggsdk.CreateDeviceDefinitionVersionInput{DeviceDefinitionId: dev.Id, Devices: manyDevices(greengrass.MaxDevicesPerGroup + 1)})
	wantBadRequest(t, err, "2500")
	_, err = c.CreateSubscriptionDefinitionVersion(ctx, &ggsdk.CreateSubscriptionDefinitionVersionInput{SubscriptionDefinitionId: sub.Id, Subscriptions: manySubscriptions(greengrass.MaxSubscriptionsPerGroup+1, thingSource)})
	wantBadRequest(t, err, "10000")
	_, err = c.CreateSubscriptionDefinitionVersion(ctx, &ggsdk.CreateSubscriptionDefinitionVersionInput{SubscriptionDefinitionId: sub.Id, Subscriptions: manySubscriptions(greengrass.MaxCloudSubscriptionsPerGroup+1, func(int) string { return "cloud" })})
	wantBadRequest(t, err, "Cloud as the source")
	_, err = c.CreateFunctionDefinitionVersion(ctx, &ggsdk.CreateFunctionDefinitionVersionInput{FunctionDefinitionId: fn.Id, Functions: functions(greengrass.MaxFunctionsPerGroup + 1)})
	wantBadRequest(t, err, "Lambda functions per group")
	// Also through Create*Definition's InitialVersion.
	_, err = c.CreateDeviceDefinition(ctx, &ggsdk.CreateDeviceDefinitionInput{InitialVersion: &ggtypes.DeviceDefinitionVersion{Devices: manyDevices(greengrass.MaxDevicesPerGroup + 1)}})
	wantBadRequest(t, err, "2500")
	_, err = c.CreateCoreDefinition(ctx, &ggsdk.CreateCoreDefinitionInput{InitialVersion: &ggtypes.CoreDefinitionVersion{Cores: []ggtypes.Core{
		{Id: aws.String("c"), ThingArn: aws.String("arn:aws:iot:us-east-1:123456789012:thing/" + strings.Repeat("c", 125)), CertificateArn: aws.String(certArn)},
	}}})
	wantBadRequest(t, err, "124 bytes")
}

// BenchmarkCreateGroupVersion2500x10000 builds the largest group the quotas
// allow through the SDK: a device definition version with 2,500 devices, a
// subscription definition version with 10,000 subscriptions, then the
// group version naming them. ns/op covers all three calls; the
// groupversion-ns/op metric is CreateGroupVersion alone.
func BenchmarkCreateGroupVersion2500x10000(b *testing.B) {
	ctx := context.Background()
	_, c := newServer(b, greengrass.Options{Now: time.Now})
	g, err := c.CreateGroup(ctx, &ggsdk.CreateGroupInput{Name: aws.String("big")})
	if err != nil {
		b.Fatal(err)
	}
	dev, err := c.CreateDeviceDefinition(ctx, &ggsdk.CreateDeviceDefinitionInput{Name: aws.String("devices")})
	if err != nil {
		b.Fatal(err)
	}
	sub, err := c.CreateSubscriptionDefinition(ctx, &ggsdk.CreateSubscriptionDefinitionInput{Name: aws.String("subscriptions")})
	if err != nil {
		b.Fatal(err)
	}
	devices := manyDevices(greengrass.MaxDevicesPerGroup)
	subs := manySubscriptions(greengrass.MaxSubscriptionsPerGroup, thingSource)
	var groupVersion time.Duration
	for b.Loop() {
		dv, err := c.CreateDeviceDefinitionVersion(ctx, &ggsdk.CreateDeviceDefinitionVersionInput{DeviceDefinitionId: dev.Id, Devices: devices})
		if err != nil {
			b.Fatal(err)
		}
		sv, err := c.CreateSubscriptionDefinitionVersion(ctx, &ggsdk.CreateSubscriptionDefinitionVersionInput{SubscriptionDefinitionId: sub.Id, Subscriptions: subs})
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		if _, err := c.CreateGroupVersion(ctx, &ggsdk.CreateGroupVersionInput{GroupId: g.Id, DeviceDefinitionVersionArn: dv.Arn, SubscriptionDefinitionVersionArn: sv.Arn}); err != nil {
			b.Fatal(err)
		}
		groupVersion += time.Since(start)
	}
	b.ReportMetric(float64(groupVersion.Nanoseconds())/float64(b.N), "groupversion-ns/op")
}
