package greengrass

import "encoding/json"

// DefinitionContent is the body of a definition version. It is the union of
// the seven *DefinitionVersion shapes of the model; a stored version sets
// only its own kind's members, so the JSON form is exactly the wire shape.
type DefinitionContent struct {
	Cores         []Core                 `json:"Cores,omitempty"`
	Devices       []Device               `json:"Devices,omitempty"`
	DefaultConfig *FunctionDefaultConfig `json:"DefaultConfig,omitempty"`
	Functions     []Function             `json:"Functions,omitempty"`
	Subscriptions []Subscription         `json:"Subscriptions,omitempty"`
	Resources     []Resource             `json:"Resources,omitempty"`
	Connectors    []Connector            `json:"Connectors,omitempty"`
	Loggers       []Logger               `json:"Loggers,omitempty"`
}

// clone deep-copies c. Every member is plain JSON data, so a round trip is
// an exact copy.
func (c DefinitionContent) clone() DefinitionContent {
	b, err := json.Marshal(c)
	if err != nil {
		panic("greengrass: DefinitionContent does not marshal: " + err.Error())
	}
	var out DefinitionContent
	if err := json.Unmarshal(b, &out); err != nil {
		panic("greengrass: DefinitionContent does not unmarshal: " + err.Error())
	}
	return out
}

// Core is a Greengrass core. AWS: shape Core (Id, ThingArn, CertificateArn required).
type Core struct {
	CertificateArn string `json:"CertificateArn,omitempty"`
	ID             string `json:"Id,omitempty"`
	SyncShadow     *bool  `json:"SyncShadow,omitempty"`
	ThingArn       string `json:"ThingArn,omitempty"`
}

// Device is a device of a group. AWS: shape Device (same members as Core).
type Device struct {
	CertificateArn string `json:"CertificateArn,omitempty"`
	ID             string `json:"Id,omitempty"`
	SyncShadow     *bool  `json:"SyncShadow,omitempty"`
	ThingArn       string `json:"ThingArn,omitempty"`
}

// Function is a Lambda function of a group. AWS: shape Function (Id required).
type Function struct {
	FunctionArn           string                 `json:"FunctionArn,omitempty"`
	FunctionConfiguration *FunctionConfiguration `json:"FunctionConfiguration,omitempty"`
	ID                    string                 `json:"Id,omitempty"`
}

// FunctionConfiguration is how the core runs a function.
type FunctionConfiguration struct {
	EncodingType            string                            `json:"EncodingType,omitempty"`
	Environment             *FunctionConfigurationEnvironment `json:"Environment,omitempty"`
	ExecArgs                string                            `json:"ExecArgs,omitempty"`
	Executable              string                            `json:"Executable,omitempty"`
	MemorySize              *int32                            `json:"MemorySize,omitempty"`
	Pinned                  *bool                             `json:"Pinned,omitempty"`
	Timeout                 *int32                            `json:"Timeout,omitempty"`
	FunctionRuntimeOverride string                            `json:"FunctionRuntimeOverride,omitempty"`
}

// FunctionConfigurationEnvironment is a function's environment.
type FunctionConfigurationEnvironment struct {
	AccessSysfs            *bool                    `json:"AccessSysfs,omitempty"`
	Execution              *FunctionExecutionConfig `json:"Execution,omitempty"`
	ResourceAccessPolicies []ResourceAccessPolicy   `json:"ResourceAccessPolicies,omitempty"`
	Variables              map[string]string        `json:"Variables,omitempty"`
}

// FunctionExecutionConfig is a function's isolation and identity.
type FunctionExecutionConfig struct {
	IsolationMode string               `json:"IsolationMode,omitempty"`
	RunAs         *FunctionRunAsConfig `json:"RunAs,omitempty"`
}

// FunctionRunAsConfig is the user and group a function runs as.
type FunctionRunAsConfig struct {
	Gid *int32 `json:"Gid,omitempty"`
	UID *int32 `json:"Uid,omitempty"`
}

// ResourceAccessPolicy grants a function access to a group resource.
type ResourceAccessPolicy struct {
	Permission string `json:"Permission,omitempty"`
	ResourceID string `json:"ResourceId,omitempty"`
}

// FunctionDefaultConfig is the default execution of a version's functions.
type FunctionDefaultConfig struct {
	Execution *FunctionExecutionConfig `json:"Execution,omitempty"`
}

// Subscription lets messages on Subject flow from Source to Target.
// AWS: shape Subscription (all four members required).
type Subscription struct {
	ID      string `json:"Id,omitempty"`
	Source  string `json:"Source,omitempty"`
	Subject string `json:"Subject,omitempty"`
	Target  string `json:"Target,omitempty"`
}

// Resource is a local or machine-learning resource of a group.
type Resource struct {
	ID                    string                 `json:"Id,omitempty"`
	Name                  string                 `json:"Name,omitempty"`
	ResourceDataContainer *ResourceDataContainer `json:"ResourceDataContainer,omitempty"`
}

// ResourceDataContainer holds exactly one kind of resource data.
type ResourceDataContainer struct {
	LocalDeviceResourceData                   *LocalDeviceResourceData                   `json:"LocalDeviceResourceData,omitempty"`
	LocalVolumeResourceData                   *LocalVolumeResourceData                   `json:"LocalVolumeResourceData,omitempty"`
	S3MachineLearningModelResourceData        *S3MachineLearningModelResourceData        `json:"S3MachineLearningModelResourceData,omitempty"`
	SageMakerMachineLearningModelResourceData *SageMakerMachineLearningModelResourceData `json:"SageMakerMachineLearningModelResourceData,omitempty"`
	SecretsManagerSecretResourceData          *SecretsManagerSecretResourceData          `json:"SecretsManagerSecretResourceData,omitempty"`
}

// LocalDeviceResourceData is a device file under /dev.
type LocalDeviceResourceData struct {
	GroupOwnerSetting *GroupOwnerSetting `json:"GroupOwnerSetting,omitempty"`
	SourcePath        string             `json:"SourcePath,omitempty"`
}

// LocalVolumeResourceData is a host directory mounted into functions.
type LocalVolumeResourceData struct {
	DestinationPath   string             `json:"DestinationPath,omitempty"`
	GroupOwnerSetting *GroupOwnerSetting `json:"GroupOwnerSetting,omitempty"`
	SourcePath        string             `json:"SourcePath,omitempty"`
}

// GroupOwnerSetting says which Linux group owns a local resource.
type GroupOwnerSetting struct {
	AutoAddGroupOwner *bool  `json:"AutoAddGroupOwner,omitempty"`
	GroupOwner        string `json:"GroupOwner,omitempty"`
}

// S3MachineLearningModelResourceData is a model downloaded from S3.
type S3MachineLearningModelResourceData struct {
	DestinationPath string                        `json:"DestinationPath,omitempty"`
	OwnerSetting    *ResourceDownloadOwnerSetting `json:"OwnerSetting,omitempty"`
	S3URI           string                        `json:"S3Uri,omitempty"`
}

// SageMakerMachineLearningModelResourceData is a model from a SageMaker job.
type SageMakerMachineLearningModelResourceData struct {
	DestinationPath string                        `json:"DestinationPath,omitempty"`
	OwnerSetting    *ResourceDownloadOwnerSetting `json:"OwnerSetting,omitempty"`
	SageMakerJobArn string                        `json:"SageMakerJobArn,omitempty"`
}

// ResourceDownloadOwnerSetting owns a downloaded model.
type ResourceDownloadOwnerSetting struct {
	GroupOwner      string `json:"GroupOwner,omitempty"`
	GroupPermission string `json:"GroupPermission,omitempty"`
}

// SecretsManagerSecretResourceData is a secret deployed to the core.
type SecretsManagerSecretResourceData struct {
	ARN                               string   `json:"ARN,omitempty"`
	AdditionalStagingLabelsToDownload []string `json:"AdditionalStagingLabelsToDownload,omitempty"`
}

// Connector is a prebuilt connector of a group. AWS: shape Connector.
type Connector struct {
	ConnectorArn string            `json:"ConnectorArn,omitempty"`
	ID           string            `json:"Id,omitempty"`
	Parameters   map[string]string `json:"Parameters,omitempty"`
}

// Logger is a logging target. AWS: shape Logger.
type Logger struct {
	Component string `json:"Component,omitempty"`
	ID        string `json:"Id,omitempty"`
	Level     string `json:"Level,omitempty"`
	Space     *int32 `json:"Space,omitempty"`
	Type      string `json:"Type,omitempty"`
}
