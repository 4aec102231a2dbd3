package greengrass

// Kind is a definition kind, spelled as in its URI segment
// (/greengrass/definition/<kind>).
type Kind string

// The seven definition kinds a group version can reference.
const (
	KindCores         Kind = "cores"
	KindDevices       Kind = "devices"
	KindFunctions     Kind = "functions"
	KindSubscriptions Kind = "subscriptions"
	KindResources     Kind = "resources"
	KindConnectors    Kind = "connectors"
	KindLoggers       Kind = "loggers"
)

// Kinds lists every definition kind.
var Kinds = []Kind{KindCores, KindDevices, KindFunctions, KindSubscriptions, KindResources, KindConnectors, KindLoggers}

// kindInfo is what differs between kinds on the wire.
type kindInfo struct {
	// op is the operation stem: Create<op>Definition, Get<op>DefinitionVersion.
	op string
	// title names the container in AWS's messages ("Device List Definition").
	title string
}

var kindInfos = map[Kind]kindInfo{
	KindCores:         {op: "Core", title: "Core List Definition"},
	KindDevices:       {op: "Device", title: "Device List Definition"},
	KindFunctions:     {op: "Function", title: "Lambda List Definition"},
	KindSubscriptions: {op: "Subscription", title: "Subscription List Definition"},
	KindResources:     {op: "Resource", title: "Resource List Definition"},
	KindConnectors:    {op: "Connector", title: "Connector List Definition"},
	KindLoggers:       {op: "Logger", title: "Logger List Definition"},
}

func (k Kind) valid() bool { _, ok := kindInfos[k]; return ok }

// idParam is the URI label of the definition id: DeviceDefinitionId.
func (k Kind) idParam() string { return kindInfos[k].op + "DefinitionId" }

// versionParam is the URI label of the version id: DeviceDefinitionVersionId.
func (k Kind) versionParam() string { return kindInfos[k].op + "DefinitionVersionId" }

// keep returns c with only the members that belong to kind k, so a request
// that names another kind's members (which AWS ignores) stores nothing extra.
func (k Kind) keep(c DefinitionContent) DefinitionContent {
	var out DefinitionContent
	switch k {
	case KindCores:
		out.Cores = c.Cores
	case KindDevices:
		out.Devices = c.Devices
	case KindFunctions:
		out.Functions, out.DefaultConfig = c.Functions, c.DefaultConfig
	case KindSubscriptions:
		out.Subscriptions = c.Subscriptions
	case KindResources:
		out.Resources = c.Resources
	case KindConnectors:
		out.Connectors = c.Connectors
	case KindLoggers:
		out.Loggers = c.Loggers
	}
	return out
}
