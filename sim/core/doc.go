// Package core is a simulated AWS IoT Greengrass v1 core: an MQTT broker
// (mochi-mqtt) for the group's local devices, a host for the group's
// long-lived Lambda functions, and a deployment agent that pulls group
// versions from the Greengrass control plane through the official SDK.
//
// Routing is Greengrass's, not MQTT's: every message is delivered only where
// a subscription (Source, Subject, Target) from its publisher allows, each
// target at most once. mochi's own fan-out is switched off per message
// (OnPublish answers CodeSuccessIgnore, so the publisher is still
// acknowledged) and the core writes each allowed copy to its target itself.
// A message with no route is dropped and counted per (source, topic, reason).
//
// Choices where Greengrass's documentation is silent or the simulation
// differs (each also in the README's support table):
//   - A device connects with client id = its thing name; only things in the
//     deployed device definition may connect. With Options.TLS the core
//     speaks mutual TLS only, and a device must present the certificate the
//     device definition lists for its thing; with Options.VerifyCertificate
//     the IoT registry must also hold that certificate ACTIVE and attached
//     to the thing. The registry is asked at every CONNECT (a real core
//     caches the cloud's answer); open connections are kept. Without TLS
//     the core listens on plain TCP (tests, --core-plaintext).
//   - Local delivery QoS is the lower of the publish QoS and the
//     subscriber's; retained messages are not stored (Greengrass v1 local
//     messaging does not retain).
//   - Devices may subscribe to any filter: a subscription only decides what
//     may arrive, the routing table decides what does.
//   - A function receives its messages one at a time, in arrival order,
//     from a bounded queue (Options.FunctionQueue); a full queue drops with
//     reason "function queue full", as Greengrass drops when a Lambda's
//     queue is full.
//   - Deployment notices and status reports use the Greengrass fake's
//     /_tgsim/greengrass routes, stand-ins for the core's MQTT channel to
//     AWS IoT, which this slice does not have yet.
package core
