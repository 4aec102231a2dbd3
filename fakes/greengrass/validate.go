package greengrass

import (
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/tgsim/tgsim/fakes/awsproto"
)

// entryIDPattern is the documented form of every entry Id (core, device,
// function, subscription, resource, connector, logger).
// AWS: "Max length is 128 characters with pattern [a-zA-Z0-9:_-]+."
var entryIDPattern = regexp.MustCompile(`^[a-zA-Z0-9:_-]{1,128}$`)

// iotNamePattern is AWS IoT's thing name pattern (ThingName, iot 2015-05-28).
var iotNamePattern = regexp.MustCompile(`^[a-zA-Z0-9:_-]{1,128}$`)

// validateContent checks a definition version's entries against the
// model's required members and enums and the documented value rules. All
// problems are reported at once, as AWS's ErrorDetails list does.
func validateContent(k Kind, c DefinitionContent) error {
	if err := checkQuotas(k, c); err != nil {
		return err
	}
	var v validator
	switch k {
	case KindCores:
		// [INF] a group has exactly one core, so a core list holds at most one.
		if len(c.Cores) > 1 {
			v.add("a core definition holds at most one core, found %d", len(c.Cores))
		}
		for i, e := range c.Cores {
			v.entry("Cores", i, e.ID)
			v.thing("Cores", i, e.ThingArn)
			v.cert("Cores", i, e.CertificateArn)
		}
	case KindDevices:
		for i, e := range c.Devices {
			v.entry("Devices", i, e.ID)
			v.thing("Devices", i, e.ThingArn)
			v.cert("Devices", i, e.CertificateArn)
		}
	case KindFunctions:
		for i, e := range c.Functions {
			v.entry("Functions", i, e.ID)
			if e.FunctionArn != "" {
				if err := checkFunctionArn(e.FunctionArn); err != nil {
					v.add("Functions[%d].FunctionArn: %v", i, err)
				}
			}
			if fc := e.FunctionConfiguration; fc != nil {
				v.enum(fmt.Sprintf("Functions[%d].FunctionConfiguration.EncodingType", i), fc.EncodingType, "binary", "json")
				if env := fc.Environment; env != nil {
					if env.Execution != nil {
						v.enum(fmt.Sprintf("Functions[%d].FunctionConfiguration.Environment.Execution.IsolationMode", i), env.Execution.IsolationMode, "GreengrassContainer", "NoContainer")
					}
					for j, p := range env.ResourceAccessPolicies {
						at := fmt.Sprintf("Functions[%d].FunctionConfiguration.Environment.ResourceAccessPolicies[%d]", i, j)
						v.required(at+".ResourceId", p.ResourceID)
						v.enum(at+".Permission", p.Permission, "ro", "rw")
					}
				}
			}
		}
		if dc := c.DefaultConfig; dc != nil && dc.Execution != nil {
			v.enum("DefaultConfig.Execution.IsolationMode", dc.Execution.IsolationMode, "GreengrassContainer", "NoContainer")
		}
	case KindSubscriptions:
		for i, e := range c.Subscriptions {
			v.entry("Subscriptions", i, e.ID)
			for _, f := range []struct{ name, val string }{{"Source", e.Source}, {"Target", e.Target}} {
				if f.val == "" {
					v.add("Subscriptions[%d].%s is required", i, f.name)
				} else if err := CheckSubscriptionEndpoint(f.val); err != nil {
					v.add("Subscription %s is invalid. ID is '%s' and %s is '%s': %v", strings.ToLower(f.name), e.ID, f.name, f.val, err)
				}
			}
			if err := CheckTopicFilter(e.Subject); err != nil {
				v.add("Subscriptions[%d].Subject: %v", i, err)
			}
		}
	case KindResources:
		for i, e := range c.Resources {
			v.entry("Resources", i, e.ID)
			v.required(fmt.Sprintf("Resources[%d].Name", i), e.Name)
			v.resourceData(i, e.ResourceDataContainer)
		}
	case KindConnectors:
		for i, e := range c.Connectors {
			v.entry("Connectors", i, e.ID)
			if e.ConnectorArn == "" {
				v.add("Connectors[%d].ConnectorArn is required", i)
			} else if err := checkConnectorArn(e.ConnectorArn); err != nil {
				v.add("Connectors[%d].ConnectorArn: %v", i, err)
			}
		}
	case KindLoggers:
		for i, e := range c.Loggers {
			at := fmt.Sprintf("Loggers[%d]", i)
			v.entry("Loggers", i, e.ID)
			v.required(at+".Component", e.Component)
			v.enum(at+".Component", e.Component, "GreengrassSystem", "Lambda")
			v.required(at+".Level", e.Level)
			v.enum(at+".Level", e.Level, "DEBUG", "INFO", "WARN", "ERROR", "FATAL")
			v.required(at+".Type", e.Type)
			v.enum(at+".Type", e.Type, "FileSystem", "AWSCloudWatch")
		}
	}
	if len(v.problems) == 0 {
		return nil
	}
	return badRequest("The %s definition is invalid or corrupted. (ErrorDetails: [%s])", k, strings.Join(v.problems, ", "))
}

// Greengrass v1 group quotas. A group version names at most one
// definition version of each kind, so a per-group quota bounds each
// definition version. AWS: General Reference, "AWS IoT Greengrass endpoints
// and quotas", AWS IoT Greengrass Cloud API (devices raised from 200 to
// 2500 and subscriptions from 1000 to 10000 with core v1.11.0).
const (
	MaxDevicesPerGroup            = 2500
	MaxFunctionsPerGroup          = 200
	MaxResourcesPerGroup          = 200
	MaxResourcesPerFunction       = 20
	MaxSubscriptionsPerGroup      = 10000
	MaxCloudSubscriptionsPerGroup = 50
	// MaxCoreThingNameBytes is the longest core thing name, in bytes of UTF-8.
	MaxCoreThingNameBytes = 124
)

// checkQuotas refuses a definition version over a documented quota before
// any entry is looked at. [INF] AWS's message for these is not recorded;
// the text names the quota as the General Reference does.
func checkQuotas(k Kind, c DefinitionContent) error {
	over := func(what string, n, limit int) error {
		return badRequest("The %s definition is invalid or corrupted. (ErrorDetails: [The maximum number of %s is %d, found %d.])", k, what, limit, n)
	}
	switch k {
	case KindDevices:
		if n := len(c.Devices); n > MaxDevicesPerGroup {
			return over("AWS IoT devices per AWS IoT Greengrass group", n, MaxDevicesPerGroup)
		}
	case KindFunctions:
		if n := len(c.Functions); n > MaxFunctionsPerGroup {
			return over("Lambda functions per group", n, MaxFunctionsPerGroup)
		}
		for _, f := range c.Functions {
			if fc := f.FunctionConfiguration; fc != nil && fc.Environment != nil {
				if n := len(fc.Environment.ResourceAccessPolicies); n > MaxResourcesPerFunction {
					return over("resources per Lambda function", n, MaxResourcesPerFunction)
				}
			}
		}
	case KindResources:
		if n := len(c.Resources); n > MaxResourcesPerGroup {
			return over("resources per group", n, MaxResourcesPerGroup)
		}
	case KindSubscriptions:
		if n := len(c.Subscriptions); n > MaxSubscriptionsPerGroup {
			return over("subscriptions per group", n, MaxSubscriptionsPerGroup)
		}
		cloud := 0
		for _, e := range c.Subscriptions {
			if e.Source == "cloud" {
				cloud++
			}
		}
		if cloud > MaxCloudSubscriptionsPerGroup {
			return over("subscriptions that specify Cloud as the source per group", cloud, MaxCloudSubscriptionsPerGroup)
		}
	case KindCores:
		for _, e := range c.Cores {
			if name := thingNameOf(e.ThingArn); len(name) > MaxCoreThingNameBytes {
				return badRequest("The cores definition is invalid or corrupted. (ErrorDetails: [The maximum length of a core thing name is %d bytes, %q has %d.])", MaxCoreThingNameBytes, name, len(name))
			}
		}
	}
	return nil
}

type validator struct {
	problems []string
	ids      map[string]bool
}

func (v *validator) add(format string, args ...any) {
	v.problems = append(v.problems, fmt.Sprintf(format, args...))
}

func (v *validator) required(at, val string) {
	if val == "" {
		v.add("%s is required", at)
	}
}

func (v *validator) enum(at, val string, allowed ...string) {
	if val == "" {
		return
	}
	for _, a := range allowed {
		if val == a {
			return
		}
	}
	v.add("%s: %q is not one of %s", at, val, strings.Join(allowed, ", "))
}

// entry checks an entry Id: present, well formed and unique in the version.
func (v *validator) entry(list string, i int, id string) {
	switch {
	case id == "":
		v.add("%s[%d].Id is required", list, i)
	case !entryIDPattern.MatchString(id):
		v.add("%s[%d].Id %q must match [a-zA-Z0-9:_-]+ and be at most 128 characters", list, i, id)
	case v.ids[id]:
		v.add("%s[%d].Id %q is used by more than one entry", list, i, id)
	}
	if v.ids == nil {
		v.ids = map[string]bool{}
	}
	v.ids[id] = true
}

func (v *validator) thing(list string, i int, arn string) {
	if arn == "" {
		v.add("%s[%d].ThingArn is required", list, i)
		return
	}
	if err := checkIoTArn(arn, "thing/"); err != nil {
		v.add("%s[%d].ThingArn: %v", list, i, err)
	}
}

func (v *validator) cert(list string, i int, arn string) {
	if arn == "" {
		v.add("%s[%d].CertificateArn is required", list, i)
		return
	}
	if err := checkIoTArn(arn, "cert/"); err != nil {
		v.add("%s[%d].CertificateArn: %v", list, i, err)
	}
}

func (v *validator) resourceData(i int, c *ResourceDataContainer) {
	at := fmt.Sprintf("Resources[%d].ResourceDataContainer", i)
	if c == nil {
		v.add("%s is required", at)
		return
	}
	n := 0
	if d := c.LocalDeviceResourceData; d != nil {
		n++
		// AWS: "Device resource path should begin with /dev".
		if !strings.HasPrefix(d.SourcePath, "/dev/") {
			v.add("Device resource path should begin with /dev, but got: %s", d.SourcePath)
		}
	}
	if d := c.LocalVolumeResourceData; d != nil {
		n++
		switch {
		case !strings.HasPrefix(d.SourcePath, "/"):
			v.add("%s.LocalVolumeResourceData.SourcePath must be an absolute path, got %q", at, d.SourcePath)
		case d.SourcePath == "/sys" || strings.HasPrefix(d.SourcePath, "/sys/"):
			v.add("Accessing /sys is prohibited")
		}
		if !strings.HasPrefix(d.DestinationPath, "/") {
			v.add("%s.LocalVolumeResourceData.DestinationPath must be an absolute path, got %q", at, d.DestinationPath)
		}
	}
	if d := c.S3MachineLearningModelResourceData; d != nil {
		n++
		v.required(at+".S3MachineLearningModelResourceData.S3Uri", d.S3URI)
		v.owner(at+".S3MachineLearningModelResourceData.OwnerSetting", d.OwnerSetting)
	}
	if d := c.SageMakerMachineLearningModelResourceData; d != nil {
		n++
		v.required(at+".SageMakerMachineLearningModelResourceData.SageMakerJobArn", d.SageMakerJobArn)
		v.owner(at+".SageMakerMachineLearningModelResourceData.OwnerSetting", d.OwnerSetting)
	}
	if d := c.SecretsManagerSecretResourceData; d != nil {
		n++
		v.required(at+".SecretsManagerSecretResourceData.ARN", d.ARN)
	}
	if n != 1 {
		v.add("%s must hold exactly one kind of resource data, found %d", at, n)
	}
}

func (v *validator) owner(at string, o *ResourceDownloadOwnerSetting) {
	if o == nil {
		return
	}
	v.required(at+".GroupOwner", o.GroupOwner)
	v.required(at+".GroupPermission", o.GroupPermission)
	v.enum(at+".GroupPermission", o.GroupPermission, "ro", "rw")
}

// checkIoTArn accepts arn:PARTITION:iot:REGION:ACCOUNT:<prefix><name>.
func checkIoTArn(s, prefix string) error {
	a, err := awsproto.ParseARN(s)
	if err != nil {
		return err
	}
	if a.Service != "iot" {
		return fmt.Errorf("%q is not an AWS IoT ARN", s)
	}
	name, ok := strings.CutPrefix(a.Resource, prefix)
	// AWS IoT: thing names match [a-zA-Z0-9:_-]+; certificate ids are hex.
	if !ok || !iotNamePattern.MatchString(name) {
		return fmt.Errorf("%q: resource must be %s<name> with a name of [a-zA-Z0-9:_-]", s, prefix)
	}
	return nil
}

// checkFunctionArn accepts a version- or alias-qualified Lambda ARN,
// arn:PARTITION:lambda:REGION:ACCOUNT:function:NAME:QUALIFIER. Region and
// account are empty in the ARNs of Greengrass's own system functions
// (arn:aws:lambda:::function:GGIPDetector:1). AWS: Greengrass does not run
// $LATEST.
func checkFunctionArn(s string) error {
	a, err := awsproto.ParseARN(s)
	if err != nil {
		return err
	}
	if a.Service != "lambda" {
		return fmt.Errorf("%q is not a Lambda ARN", s)
	}
	parts := strings.Split(a.Resource, ":")
	if len(parts) != 3 || parts[0] != "function" || parts[1] == "" || parts[2] == "" {
		return fmt.Errorf("%q: expected function:<name>:<version or alias>", s)
	}
	if parts[2] == "$LATEST" {
		return fmt.Errorf("%q: Greengrass does not support $LATEST; qualify the ARN with a version or alias", s)
	}
	return nil
}

// checkConnectorArn accepts arn:PARTITION:greengrass:REGION::/connectors/NAME/versions/N.
func checkConnectorArn(s string) error {
	a, err := awsproto.ParseARN(s)
	if err != nil {
		return err
	}
	parts := strings.Split(a.Resource, "/")
	if a.Service != "greengrass" || len(parts) != 5 || parts[0] != "" || parts[1] != "connectors" || parts[2] == "" || parts[3] != "versions" || parts[4] == "" {
		return fmt.Errorf("%q: expected arn:aws:greengrass:<region>::/connectors/<name>/versions/<version>", s)
	}
	return nil
}

// CheckSubscriptionEndpoint reports whether s may be a subscription's
// Source or Target: "cloud", "GGShadowService", a thing ARN, a qualified
// Lambda function ARN or a connector ARN.
// AWS: shape Subscription, "Source"/"Target" documentation.
func CheckSubscriptionEndpoint(s string) error {
	switch s {
	case "cloud", "GGShadowService":
		return nil
	}
	a, err := awsproto.ParseARN(s)
	if err != nil {
		return fmt.Errorf("must be cloud, GGShadowService or an ARN: %w", err)
	}
	switch a.Service {
	case "iot":
		return checkIoTArn(s, "thing/")
	case "lambda":
		return checkFunctionArn(s)
	case "greengrass":
		return checkConnectorArn(s)
	}
	return fmt.Errorf("%q: ARN service must be iot (thing), lambda (function) or greengrass (connector)", s)
}

// CheckTopicFilter reports whether s is a valid MQTT topic filter: 1 to
// 65535 bytes of UTF-8 without NUL, '+' only as a whole level and '#' only
// as the whole last level. [MQTT-4.7.1-2] [MQTT-4.7.1-3] [MQTT-4.7.3-1]
// [MQTT-4.7.3-2]
func CheckTopicFilter(s string) error {
	switch {
	case s == "":
		return fmt.Errorf("topic filter is empty")
	case len(s) > 65535:
		return fmt.Errorf("topic filter is %d bytes long, more than 65535", len(s))
	case !utf8.ValidString(s):
		return fmt.Errorf("topic filter is not valid UTF-8")
	case strings.ContainsRune(s, 0):
		return fmt.Errorf("topic filter contains U+0000")
	}
	levels := strings.Split(s, "/")
	for i, l := range levels {
		if strings.Contains(l, "#") && (l != "#" || i != len(levels)-1) {
			return fmt.Errorf("topic filter %q: '#' must be the whole last level", s)
		}
		if strings.Contains(l, "+") && l != "+" {
			return fmt.Errorf("topic filter %q: '+' must be a whole level", s)
		}
	}
	return nil
}
