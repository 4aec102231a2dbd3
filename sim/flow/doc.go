// Package flow is the Things Graph edge runtime, the long-lived Lambda that
// Things Graph deploys into a Greengrass group. It loads flow configurations
// (the artifact Things Graph stored in S3), listens for device events routed
// to it by the core, evaluates triggers, and runs flows step by step,
// talking to devices only through the core's subscription table.
//
// # Scheduling
//
// Execution model (spec §5.1, [INF] where marked there): steps with no
// inEvent are ready at start; a finished step fires its outEvents; a step
// becomes ready when all its inEvents have fired; ready steps run
// concurrently; a false condition skips a step (its outEvents do not fire);
// an execution succeeds when nothing is running and nothing can become
// ready (steps waiting on events that never fire, such as the branches a
// choice did not take, are simply never started), and fails at the first
// failed step (steps already running finish first). [INF] Step, retry,
// catch and check conditions are parsed as one expression with or without
// the ${...} wrapper ("true", "$n > 1", "${n > 1}"), so "false" is false;
// text that is not one expression is expanded as a template.
//
// [INF] Options.ExecutionTimeout (default 5 min) bounds idleness: when no
// running step has finished for that long (every step waiting on a device,
// a service or a retry interval), the execution is FAILED with
// EXECUTION_FAILED "execution timed out ... (still waiting: <steps>)", its
// steps are cancelled, and messages they record afterwards are dropped.
// Messages recorded after a terminal status are always dropped.
//
// # Activities
//
// DeviceActivity (MQTT devices): publish the action request on the bound
// thing's request topic and, when the device definition declares a
// response topic, wait for it (Options.ActionTimeout, default 10 s) and
// store the decoded JSON answer in the step's out variable. Messages:
// ACTIVITY_SCHEDULED, ACTIVITY_STARTED (thing, action), THING_ACTION_TASK,
// THING_ACTION_TASK_SUCCEEDED / _FAILED, ACKNOWLEDGE_TASK_MESSAGE,
// ACTIVITY_SUCCEEDED / ACTIVITY_FAILED.
//
// DeviceActivity (Modbus devices, modbus.go): a JSON request on
// modbus/adapter/request for the Greengrass Modbus-RTU Protocol Adapter
// connector (operation "<Operation>Request", device = serverId, address,
// count or value/values), answered on modbus/adapter/response and matched
// by id; values are encoded into coils and registers, and read results
// decoded by the response property, per the guide's table. An adapter
// status other than "success" is States.TaskFailed. [INF] A
// WriteSingleCoil takes its value from the request params; reads without
// ReadCount read one.
//
// ChoiceActivity (spec §2.9): rules are evaluated in order; the first whose
// expression is truthy fires its setEvent, else the default rule's event.
// Without a default and with no true rule the step fails. A rule whose
// expression does not evaluate (e.g. comparing null with a number) fails
// the step. [INF] A bare `default` without setEvent fires no event; the
// choice step's own outEvents (if any) fire in addition to the chosen
// event. Messages: STEP_STARTED and STEP_SUCCEEDED with "rule" ("rule
// <name|title|#n>" or "default"), "expr" and "event"; no ACTIVITY_*.
//
// WebserviceActivity (spec §2.7) looks the service up among every @service
// of the artifact (Plan.Services; [INF] a missing one fails the step at run
// time, Compile does not reject it) and evaluates the action call's
// arguments, visible to the request as ${arg.value}:
//   - REST (HttpGet / HttpPost): the url is expanded ($macro with ${...});
//     queryParams are added to the URL's query, headerParams set as
//     headers; a body param with an empty name is the whole body (non-string
//     values as JSON), [INF] named body params form a JSON object (Content-
//     Type application/json unless a header param sets one; mixing both
//     forms fails the step). Only http and https URLs. auth "SigV4" signs
//     with aws-sdk-go-v2's v4 signer for awsServiceName, with
//     Options.AWS.Credentials, in Options.AWS.Region or else the
//     deployment's region; no credentials fails the step saying so. The
//     request goes through Options.HTTPClient and is bounded by
//     ActionTimeout. [INF] Status >= 400 is a failure (States.TaskFailed);
//     otherwise the answer (JSON decoded when it is JSON, else text, nil
//     when empty; at most 10 MiB) is the result stored in out, whether or
//     not the action declares a Response.
//   - AwsLambda (InvokeGreengrassLambda / InvokeCloudLambda, treated alike):
//     the function is looked up in Options.Lambdas by the ARN as written
//     (after $macro expansion), then the ARN without its version, then
//     name:version, then name; unregistered → the step fails with "Lambda
//     function X is not registered with the runtime". The payload is the
//     request params as a JSON object (name → value); the answer is
//     decoded like a REST answer. The call gets a context bounded by
//     ActionTimeout; [INF] a function that ignores it is abandoned after
//     ActionTimeout (States.Timeout) and finishes in the background.
//
// Service calls record ACTIVITY_STARTED with service, action and url/method
// or function (and the payload for Lambda), and ACTIVITY_SUCCEEDED /
// ACTIVITY_FAILED with the same plus "status" (the HTTP status code, or
// SUCCEEDED / FAILED for Lambda).
//
// # OnError (AWS Step Functions semantics)
//
// Every activity failure carries an error name: States.Timeout (a device
// did not answer, or a service call did not complete, within
// ActionTimeout), States.TaskFailed (any other failure of the activity:
// publish error, HTTP status >= 400, transport error, Lambda error) and
// [INF] States.Runtime for a flow that cannot run as written (unsupported
// construct, unbound thing, unknown service or action, unregistered Lambda
// function, an expression or URL that fails); as in Step Functions,
// States.Runtime is neither retried nor caught, even by States.ALL.
//
// Retries: after a failed attempt the first Retry whose errorEquals lists
// the error name or States.ALL ([INF] compared case-insensitively), or
// whose condition holds, governs. [INF] Retry and Catch conditions see the
// flow's variables plus error.name and error.message; a condition that
// fails to evaluate does not match. The governing Retry retries up to
// maxAttempts times (default 3; 0 never retries), each Retry keeping its
// own count; before retry n (n = 0, 1, ...) the runtime waits interval ×
// backoffRate^n seconds (interval default 1 — [INF] a number as written, or
// a Go duration such as "500ms"; anything else fails the step; backoffRate
// default 2.0), multiplied by Options.RetryIntervalScale. When the
// governing Retry is exhausted (or none matches) the catches apply. Each
// attempt records ACTIVITY_FAILED with "attempt", "error" and "errorName";
// each retry records ACTIVITY_SCHEDULED with "attempt", "retry", "retryOf"
// and "delaySeconds"; the final error says "(after N attempts)".
//
// Catches: the first Catch whose condition holds (or that has none)
// handles the error: its expr, if any, is evaluated ([INF] its value is
// recorded as "exprResult"; an expr that fails fails the step), its
// raiseEvent fires, and the step's outEvents do not. [INF] A handled step
// records STEP_SUCCEEDED with "caught", "error", "errorName" and
// "raisedEvents", and the execution goes on. Uncaught, the step fails and
// the execution fails.
//
// # OnSuccess
//
// After a successful activity (its out variable set), each Check's
// condition is evaluated; truthy raises the OnPass events, otherwise the
// OnFail events (raiseEvent(name:) / setEvent(name:) / raiseEvent:),
// together with the step's outEvents. STEP_SUCCEEDED carries "checks"
// [{check, passed, raisedEvents}]. [INF] A check whose condition cannot
// be evaluated fails the step (it is not retried: OnError covers the
// activity only); any other block inside OnPass / OnFail fails the step as
// not supported.
//
// # Triggers
//
// Trigger conditions are evaluated when one of the configuration's device
// events arrives, with only that event's lastEvent set: a condition over
// `devices[name == R].events[name == E].lastEvent` fires exactly when E
// arrives from R. Divergence: a condition that combines two different
// events never fires. Timer triggers ("every N units") run on a ticker.
//
// Anything else (an unknown activity kind, other service protocols,
// mappings) fails its step with a message naming the construct.
package flow
