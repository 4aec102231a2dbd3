// Package awsproto holds what every served AWS API shares on the wire: the
// SigV4 credential scope a request names, request IDs, ARNs, and one error
// funnel per protocol (AWS JSON 1.1, REST-JSON, Query/XML) that turns any
// returned error into the bytes AWS would send.
//
// Protocols follow the API models shipped with aws-sdk-go v1.55.8
// (models/apis/<service>/<version>/api-2.json, "metadata.protocol").
// Errors that are not *Error become the service's internal-failure code with
// status 500, so a bug never leaks as a half-written success.
package awsproto
