// Package thingsgraph serves the AWS IoT Things Graph control plane
// (iotthingsgraph 2018-09-06, AWS JSON 1.1, target prefix
// IotThingsGraphFrontEndService) over an in-memory store, and deploys flow
// configurations through sim/deploy. All 35 operations of the model are
// served; an operation the model does not have answers
// UnknownOperationException. Every request constraint of the model is
// enforced here (SDKs check only some) and answered with
// InvalidRequestException naming the member.
//
// It also serves one tgsim-internal route, ExecutionsPath, on which the
// Greengrass core's Things Graph runtime reports flow executions
// (ReportFlowExecutions); SearchFlowExecutions and ListFlowExecutionMessages
// read them back. ValidateDocuments runs the service's document checks
// offline, for `tgsim validate`.
//
// Files: namespace.go (namespaces, versions, uploads), entity.go
// (GetEntities, SearchEntities and their index), template.go (flows and
// systems), thing.go, instance.go (system instances and their lifecycle),
// tags.go, execution.go, documents.go (shared document checks), paging.go,
// validate.go, store.go.
//
// Storage (store.go): without Options.DataFile all state is in memory.
// With it, New opens that bbolt file (mode 0600, format-version key, 1 s
// lock timeout: a second process gets a "locked" error) and loads it;
// Close releases it. Stored, one JSON record per entity: account
// namespaces with every version (entity source texts and createdAt),
// UpdatePublicNamespace texts (replayed on load), uploads, the last
// DeleteNamespace outcome, thing associations, flow and system templates
// with their kept revisions (texts, namespace versions), system instances
// (definition text, target, group, bucket, roles, metrics, tags, status,
// Greengrass ids, resolved things and flows) and flow executions with
// their messages. Documents are stored as text and re-parsed on load with
// the operations' parsers; loading never calls AWS. Each accepted
// mutation writes every record it changed in one bbolt transaction,
// fsynced before the response, inside the same critical section as the
// in-memory change: a process killed at any moment reopens with every
// acknowledged change and no half-applied one. A refused request writes
// nothing; a failed write answers InternalFailureException and reloads
// memory from the file. Not stored: the Greengrass/S3/IoT side (other
// services' state) and in-flight deploys: an instance killed between
// DEPLOY_IN_PROGRESS and Greengrass's answer reopens DEPLOY_IN_PROGRESS
// with no deployment id, and its next GetSystemInstance makes it FAILED
// ("the deploy was interrupted"), so it can be deployed again. A
// redeploy or undeploy interrupted that way settles on the outcome of
// the previous Greengrass deployment.
// Reopening 1,000 flows and 100 instances takes about 16 ms.
//
// Decisions where the service's documentation is silent ([INF] in spec):
//   - Uploads are processed synchronously: GetUploadStatus is SUCCEEDED or
//     FAILED at once. Divergence from spec §3.4: a document that does not
//     parse or extract is refused at once with InvalidRequestException
//     naming line and column (kept from the first version); a document that
//     parses but fails validation becomes a FAILED upload whose
//     failureReason lists every problem as "line:col: id: message" — the
//     strings ValidateDocuments returns, minus the document name — and
//     changes nothing.
//   - Namespace versions start at 1. An upload that changes an existing
//     entity (its canonical printed text differs) creates a new version;
//     syncWithPublicNamespace=true and deprecateExistingEntities=true always
//     create one; pure additions and identical re-uploads keep the version
//     (the latest snapshot is replaced with one holding the additions).
//     Every version is kept until DeleteNamespace. A new namespace tracks
//     the latest public version; only syncWithPublicNamespace moves it.
//   - The public namespace "aws" holds one primitive property per built-in
//     type (urn:tdm:aws:property:<Type>) and the guide's aws/examples
//     models, as version 1; Service.UpdatePublicNamespace publishes further
//     versions (tests and scenarios: AWS maintained it). Its ARN is
//     arn:aws:iotthingsgraph:REGION:aws:Namespace/aws; the account
//     namespace's arn:aws:iotthingsgraph:REGION:ACCOUNT:Namespace/default.
//   - DescribeNamespace without a namespace is ResourceNotFoundException.
//     DeleteNamespace is synchronous; it fails (VALIDATION_FAILED, nothing
//     deleted) while flows, systems or instances use the namespace's
//     entities, and drops thing associations to its devices. Without a
//     DeleteNamespace call, GetNamespaceDeletionStatus is
//     InvalidRequestException.
//   - GetEntities returns each entity's definition wrapped in the document
//     braces, so it can be uploaded again; any unknown id is
//     ResourceNotFoundException.
//   - SearchEntities and the Search*Templates / SearchSystemInstances
//     filters combine with AND, the values of one filter with OR (spec §8).
//     NAME is the URN's last path segment, NAMESPACE the URN's namespace,
//     SEMANTIC_TYPE_PATH the path or an ancestor path, REFERENCED_ENTITY_ID
//     the entities whose definition names that URN; all exact and
//     case-sensitive. A filter with no values matches nothing.
//   - Pagination (paging.go): default page 100, tokens are an offset plus a
//     hash of the query; a token of another query is InvalidRequestException.
//     Results are ordered by id (templates, instances, entities), by key
//     (tags), by thing name (SearchThings), newest first (revisions), oldest
//     first by createdAt (executions) and by timestamp (messages).
//   - Templates: revision numbers start at 1; the last 100 are kept.
//     Deprecated templates can be read and deleted but not updated or
//     deployed; Delete*Template requires Deprecate first
//     (ResourceInUseException otherwise) and is allowed while systems or
//     instances still refer to the template. An unknown id on the delete
//     operations (and DeleteSystemInstance) is InvalidRequestException: the
//     model lists no ResourceNotFoundException for them.
//   - LimitExceededException: Options.MaxFlowTemplates and
//     Options.MaxSystemInstances, default unlimited (spec §7).
//   - Tags: the model's limits (key 1-128, value 1-256; the guide allows
//     empty values, spec §8 says to follow the model); aws:-prefixed keys
//     are refused; at most 50 per instance. An unknown ARN is
//     InvalidRequestException.
//   - System instances follow the transition table of spec §4.5. Deploy
//     and undeploy run synchronously up to Greengrass CreateDeployment, as
//     the caller, and answer the in-progress status (BOOTSTRAP for the
//     first Things Graph deployment to the group, else DEPLOY_IN_PROGRESS;
//     UNDEPLOY_IN_PROGRESS). GetSystemInstance then asks Greengrass for the
//     deployment's status: BOOTSTRAP becomes DEPLOY_IN_PROGRESS once
//     Greengrass has the deployment, Success completes the transition
//     (DEPLOYED_IN_TARGET, DELETED_IN_TARGET), Failure is FAILED.
//     SearchSystemInstances reports statuses as last observed. While a
//     deploy or undeploy call is still talking to Greengrass, GetSystemInstance
//     leaves its status alone (the deployment on record is the previous
//     one). A deploy or
//     undeploy call that fails moves the instance to FAILED and answers
//     InvalidRequestException (AccessDeniedException for a denied call)
//     naming the failing AWS action; a deprecated, deleted or invalid
//     system or flow is InvalidRequestException without a status change.
//     Undeploying from a group that no longer exists completes at once.
//     DeleteSystemInstance is allowed from NOT_DEPLOYED and
//     DELETED_IN_TARGET (FAILED must be undeployed first); the instance is
//     PENDING_DELETE until the next GetSystemInstance,
//     SearchSystemInstances or CreateSystemInstance of its id, which
//     find it gone (its tags and executions with it).
//   - CLOUD target [INF spec §4.4]: DeploySystemInstance prepares AWS IoT
//     as the caller (deploy.DeployCloud: thing group, topic rules) and hands
//     the flow configuration to Options.Cloud, the cloud runtime, which
//     acts as flowActionsRoleArn. The first deploy of a configuration is
//     BOOTSTRAP; GetSystemInstance then moves it one transition per call
//     (DEPLOY_IN_PROGRESS, DEPLOYED_IN_TARGET), and UNDEPLOY_IN_PROGRESS
//     to DELETED_IN_TARGET. The encoded configuration is kept with the
//     instance, so a restarted service starts its runtime again
//     (StartCloudRuntimes). An in-progress CLOUD deploy found after a
//     restart without its configuration is FAILED.
//   - Executions: ReportFlowExecutions upserts by flowExecutionId, appends
//     messages deduplicated by messageId in timestamp order. At most
//     MaxExecutionsPerInstance executions per instance and
//     MaxMessagesPerExecution messages per execution are kept (oldest
//     dropped). Reports for unknown or deleted instances are dropped.
//     Divergence: the report route needs authentication but no IAM
//     permission.
//   - Divergence: GetSystemInstance asks Greengrass for deployment status
//     with the service's own credentials, not the caller's.
package thingsgraph
