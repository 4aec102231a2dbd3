// Package flow is the Things Graph edge runtime, the long-lived Lambda that
// Things Graph deploys into a Greengrass group. It loads flow configurations
// (the artifact Things Graph stored in S3), listens for device events routed
// to it by the core, evaluates triggers, and runs flows step by step,
// talking to devices only through the core's subscription table.
//
// Execution model (spec §5.1, [INF] where marked there): steps with no
// inEvent are ready at start; a finished step fires its outEvents; a step
// becomes ready when all its inEvents have fired; ready steps run
// concurrently; a false condition skips a step (its outEvents do not fire);
// an execution succeeds when nothing is running or ready, and fails at the
// first failed step. A device action publishes its request and, when the
// device definition declares a Response, waits for it (Options.ActionTimeout)
// and stores the JSON answer in the step's out variable.
//
// Trigger conditions are evaluated when one of the configuration's device
// events arrives, with only that event's lastEvent set: a condition over
// `devices[name == R].events[name == E].lastEvent` fires exactly when E
// arrives from R. Divergence: a condition that combines two different
// events never fires. Timer triggers ("every N units") run on a ticker.
// Only DeviceActivity runs in this slice; web-service activities fail their
// step with a message saying so.
package flow
