package edge

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/tgsim/tgsim/fakes/awsproto"
	"github.com/tgsim/tgsim/fakes/sigv4"
)

// FaultsPath is the control route of the fault injector:
//
//	POST   /_tgsim/faults        arm a Fault (JSON body); answers it with its id
//	GET    /_tgsim/faults        every fault armed so far, with its counts
//	DELETE /_tgsim/faults        disarm and forget every fault
//	DELETE /_tgsim/faults/{id}   disarm one
//
// With IAM soft or enforce the request must be SigV4-signed by the account
// root (any credential scope) [INF: an operator's knob, not an AWS API, so
// no IAM action names it]; with IAM off anyone may call it, as every other
// route. Not an AWS API; no AWS client calls it.
const FaultsPath = "/_tgsim/faults"

// Fault makes an AWS operation fail: while armed, the next Times calls of
// Operation on Service (by the caller As, when set) that pass
// authentication and authorization are answered with the AWS-shaped error
// instead of reaching the service. The error is encoded in the service's
// wire protocol: JSON __type for JSON 1.1 and REST-JSON, the query
// protocol's <ErrorResponse>, S3's <Error>.
type Fault struct {
	// ID names the fault in logs, metrics and the control route; assigned
	// (fault-1, fault-2, ...) when empty.
	ID string `json:"id,omitempty"`
	// Service is the SigV4 service name the edge routes by: iotthingsgraph,
	// greengrass, iot, iotdata, iam, sts, s3.
	Service string `json:"service"`
	// Operation is the AWS operation name (CreateDeployment, PutObject), or
	// "*" for every operation of the service.
	Operation string `json:"operation"`
	// Error is the AWS error code; default the service's throttling code
	// (ThrottlingException, Throttling for IAM and STS, SlowDown for S3).
	Error string `json:"error,omitempty"`
	// Message defaults to the message AWS sends with the default codes.
	Message string `json:"message,omitempty"`
	// Status is the HTTP status; default the code's (DefaultFaultStatus).
	Status int `json:"status,omitempty"`
	// Times is how many calls fail; at least 1.
	Times int `json:"times"`
	// As restricts the fault to one caller: an ARN, root, user/NAME or
	// role/NAME (an assumed role's sessions). Empty matches every caller.
	As string `json:"as,omitempty"`

	// Injected counts the calls failed so far (read-only).
	Injected int `json:"injected"`
}

// Remaining is how many more calls the fault will fail.
func (f Fault) Remaining() int { return max(0, f.Times-f.Injected) }

// rule names the fault in logs: which rule decided the denial.
func (f Fault) rule() string {
	return fmt.Sprintf("fault %s (%s %s %s, %d of %d)", f.ID, f.Service, f.Operation, f.Error, f.Injected, f.Times)
}

// throttleOf is each protocol's throttling error, as AWS answers it:
// JSON services ThrottlingException "Rate exceeded" (iot api-2.json
// ThrottlingException 400; iot-data 429; iotthingsgraph declares it
// without a status), IAM and STS Throttling "Rate exceeded" (query
// protocol; the code the SDKs' DefaultThrottleErrorCodes list), S3
// SlowDown 503 "Please reduce your request rate." (S3 error responses).
// Greengrass declares no throttling error in its model [INF: its API front
// door answers ThrottlingException 400 like IoT's].
var throttleOf = map[string]struct {
	code, message string
	status        int
}{
	protocolJSON:  {"ThrottlingException", "Rate exceeded", http.StatusBadRequest},
	protocolQuery: {"Throttling", "Rate exceeded", http.StatusBadRequest},
	protocolS3:    {"SlowDown", "Please reduce your request rate.", http.StatusServiceUnavailable},
}

// DefaultFaultStatus is the HTTP status a fault's error code gets when the
// fault names none: the status the API models declare for the codes
// scenarios inject, else 400 (5xx codes by their name).
func DefaultFaultStatus(service, code string) int {
	switch {
	case code == "ThrottlingException" && service == "iotdata":
		return http.StatusTooManyRequests // iot-data api-2.json
	case code == "SlowDown", code == "ServiceUnavailable", code == "ServiceUnavailableException":
		return http.StatusServiceUnavailable
	case code == "InternalError", code == "InternalFailure", code == "InternalFailureException",
		code == "InternalException", code == "InternalServerException", code == "InternalServerErrorException", code == "ServiceFailure":
		return http.StatusInternalServerError
	case code == "LimitExceeded":
		return http.StatusConflict // iam api-2.json
	case code == "LimitExceededException" && service == "iot":
		return http.StatusGone // iot api-2.json
	}
	return http.StatusBadRequest
}

// Faults is the edge's fault injector. Safe for concurrent use.
type Faults struct {
	account string
	mu      sync.Mutex
	faults  []*Fault // in arming order; exhausted ones stay for inspection
	next    int
	// armed counts faults with calls left, written under mu and read
	// without it: every request through the edge asks, so the common
	// case (none armed) takes no lock.
	armed atomic.Int64
}

// Add arms a fault after checking it; it returns the fault with its ID and
// defaults filled in.
func (fs *Faults) Add(f Fault) (Fault, error) {
	proto, ok := protocolOf[f.Service]
	switch {
	case !ok:
		return Fault{}, fmt.Errorf("fault service %q: expected one of %s", f.Service, strings.Join(sortedProtocolNames(), ", "))
	case f.Operation == "":
		return Fault{}, errors.New("fault operation: required (an AWS operation name such as CreateDeployment, or *)")
	case f.Times < 1:
		return Fault{}, fmt.Errorf("fault times: %d, expected at least 1", f.Times)
	case f.Status != 0 && (f.Status < 400 || f.Status > 599):
		return Fault{}, fmt.Errorf("fault status: %d, expected an HTTP error status (400-599)", f.Status)
	}
	if f.Error == "" {
		t := throttleOf[proto]
		f.Error = t.code
		if f.Message == "" {
			f.Message = t.message
		}
		if f.Status == 0 {
			f.Status = t.status
		}
	}
	if f.Status == 0 {
		f.Status = DefaultFaultStatus(f.Service, f.Error)
	}
	if f.Message == "" {
		f.Message = "injected by tgsim"
	}
	f.Injected = 0
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.next++
	if f.ID == "" {
		f.ID = "fault-" + strconv.Itoa(fs.next)
	}
	for _, g := range fs.faults {
		if g.ID == f.ID {
			return Fault{}, fmt.Errorf("fault id %q: already armed", f.ID)
		}
	}
	c := f
	fs.faults = append(fs.faults, &c)
	fs.armed.Add(1)
	return f, nil
}

// List returns every fault armed since the last Clear, in arming order.
func (fs *Faults) List() []Fault {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	out := make([]Fault, len(fs.faults))
	for i, f := range fs.faults {
		out[i] = *f
	}
	return out
}

// Remove disarms and forgets one fault; it reports whether it existed.
func (fs *Faults) Remove(id string) bool {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	i := slices.IndexFunc(fs.faults, func(f *Fault) bool { return f.ID == id })
	if i < 0 {
		return false
	}
	if fs.faults[i].Remaining() > 0 {
		fs.armed.Add(-1)
	}
	fs.faults = slices.Delete(fs.faults, i, i+1)
	return true
}

// Clear disarms and forgets every fault.
func (fs *Faults) Clear() {
	fs.mu.Lock()
	fs.faults = nil
	fs.armed.Store(0)
	fs.mu.Unlock()
}

func (fs *Faults) isArmed() bool {
	return fs.armed.Load() > 0
}

// take consumes one call of the first armed fault matching the request and
// returns it as it stands after the call, or false.
func (fs *Faults) take(service, op string, caller awsproto.Caller) (Fault, bool) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	for _, f := range fs.faults {
		if f.Remaining() == 0 || f.Service != service || (f.Operation != "*" && f.Operation != op) || !fs.callerMatches(f.As, caller) {
			continue
		}
		f.Injected++
		if f.Remaining() == 0 {
			fs.armed.Add(-1)
		}
		return *f, true
	}
	return Fault{}, false
}

// callerMatches reports whether as (see Fault.As) names the caller.
func (fs *Faults) callerMatches(as string, c awsproto.Caller) bool {
	switch {
	case as == "":
		return true
	case as == "root":
		return c.Type == "Root"
	case strings.HasPrefix(as, "user/"):
		return c.ARN == "arn:aws:iam::"+fs.account+":"+as
	case strings.HasPrefix(as, "role/"):
		// Calls with a role's credentials come from its sessions.
		return strings.HasPrefix(c.ARN, "arn:aws:sts::"+fs.account+":assumed-role/"+strings.TrimPrefix(as, "role/")+"/")
	}
	return c.ARN == as
}

func sortedProtocolNames() []string {
	out := make([]string, 0, len(protocolOf))
	for n := range protocolOf {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// Faults returns the edge's fault injector.
func (e *Edge) Faults() *Faults { return e.faults }

// injectFault answers the request with an armed fault's error, if one
// matches; it reports whether it did. op is the operation the service's
// Describer named, or "" when the edge has not asked yet (IAM off).
func (e *Edge) injectFault(w http.ResponseWriter, r *http.Request, service, op string, caller awsproto.Caller) bool {
	if !e.faults.isArmed() {
		return false
	}
	if op == "" {
		h := e.opts.Services[service]
		d, ok := h.(awsproto.Describer)
		if !ok {
			return false
		}
		dr := r.WithContext(awsproto.WithRequestInfo(r.Context(), awsproto.RequestInfo{Scope: awsproto.Scope{Service: service, Region: e.opts.DefaultRegion}, AccountID: e.opts.AccountID, Region: e.opts.DefaultRegion, Caller: caller}))
		call, err := d.Describe(dr)
		r.Body = dr.Body
		if err != nil {
			return false // the service answers the malformed request itself
		}
		op = call.Operation
	}
	f, ok := e.faults.take(service, op, caller)
	if !ok {
		return false
	}
	ctx := r.Context()
	e.counters.fault(service, op, f.Error)
	e.log.InfoContext(ctx, "fault injected", "rule", f.rule(), "service", service, "op", op, "caller", caller.ARN,
		"code", f.Error, "remaining", f.Remaining(), "request_id", awsproto.RequestID(ctx))
	e.writeErr(w, r, guessProtocol(r, service), awsproto.NewError(f.Status, f.Error, "%s", f.Message))
	return true
}

// serveFaults answers the control route.
func (e *Edge) serveFaults(w http.ResponseWriter, r *http.Request) {
	if e.opts.Mode != ModeOff && e.opts.Identity != nil {
		if code, msg := e.authorizeRoot(r); code != "" {
			e.rejectCode(w, r, protocolJSON, http.StatusForbidden, code, msg)
			return
		}
	}
	id := strings.TrimPrefix(strings.TrimPrefix(r.URL.Path, FaultsPath), "/")
	switch {
	case r.Method == http.MethodGet && id == "":
		writeFaultsJSON(w, http.StatusOK, map[string]any{"faults": e.faults.List()})
	case r.Method == http.MethodPost && id == "":
		var f Fault
		body, err := awsproto.ReadBody(r)
		if err == nil {
			err = awsproto.DecodeJSON(body, &f)
		}
		if err == nil {
			f, err = e.faults.Add(f)
		}
		if err != nil {
			e.rejectCode(w, r, protocolJSON, http.StatusBadRequest, "ValidationException", err.Error())
			return
		}
		e.log.InfoContext(r.Context(), "fault armed", "rule", f.rule(), "as", f.As)
		writeFaultsJSON(w, http.StatusOK, f)
	case r.Method == http.MethodDelete && id == "":
		e.faults.Clear()
		w.WriteHeader(http.StatusNoContent)
	case r.Method == http.MethodDelete:
		if !e.faults.Remove(id) {
			e.rejectCode(w, r, protocolJSON, http.StatusNotFound, "ResourceNotFoundException", fmt.Sprintf("no fault with id %q", id))
			return
		}
		w.WriteHeader(http.StatusNoContent)
	default:
		w.Header().Set("Allow", "GET, POST, DELETE")
		e.rejectCode(w, r, protocolJSON, http.StatusMethodNotAllowed, "UnknownOperationException", r.Method+" "+r.URL.Path+" is not a fault route")
	}
}

// authorizeRoot checks that the request is SigV4-signed by the account
// root; it returns an error code and message otherwise.
func (e *Edge) authorizeRoot(r *http.Request) (code, msg string) {
	_, signed, err := awsproto.ParseScope(r)
	if err != nil {
		return "IncompleteSignatureException", err.Error()
	}
	if !signed {
		return "MissingAuthenticationTokenException", "Missing Authentication Token"
	}
	var caller awsproto.Caller
	_, err = sigv4.Verify(r, sigv4.Options{Now: e.opts.Now, MaxSkew: e.opts.MaxSkew, Lookup: func(akid string) (sigv4.Key, bool) {
		k, c, ok := e.opts.Identity.Authenticate(akid)
		caller = c
		return k, ok
	}})
	if err != nil {
		var se *sigv4.Error
		if errors.As(err, &se) {
			code, _ := se.Code(sigv4.ProtocolRESTJSON)
			return code, se.MessageFor(sigv4.ProtocolRESTJSON)
		}
		return "IncompleteSignatureException", err.Error()
	}
	if caller.Type != "Root" {
		return "AccessDeniedException", fmt.Sprintf("User: %s is not authorized to change tgsim's fault injector: only the account root may", caller.ARN)
	}
	return "", ""
}

func writeFaultsJSON(w http.ResponseWriter, status int, v any) {
	b, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
