package edge

import (
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/tgsim/tgsim/fakes/awsproto"
	"github.com/tgsim/tgsim/fakes/sigv4"
)

// Account is another AWS account the edge serves besides Options.AccountID,
// known by its root access key. Only the services listed serve it: the
// other fakes hold one account's state (Options.AccountID's), and a call
// from another account must not read or change it. Things Graph keeps a
// namespace per account, so it serves any number of them.
type Account struct {
	ID              string
	AccessKeyID     string
	SecretAccessKey string
	// Services are the SigV4 service names that serve this account;
	// default iotthingsgraph and sts.
	Services []string
}

// DefaultAccountServices serve every Account that names none.
var DefaultAccountServices = []string{"iotthingsgraph", "sts"}

// lookupAccount authenticates a secondary account's root access key.
func (e *Edge) lookupAccount(akid string) (sigv4.Key, awsproto.Caller, bool) {
	for _, a := range e.opts.Accounts {
		if a.AccessKeyID == akid {
			return sigv4.Key{SecretAccessKey: a.SecretAccessKey},
				awsproto.Caller{Type: "Root", ARN: "arn:aws:iam::" + a.ID + ":root", UserID: a.ID, Account: a.ID}, true
		}
	}
	return sigv4.Key{}, awsproto.Caller{}, false
}

// accountOf is the account a caller acts in.
func (e *Edge) accountOf(c awsproto.Caller) string {
	if c.Account != "" {
		return c.Account
	}
	return e.opts.AccountID
}

// refuseAccount answers a secondary account's call to a service that does
// not serve it, naming what does; false when the call may go on.
func (e *Edge) refuseAccount(w http.ResponseWriter, r *http.Request, proto, service string, c awsproto.Caller) bool {
	id := e.accountOf(c)
	if id == e.opts.AccountID {
		return false
	}
	for _, a := range e.opts.Accounts {
		if a.ID != id {
			continue
		}
		svcs := a.Services
		if len(svcs) == 0 {
			svcs = DefaultAccountServices
		}
		if slices.Contains(svcs, service) {
			return false
		}
		e.rejectCode(w, r, proto, http.StatusNotImplemented, "NotImplemented",
			fmt.Sprintf("tgsim serves account %s for %s only; %s holds account %s's state alone", id, strings.Join(svcs, ", "), service, e.opts.AccountID))
		return true
	}
	return false
}
