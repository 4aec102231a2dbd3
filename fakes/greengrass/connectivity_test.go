package greengrass_test

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	ggsdk "github.com/aws/aws-sdk-go-v2/service/greengrass"
	ggtypes "github.com/aws/aws-sdk-go-v2/service/greengrass/types"

	"github.com/tgsim/tgsim/fakes/greengrass"
)

func TestConnectivityInfo(t *testing.T) {
	ctx := context.Background()
	_, c := newServer(t, greengrass.Options{})

	got, err := c.GetConnectivityInfo(ctx, &ggsdk.GetConnectivityInfoInput{ThingName: aws.String("core-1")})
	if err != nil {
		t.Fatalf("GetConnectivityInfo before any update: %v", err)
	}
	if len(got.ConnectivityInfo) != 0 {
		t.Errorf("never-updated thing has %d entries, want 0", len(got.ConnectivityInfo))
	}

	info := []ggtypes.ConnectivityInfo{
		{Id: aws.String("AUTOIP_192.168.1.10_0"), HostAddress: aws.String("192.168.1.10"), PortNumber: aws.Int32(8883), Metadata: aws.String("")},
		{Id: aws.String("manual"), HostAddress: aws.String("core.local"), PortNumber: aws.Int32(443), Metadata: aws.String("ALPN x-amzn-mqtt-ca")},
	}
	up1, err := c.UpdateConnectivityInfo(ctx, &ggsdk.UpdateConnectivityInfoInput{ThingName: aws.String("core-1"), ConnectivityInfo: info})
	if err != nil {
		t.Fatalf("UpdateConnectivityInfo: %v", err)
	}
	if aws.ToString(up1.Version) == "" {
		t.Errorf("UpdateConnectivityInfo returned no Version")
	}
	got, err = c.GetConnectivityInfo(ctx, &ggsdk.GetConnectivityInfoInput{ThingName: aws.String("core-1")})
	if err != nil {
		t.Fatalf("GetConnectivityInfo: %v", err)
	}
	if len(got.ConnectivityInfo) != 2 {
		t.Fatalf("got %d entries, want 2", len(got.ConnectivityInfo))
	}
	for i, want := range info {
		g := got.ConnectivityInfo[i]
		if aws.ToString(g.Id) != aws.ToString(want.Id) || aws.ToString(g.HostAddress) != aws.ToString(want.HostAddress) ||
			aws.ToInt32(g.PortNumber) != aws.ToInt32(want.PortNumber) || aws.ToString(g.Metadata) != aws.ToString(want.Metadata) {
			t.Errorf("entry %d = %+v, want %+v", i, g, want)
		}
	}

	// A second update replaces the list and changes the version.
	up2, err := c.UpdateConnectivityInfo(ctx, &ggsdk.UpdateConnectivityInfoInput{ThingName: aws.String("core-1"), ConnectivityInfo: info[1:]})
	if err != nil {
		t.Fatalf("second UpdateConnectivityInfo: %v", err)
	}
	if aws.ToString(up2.Version) == aws.ToString(up1.Version) {
		t.Errorf("Version did not change: %q", aws.ToString(up2.Version))
	}
	got, _ = c.GetConnectivityInfo(ctx, &ggsdk.GetConnectivityInfoInput{ThingName: aws.String("core-1")})
	if len(got.ConnectivityInfo) != 1 || aws.ToString(got.ConnectivityInfo[0].Id) != "manual" {
		t.Errorf("after replace: %+v", got.ConnectivityInfo)
	}
	// Other things are unaffected.
	other, _ := c.GetConnectivityInfo(ctx, &ggsdk.GetConnectivityInfoInput{ThingName: aws.String("core-2")})
	if len(other.ConnectivityInfo) != 0 {
		t.Errorf("core-2 has %d entries", len(other.ConnectivityInfo))
	}

	bad := []struct {
		name string
		info ggtypes.ConnectivityInfo
	}{
		{"port 0", ggtypes.ConnectivityInfo{Id: aws.String("a"), HostAddress: aws.String("h"), PortNumber: aws.Int32(0)}},
		{"port too big", ggtypes.ConnectivityInfo{Id: aws.String("a"), HostAddress: aws.String("h"), PortNumber: aws.Int32(70000)}},
		{"no host", ggtypes.ConnectivityInfo{Id: aws.String("a"), PortNumber: aws.Int32(8883)}},
		{"no id", ggtypes.ConnectivityInfo{HostAddress: aws.String("h"), PortNumber: aws.Int32(8883)}},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.UpdateConnectivityInfo(ctx, &ggsdk.UpdateConnectivityInfoInput{ThingName: aws.String("core-1"), ConnectivityInfo: []ggtypes.ConnectivityInfo{tt.info}})
			var br *ggtypes.BadRequestException
			if !errors.As(err, &br) {
				t.Fatalf("err = %v, want BadRequestException", err)
			}
		})
	}
	// A refused update leaves the stored list alone.
	got, _ = c.GetConnectivityInfo(ctx, &ggsdk.GetConnectivityInfoInput{ThingName: aws.String("core-1")})
	if len(got.ConnectivityInfo) != 1 {
		t.Errorf("refused update changed the list: %+v", got.ConnectivityInfo)
	}
}
