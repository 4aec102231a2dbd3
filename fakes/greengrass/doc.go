// Package greengrass is a fake of the AWS IoT Greengrass v1 control plane:
// groups and group versions, the seven definition kinds (cores, devices,
// functions, subscriptions, resources, connectors, loggers) with their
// versions, deployments, group and account roles, tags, core connectivity
// information, group certificate authorities (real ECDSA P-256 roots; see
// Service.GroupCA) and their certificate configuration, and the device-side
// Discovery API (Service.DiscoveryHandler, served over mutual TLS by the
// caller). It is what
// Things Graph's deploy path drives (spec things-graph.md §4.3) and what the
// simulated Greengrass core reads its configuration from.
//
// Protocol: REST-JSON as described by the API model shipped with aws-sdk-go
// v1.55.8, models/apis/greengrass/2017-06-07/api-2.json: routes, member names
// and required members follow it; errors carry X-Amzn-ErrorType plus
// {"__type", "Message"} (shape GeneralError). Status codes and the codes
// the model does not declare (IdNotFoundException, VersionNotFoundException,
// InvalidInputException, MissingCoreException, ...) follow what the live
// service is recorded to answer.
//
// What is checked: required members and enums of every entry, entry Id
// syntax and uniqueness, thing/certificate/Lambda/connector ARN forms,
// subscription sources and targets, MQTT topic filters, that a group
// version names existing definition versions of the right kind, and that a
// deployed version has a core.
//
// Storage: Options.Backend is NewMemory() by default; OpenBolt gives a
// Bolt, the same state in a bbolt file that survives a restart. It stores
// every group (with its role and certificate expiry), group version,
// deployment, group CA with its private key, definition, definition
// version, thing connectivity and the account's service role, as JSON, one
// bucket per record type. Each accepted mutation writes every record it
// changed in one bbolt transaction, fsynced before the method returns: a
// CreateGroupVersion (the version and the group's latest pointer) or a
// CreateDeployment is on disk whole or not at all, so a process killed
// with SIGKILL at any moment reopens with every acknowledged mutation and
// no half-applied one. A refused mutation writes nothing; a failed write
// reloads memory from the file. OpenBolt reads the whole file into memory
// (about 90 ms for 1,000 deployed groups).
//
// Deliberate differences (Divergence):
//   - A deployment starts InProgress (AWS shows Building first) and stays
//     there until the core simulator reports the outcome with
//     SetDeploymentStatus; Options.OnDeployment announces each one.
//   - Nothing is cross-checked with IAM or IoT: roles, things and
//     certificates named in ARNs are taken as written (one fake never calls
//     another). The live service does not check things either.
//   - One account, one namespace: resources are not partitioned by region;
//     the region of the creating request goes into their ARNs.
//   - X-Amzn-Client-Token idempotency is ignored; every create creates.
//   - NextToken is a decimal offset; without MaxResults a list is one page.
//     Get*DefinitionVersion never pages its content.
//   - Bulk deployments, software update jobs and thing runtime
//     configuration are routed but answer BadRequestException "not
//     implemented".
//   - A group's first CA is generated when first asked for (list, get,
//     GroupCA, discovery), not at CreateGroup; CAs are valid 5 years [INF].
//   - Quotas (2,500 devices, 10,000 subscriptions of which 50 from cloud,
//     200 functions, 200 resources, 20 resources per function, 124-byte
//     core thing names) are checked per definition version; the message
//     text is ours.
//   - Discovery: verify's error is a 403 where AWS drops the connection;
//     "deployed" means the newest deployment that did not fail.
//   - Unknown routes answer 404 UnknownOperationException.
//   - Deleting a deployed group needs a reset first [INF, from the console].
package greengrass
