package greengrass

import (
	"strings"
	"testing"
)

// FuzzCheckTopicFilter: never panics, and what it accepts obeys the MQTT
// wildcard rules level by level.
func FuzzCheckTopicFilter(f *testing.F) {
	for _, s := range []string{"a/b", "#", "+", "a/+/c", "a/#", "a/#/b", "a+", "", "$aws/things/+/shadow/#", "a//b", "\x00", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if CheckTopicFilter(s) != nil {
			return
		}
		levels := strings.Split(s, "/")
		for i, l := range levels {
			if strings.Contains(l, "#") && (l != "#" || i != len(levels)-1) {
				t.Errorf("CheckTopicFilter(%q) accepted a misplaced '#'", s)
			}
			if strings.Contains(l, "+") && l != "+" {
				t.Errorf("CheckTopicFilter(%q) accepted a partial-level '+'", s)
			}
		}
	})
}

// FuzzCheckSubscriptionEndpoint: never panics; an accepted ARN names a
// thing, a qualified function or a connector.
func FuzzCheckSubscriptionEndpoint(f *testing.F) {
	for _, s := range []string{"cloud", "GGShadowService", "arn:aws:iot:us-east-1:1:thing/t", "arn:aws:lambda:::function:f:1",
		"arn:aws:lambda:r:a:function:f:$LATEST", "arn:aws:greengrass:r::/connectors/C/versions/1", "arn:aws:s3:::b", "arn:", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if CheckSubscriptionEndpoint(s) != nil || s == "cloud" || s == "GGShadowService" {
			return
		}
		if !strings.HasPrefix(s, "arn:") {
			t.Errorf("CheckSubscriptionEndpoint(%q) accepted a non-ARN", s)
		}
		if strings.HasSuffix(s, ":$LATEST") {
			t.Errorf("CheckSubscriptionEndpoint(%q) accepted $LATEST", s)
		}
	})
}

// FuzzSplitDefinitionVersionArn: never panics, and a split ARN rebuilds to
// itself (parse, print, parse is stable).
func FuzzSplitDefinitionVersionArn(f *testing.F) {
	f.Add("arn:aws:greengrass:us-east-1:123456789012:/greengrass/definition/cores/abc/versions/def")
	f.Add("arn:aws:greengrass:us-east-1:123456789012:/greengrass/groups/abc/versions/def")
	f.Add("arn:aws:greengrass:::/greengrass/definition/loggers//versions/x")
	f.Fuzz(func(t *testing.T, s string) {
		kind, id, version, ok := splitDefinitionVersionArn(s)
		if !ok {
			return
		}
		parts := strings.SplitN(s, ":", 6)
		rebuilt := "arn:" + parts[1] + ":greengrass:" + parts[3] + ":" + parts[4] + ":/greengrass/definition/" + string(kind) + "/" + id + "/versions/" + version
		if rebuilt != s {
			t.Errorf("splitDefinitionVersionArn(%q) = %s %s %s; rebuilds to %q", s, kind, id, version, rebuilt)
		}
		if parts[1] == "aws" && definitionVersionArn(parts[3], parts[4], kind, id, version) != s {
			t.Errorf("definitionVersionArn does not rebuild %q", s)
		}
	})
}
