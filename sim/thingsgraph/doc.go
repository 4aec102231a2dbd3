// Package thingsgraph serves the AWS IoT Things Graph control plane
// (iotthingsgraph 2018-09-06, AWS JSON 1.1, target prefix
// IotThingsGraphFrontEndService) over an in-memory namespace store, and
// deploys flow configurations through sim/deploy.
//
// This slice implements the operations of the walking skeleton:
// UploadEntityDefinitions, GetUploadStatus, AssociateEntityToThing,
// CreateFlowTemplate, CreateSystemTemplate, CreateSystemInstance,
// DeploySystemInstance and GetSystemInstance. Any other operation of the
// model answers InvalidRequestException saying it is not implemented yet;
// an operation the model does not have answers UnknownOperationException.
//
// Decisions where the service's documentation is silent ([INF] in spec):
//   - Uploads are processed synchronously: GetUploadStatus is SUCCEEDED or
//     FAILED at once. A document that does not parse is refused at once with
//     InvalidRequestException naming line and column; a document that parses
//     but fails validation becomes a FAILED upload whose failureReason lists
//     every problem with its position, and changes nothing.
//   - Namespace versions start at 1; an upload that changes an existing
//     entity's text creates a new version; pure additions keep the version.
//   - The public namespace holds one primitive property per built-in type
//     (urn:tdm:aws:property:<Type>) and the guide's aws/examples models.
//   - System instances start NOT_DEPLOYED. DeploySystemInstance runs the
//     deploy synchronously up to the Greengrass CreateDeployment and answers
//     BOOTSTRAP (first Things Graph deployment to the group) or
//     DEPLOY_IN_PROGRESS; GetSystemInstance asks Greengrass for the
//     deployment's status and moves to DEPLOYED_IN_TARGET or FAILED. A deploy
//     call that fails moves the instance to FAILED and answers
//     InvalidRequestException naming the failing AWS action.
//   - Divergence: the deploy uses the service's own credentials (Options.AWS)
//     rather than the caller's until IAM lands.
package thingsgraph
