package scenario

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/greengrass"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iot"
	iottypes "github.com/aws/aws-sdk-go-v2/service/iot/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/aws-sdk-go/aws/corehandlers"
	"github.com/aws/aws-sdk-go/aws/request"
	"github.com/aws/aws-sdk-go/aws/session"
	v4v1 "github.com/aws/aws-sdk-go/aws/signer/v4"
	"github.com/aws/aws-sdk-go/service/iotdataplane"
	"github.com/aws/aws-sdk-go/service/iotthingsgraph"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/tgsim/tgsim/fakes/awsproto"
	"github.com/tgsim/tgsim/fakes/edge"
	"github.com/tgsim/tgsim/fakes/iotdata"
)

// FaultStep arms a fault at the edge (edge.Fault): the next Times calls of
// Operation on Service fail with Error (default: the service's throttling
// error) before reaching the service. Official clients retry throttling
// errors: aws-sdk-go-v2's standard retryer makes 3 attempts, so times: 2
// is absorbed and times: 3 fails the call; the v1 Things Graph client of
// the scenarios makes 1.
type FaultStep struct {
	ID        string `yaml:"id"`
	Service   string `yaml:"service"`
	Operation string `yaml:"operation"`
	Error     string `yaml:"error"`
	Message   string `yaml:"message"`
	Status    int    `yaml:"status"`
	Times     int    `yaml:"times"`
	// As limits the fault to calls of one iam.users entry ("root" for the
	// account root); empty fails every caller's calls.
	As string `yaml:"as"`
}

// RevokeStep sets a thing's certificate to REVOKED with iot
// UpdateCertificate, as the account root. Its next CONNECT, to its core or
// to AWS IoT Core, is refused. AWS IoT Core also closes the connection the
// certificate has open; a Greengrass core keeps it [INF].
type RevokeStep struct {
	Thing string `yaml:"thing"`
}

// FaultExpect checks how many calls the edge's faults failed: those armed
// with ID, or on Service (and Operation, when set).
type FaultExpect struct {
	ID        string `yaml:"id"`
	Service   string `yaml:"service"`
	Operation string `yaml:"operation"`
	Count     *int   `yaml:"count"`
}

// corePacketCap is sim/core's MQTT MaximumPacketSize (AWS IoT's 128 KiB
// payload plus 64 KiB of headroom): a bigger PUBLISH closes the
// connection.
const corePacketCap = 128*1024 + 64*1024

// validateFaultSteps checks the fault keys of step i and returns how many
// of the step's kinds it found (fault, revokeCertificate).
func (f *File) validateFaultSteps(i int, s Step, things, users map[string]bool, add func(string, ...any)) int {
	n := 0
	if fs := s.Fault; fs != nil {
		n++
		if _, err := edge.New(edge.Options{}).Faults().Add(fs.edgeFault("")); err != nil {
			add("steps[%d].%s", i, err.Error())
		}
		if fs.As != "" && fs.As != "root" && !users[fs.As] {
			add("steps[%d].fault.as: %q is neither root nor listed in iam.users", i, fs.As)
		}
	}
	if rs := s.RevokeCertificate; rs != nil {
		n++
		if !things[rs.Thing] {
			add("steps[%d].revokeCertificate.thing: %q is not listed in setup.things", i, rs.Thing)
		}
	}
	if p := s.Publish; p != nil {
		if p.SizeBytes < 0 {
			add("steps[%d].publish.sizeBytes: %d, expected a positive size", i, p.SizeBytes)
		}
		if p.Oversize && p.SizeBytes > 0 {
			add("steps[%d].publish: set oversize or sizeBytes, not both", i)
		}
		if p.Corrupt && (p.Oversize || p.SizeBytes > 0) {
			add("steps[%d].publish: corrupt truncates the payload; it does not combine with oversize or sizeBytes", i)
		}
	}
	if c := s.Call; c != nil && c.Attempts < 0 {
		add("steps[%d].call.attempts: %d, expected at least 1", i, c.Attempts)
	}
	return n
}

// edgeFault turns the step into the edge's fault; account expands user
// names into ARNs.
func (fs *FaultStep) edgeFault(account string) edge.Fault {
	as := fs.As
	if as != "" && as != "root" {
		as = "arn:aws:iam::" + account + ":user/" + as
	}
	return edge.Fault{ID: fs.ID, Service: fs.Service, Operation: fs.Operation, Error: fs.Error, Message: fs.Message,
		Status: fs.Status, Times: fs.Times, As: as}
}

// faultRoute calls the edge's fault control route as the account root.
func (r *runner) faultRoute(ctx context.Context, method string, body []byte) ([]byte, error) {
	resp, err := awsproto.DoSigned(ctx, r.h.AWS, method, r.h.URL+edge.FaultsPath, "iot", body)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, edge.FaultsPath, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, edge.FaultsPath, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s %s: %s: %s", method, edge.FaultsPath, resp.Status, bytes.TrimSpace(b))
	}
	return b, nil
}

// armFault arms a fault through the control route, as a tgsim up user
// would.
func (r *runner) armFault(ctx context.Context, fs *FaultStep) error {
	body, _ := json.Marshal(fs.edgeFault(r.h.AccountID()))
	if _, err := r.faultRoute(ctx, http.MethodPost, body); err != nil {
		return fmt.Errorf("fault: %w", err)
	}
	return nil
}

// checkFaults checks expect.faults against the edge's counts.
func (r *runner) checkFaults(ctx context.Context) {
	if len(r.f.Expect.Faults) == 0 {
		return
	}
	var list struct{ Faults []edge.Fault }
	b, err := r.faultRoute(ctx, http.MethodGet, nil)
	if err == nil {
		err = json.Unmarshal(b, &list)
	}
	for _, fe := range r.f.Expect.Faults {
		name := "faults injected on " + strings.TrimSpace(fe.Service+" "+fe.Operation)
		if fe.ID != "" {
			name = "faults injected by " + fe.ID
		}
		if err != nil {
			r.check(name, false, "reading the edge's faults: %v", err)
			continue
		}
		got := 0
		for _, f := range list.Faults {
			if (fe.ID == "" || f.ID == fe.ID) && (fe.Service == "" || f.Service == fe.Service) && (fe.Operation == "" || f.Operation == fe.Operation) {
				got += f.Injected
			}
		}
		if fe.Count != nil {
			r.check(name, got == *fe.Count, "%d calls failed, want %d", got, *fe.Count)
		} else {
			r.check(name, got > 0, "%d calls failed, want at least 1", got)
		}
	}
}

// revokeCertificate revokes a thing's certificate and, where AWS does,
// closes the connection it has open.
func (r *runner) revokeCertificate(ctx context.Context, rs *RevokeStep) error {
	pair, ok := r.certs[rs.Thing]
	if !ok || len(pair.Certificate) == 0 {
		return fmt.Errorf("revokeCertificate: thing %s has no certificate", rs.Thing)
	}
	sum := sha256.Sum256(pair.Certificate[0])
	certID := hex.EncodeToString(sum[:])
	if _, err := r.root.iot.UpdateCertificate(ctx, &iot.UpdateCertificateInput{CertificateId: aws.String(certID), NewStatus: iottypes.CertificateStatusRevoked}); err != nil {
		return fmt.Errorf("revokeCertificate: iot UpdateCertificate %s: %w", rs.Thing, err)
	}
	// The harness closes the certificate's AWS IoT Core connections as
	// UpdateCertificate returns (harness.go); a Greengrass core refuses it
	// at the next CONNECT and keeps an open connection. A cloud device's
	// client is done with: keep what it received.
	if r.groupOf[rs.Thing] == cloudGroup && r.devices[rs.Thing] != nil {
		d := r.devices[rs.Thing]
		r.past[rs.Thing] = append(r.past[rs.Thing], d.Received()...)
		d.Close()
		delete(r.devices, rs.Thing)
	}
	r.log.Info("certificate revoked", "thing", rs.Thing, "certificate_id", certID)
	return nil
}

// skewSigner signs with a clock off by skew: the client machine's clock.
type skewSigner struct {
	inner *v4.Signer
	skew  time.Duration
}

func (s skewSigner) SignHTTP(ctx context.Context, creds aws.Credentials, r *http.Request, payloadHash, service, region string, t time.Time, optFns ...func(*v4.SignerOptions)) error {
	return s.inner.SignHTTP(ctx, creds, r, payloadHash, service, region, t.Add(s.skew), optFns...)
}

// shiftDate makes the client read the server's Date header through its
// skewed clock. aws-sdk-go-v2 measures its skew as Date minus its own
// clock and corrects the next attempt's signing time by it (the SDKs'
// clock skew correction); the signer above skews the signing time only,
// so the Date it sees is shifted the other way to keep the two
// consistent with a machine whose clock is off.
func shiftDate(skew time.Duration) func(*middleware.Stack) error {
	return func(st *middleware.Stack) error {
		return st.Deserialize.Add(middleware.DeserializeMiddlewareFunc("TgsimClientClockSkew",
			func(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (middleware.DeserializeOutput, middleware.Metadata, error) {
				out, md, err := next.HandleDeserialize(ctx, in)
				if resp, ok := out.RawResponse.(*smithyhttp.Response); ok {
					if t, perr := http.ParseTime(resp.Header.Get("Date")); perr == nil {
						resp.Header.Set("Date", t.Add(-skew).UTC().Format(http.TimeFormat))
					}
				}
				return out, md, err
			}), middleware.After)
	}
}

// countAttempts counts the requests a v2 client sends: the Finalize step
// runs once per attempt, inside the retry loop.
func countAttempts(n *atomic.Int32) func(*middleware.Stack) error {
	return func(st *middleware.Stack) error {
		return st.Finalize.Add(middleware.FinalizeMiddlewareFunc("TgsimCountAttempts",
			func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
				n.Add(1)
				return next.HandleFinalize(ctx, in)
			}), middleware.After)
	}
}

// callIdentity derives, from id's clients, clients that count their
// attempts and sign with a clock off by skew. The clients and their
// retryers are otherwise id's own.
func (r *runner) callIdentity(id *identity, skew time.Duration) (*identity, *atomic.Int32) {
	n := new(atomic.Int32)
	apiOpts := []func(*middleware.Stack) error{countAttempts(n)}
	if skew != 0 {
		apiOpts = append(apiOpts, shiftDate(skew))
	}
	signer := func() v4.HTTPSigner {
		if skew == 0 {
			return nil
		}
		return skewSigner{inner: v4.NewSigner(), skew: skew}
	}
	out := &identity{name: id.name, arn: id.arn}
	// A client copies its signer into its auth schemes when built: a nil
	// AuthSchemes makes New build them again around the skewed signer.
	out.iot = iot.New(id.iot.Options(), func(o *iot.Options) {
		o.APIOptions = append(o.APIOptions, apiOpts...)
		if s := signer(); s != nil {
			o.HTTPSignerV4, o.AuthSchemes = s, nil
		}
	})
	out.gg = greengrass.New(id.gg.Options(), func(o *greengrass.Options) {
		o.APIOptions = append(o.APIOptions, apiOpts...)
		if s := signer(); s != nil {
			o.HTTPSignerV4, o.AuthSchemes = s, nil
		}
	})
	out.s3 = s3.New(id.s3.Options(), func(o *s3.Options) {
		o.APIOptions = append(o.APIOptions, apiOpts...)
		if s := signer(); s != nil {
			o.HTTPSignerV4, o.AuthSchemes = s, nil
		}
	})
	out.iam = iam.New(id.iam.Options(), func(o *iam.Options) {
		o.APIOptions = append(o.APIOptions, apiOpts...)
		if s := signer(); s != nil {
			o.HTTPSignerV4, o.AuthSchemes = s, nil
		}
	})
	out.sts = sts.New(id.sts.Options(), func(o *sts.Options) {
		o.APIOptions = append(o.APIOptions, apiOpts...)
		if s := signer(); s != nil {
			o.HTTPSignerV4, o.AuthSchemes = s, nil
		}
	})
	// The v1 clients (Things Graph, IoT data): same session settings (no
	// retries), a counting send handler and, skewed, a signer on the
	// skewed clock.
	v1 := func(h *request.Handlers) {
		h.Send.PushFront(func(*request.Request) { n.Add(1) })
		if skew != 0 {
			// v1 re-signs a request whose signing time looks over 5
			// minutes old by the real clock; a skewed machine compares two
			// readings of its own clock and would not.
			h.Send.RemoveByName(corehandlers.ValidateReqSigHandler.Name)
			h.Sign.Swap(v4v1.SignRequestHandler.Name, request.NamedHandler{Name: v4v1.SignRequestHandler.Name, Fn: func(req *request.Request) {
				v4v1.SignSDKRequestWithCurrentTime(req, func() time.Time { return time.Now().Add(skew) })
			}})
		}
	}
	out.tg = iotthingsgraph.New(session.Must(session.NewSession(id.tg.Client.Config.Copy())))
	v1(&out.tg.Handlers)
	if id.data != nil {
		out.data = iotdataplane.New(session.Must(session.NewSession(id.data.Client.Config.Copy())))
		v1(&out.data.Handlers)
	}
	return out, n
}

// publishPayload builds the payload of a publish step's seq'th message:
// the expanded template as JSON, truncated by one byte when corrupt (no
// longer JSON), or filled to a size: sizeBytes, or one byte over the
// broker's limit when oversize.
func (r *runner) publishPayload(p *PublishStep, seq int) []byte {
	b, _ := json.Marshal(expand(p.Payload, seq, p.Thing))
	size := p.SizeBytes
	if p.Oversize {
		size = corePacketCap + 1
		if r.groupOf[p.Thing] == cloudGroup {
			size = iotdata.DefaultMaxPayload + 1
		}
	}
	switch {
	case p.Corrupt:
		return b[:len(b)-1]
	case size > 0:
		// A JSON string of the wanted size, so only its size is at fault.
		if size < 2 {
			return bytes.Repeat([]byte("x"), size)
		}
		return append(append([]byte{'"'}, bytes.Repeat([]byte("x"), size-2)...), '"')
	}
	return b
}

// refusalSince describes the refusals of a client (clientID) of thing's
// broker after a snapshot (taken by refusalMark): the reasons its core or
// AWS IoT Core recorded. With wait, it gives the broker up to 2 s to
// record one (the client may see the connection close first). Callers do
// not wait for a refusal in the TLS handshake (plain TCP to a TLS port):
// brokers never record one.
func (r *runner) refusalSince(ctx context.Context, thing, clientID string, mark refusalMark, wait bool) string {
	deadline := time.Now().Add(2 * time.Second)
	for {
		reasons := r.refusals(thing, clientID, mark)
		if len(reasons) > 0 {
			return strings.Join(reasons, "; ")
		}
		if !wait || time.Now().After(deadline) {
			return "no refusal recorded"
		}
		select {
		case <-ctx.Done():
			return "no refusal recorded"
		case <-time.After(10 * time.Millisecond):
		}
	}
}

func (r *runner) refusals(thing, clientID string, mark refusalMark) []string {
	var reasons []string
	if g := r.groupOf[thing]; g != cloudGroup {
		if c := r.h.Core(g); c != nil {
			for reason, n := range c.Refusals() {
				if n > mark.core[reason] {
					reasons = append(reasons, fmt.Sprintf("core refused: %s", reason))
				}
			}
		}
	} else {
		all := r.h.IoTData.Denials()
		for _, d := range all[min(mark.cloud, len(all)):] {
			if d.ClientID == clientID {
				reasons = append(reasons, fmt.Sprintf("AWS IoT %s refused: %s", d.Action, d.Reason))
			}
		}
	}
	// A client may try again at once (paho falls back from MQTT 3.1.1 to
	// 3.1 when refused): each reason once.
	sort.Strings(reasons)
	return slices.Compact(reasons)
}

type refusalMark struct {
	core  map[string]uint64
	cloud int
}

func (r *runner) refusalMark(thing string) refusalMark {
	m := refusalMark{}
	if g := r.groupOf[thing]; g != cloudGroup {
		if c := r.h.Core(g); c != nil {
			m.core = c.Refusals()
		}
	} else {
		m.cloud = len(r.h.IoTData.Denials())
	}
	return m
}

// callStep runs a call step through the official client, with a skewed
// clock or counting attempts when asked.
func (r *runner) callStep(ctx context.Context, c *CallStep) error {
	name := "call " + c.Service + " " + c.Operation
	if c.As != "" {
		name += " as " + c.As
	}
	id := r.as(c.As)
	var attempts *atomic.Int32
	if c.ClockSkew != 0 || c.Attempts > 0 {
		id, attempts = r.callIdentity(id, time.Duration(c.ClockSkew))
	}
	if c.ClockSkew != 0 {
		name += fmt.Sprintf(" with the clock %s off", time.Duration(c.ClockSkew))
	}
	out, err := r.callAPIOutput(ctx, id, c.Service, c.Operation, c.Input)
	if err := r.outcome(name, orSuccess(c.Expect), err); err != nil {
		return err
	}
	if c.Output != nil && err == nil {
		d := matchOutput(c.Output, out)
		r.check(name+" output", d == "", "%s", orText(d, "as expected"))
	}
	if c.Attempts > 0 {
		got := int(attempts.Load())
		r.check(name+" attempts", got == c.Attempts, "%d requests sent, want %d", got, c.Attempts)
	}
	return nil
}
