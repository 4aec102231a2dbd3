// Package sigv4 verifies AWS Signature Version 4 on incoming requests, the
// way AWS's front ends do before any service sees them.
//
// Verify accepts both forms AWS documents:
//
//   - the Authorization header ("AWS4-HMAC-SHA256 Credential=…,
//     SignedHeaders=…, Signature=…") with X-Amz-Date (or Date);
//   - presigned query parameters (X-Amz-Algorithm, X-Amz-Credential,
//     X-Amz-Date, X-Amz-Expires 1..604800, X-Amz-SignedHeaders,
//     X-Amz-Signature, X-Amz-Security-Token).
//
// It checks, in this order: the form of the header or query; the date and
// that the credential scope's date is X-Amz-Date's; the clock (MaxSkew, or
// X-Amz-Expires for a presigned URL); that the access key is known; the
// session token (present, matching, unexpired); that host and every other
// signed header is present; the payload hash; the signature; and, for
// streaming bodies, every chunk and trailer signature as the body is read.
// Signatures compare in constant time (hmac.Equal); every read is bounded.
//
// Payloads (X-Amz-Content-Sha256, S3 "Authenticating Requests: Using the
// Authorization Header"): a hex SHA-256 is checked against the body
// (XAmzContentSHA256Mismatch); UNSIGNED-PAYLOAD is accepted; the streaming
// modes STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER
// and STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER replace r.Body with a reader
// that hands on the original aws-chunked bytes unchanged (the S3 fake decodes
// them itself) and releases each chunk only after its signature, chained
// from the seed signature, has been checked. With no header, S3 presigned
// URLs sign UNSIGNED-PAYLOAD and every non-S3 request signs the SHA-256 of
// its body, which Verify buffers (up to MaxBody) and puts back.
//
// Canonicalisation follows the AWS pages "Create a signed AWS API request"
// and "Signature Version 4 signing process" and, where they are vague, what
// aws-sdk-go-v2 (aws/signer/v4) and aws-sdk-go v1 actually sign:
//
//   - the path is the one sent; S3 signs it as is, every other service
//     URI-encodes it once more (so /greengrass/groups/a%20b signs as
//     /greengrass/groups/a%2520b);
//   - the query is decoded like url.ParseQuery, re-encoded with AWS's
//     UriEncode, sorted by key then value; X-Amz-Signature is left out of a
//     presigned one;
//   - header values are trimmed, runs of spaces fold to one, repeated headers
//     join with ','; Host comes from r.Host, Content-Length from the header or
//     r.ContentLength, Transfer-Encoding from r.TransferEncoding.
//
// Errors are *Error. Kind.Code and Error.Code give each protocol's AWS code
// and status (see errors.go for the sources); Error.MessageFor gives S3's
// wording where it differs. No error holds a secret key, a derived key, or
// a signature this package computed; SignatureMismatch carries the
// canonical request and string to sign, as S3's <CanonicalRequest> and
// <StringToSign> do.
//
// Derived signing keys are memoised per (secret, date, region, service) in
// a bounded package-level map. It is a memo of a pure function, so it
// changes no result; it holds secrets in memory as the Lookup already does.
//
// Divergences from AWS, deliberate:
//
//   - The region and service in the scope are not checked against the
//     endpoint (S3 would answer AuthorizationHeaderMalformed "the region
//     'x' is wrong"); the edge routes by the scope's service.
//   - Non-S3 paths are not normalised (no removal of "." and ".." segments):
//     the SDKs never send them, and AWS's own handling is not documented
//     beyond "normalize".
//   - UNSIGNED-PAYLOAD is accepted for every service, not only for operations
//     whose model carries the unsignedPayload trait.
//   - A body larger than MaxBody with a declared hex SHA-256 is checked as it
//     is read: bytes before the mismatch have been handed on when the read at
//     EOF fails. S3 would reject the request before storing anything.
//   - Trailing checksums (x-amz-checksum-crc32 and friends) are framed and, in
//     the signed-trailer mode, signature-checked, but their values are left
//     to the S3 fake, which decodes the body.
//   - A header listed in SignedHeaders but absent from the request is
//     IncompleteSignature, naming the header, rather than a bare signature
//     mismatch.
//   - X-Amz-Decoded-Content-Length is checked against the chunks when present
//     but not required; S3 requires it. An aws-chunked chunk may be at most
//     MaxBody bytes, since it is held until its signature is checked.
//   - SigV4a (AWS4-ECDSA-P256-SHA256) and SigV2 are refused as unsupported.
//   - Status codes split JSON 1.x (400) from REST-JSON (403) as AWS does;
//     callers pick ProtocolJSON or ProtocolRESTJSON per service.
package sigv4
