// Package iot is the fake AWS IoT control plane: the thing registry, X.509
// certificates issued by the service, thing–principal attachments and
// DescribeEndpoint. It speaks REST-JSON as the API model iot/2015-05-28
// (models/apis/iot/2015-05-28/api-2.json in aws-sdk-go v1.55.8) describes:
// method + path routing, camelCase members, errors as {"message": ...} with
// the code in X-Amzn-ErrorType.
//
// Operations: CreateThing, DescribeThing, ListThings, UpdateThing,
// DeleteThing, CreateKeysAndCertificate, DescribeCertificate,
// UpdateCertificate, ListCertificates, AttachThingPrincipal,
// DetachThingPrincipal, ListThingPrincipals, ListPrincipalThings,
// DescribeEndpoint. Any other path is 404 UnknownOperationException.
//
// Certificates are real: CreateKeysAndCertificate generates a key pair and
// an X.509 client certificate signed by a CA that the Service creates in New
// and keeps for its lifetime (CACertPEM), so an MQTT broker or a Greengrass
// core can verify devices against it. The private key is returned once in
// the response and never stored or logged.
//
// Behaviour taken from AWS documentation rather than the model:
//   - CreateThing is idempotent for an identical request and answers
//     ResourceAlreadyExistsException (409) for a different one.
//   - DeleteThing of a missing thing succeeds; deleting a thing that still
//     has principals is InvalidRequestException "Cannot delete. Thing X is
//     still attached to one or more principals".
//   - A thing has at most 3 attributes without a thing type, 50 with one.
//     An empty attribute value in UpdateThing removes the attribute.
//
// Deliberate differences:
//   - One registry serves every region; ARNs carry the region of the request
//     that created the resource (RequestInfo from the edge, else
//     Options.Region).
//   - Thing types and billing groups are not modelled: any valid
//     thingTypeName is accepted and stored; billingGroupName is rejected with
//     InvalidRequestException.
//   - Principals are certificate ARNs only (no Cognito identities).
//   - Keys are ECDSA P-256 by default (Options.KeyAlgorithm "RSA_2048" gives
//     AWS's RSA 2048); the issuer is the fake CA, not Amazon's.
//   - ResourceAlreadyExistsException carries only "message", not
//     resourceId/resourceArn (awsproto.WriteJSONError writes code+message).
//   - DescribeEndpoint answers Options.DataEndpoint (host:port) for every
//     data endpoint type; AWS answers a host name without port.
//   - No throttling, no authorization (the edge will own SigV4/IAM).
package iot
