package scenario

import (
	"fmt"
	"regexp"

	"github.com/tgsim/tgsim/fakes/edge"
)

// AccountSpec is another AWS account in the scenario's world. It acts as
// its root only: `as: NAME` makes a call or a setup step as that root.
// Things Graph and STS serve it (each account has its own Things Graph
// namespace); the other services hold the main account's state alone and
// refuse it with 501 NotImplemented (edge.Account).
type AccountSpec struct {
	Name string `yaml:"name"`
	ID   string `yaml:"id"`
}

var accountIDPattern = regexp.MustCompile(`^[0-9]{12}$`)

// validateAccounts checks the accounts' names and ids; users are the
// IAM user names, which share the `as:` name space with accounts.
func (f *File) validateAccounts(users map[string]bool, mainAccount string, add func(string, ...any)) {
	ids := map[string]bool{mainAccount: true}
	names := map[string]bool{}
	for i, a := range f.Accounts {
		if a.Name == "" {
			add("accounts[%d].name: required", i)
		} else if users[a.Name] {
			add("accounts[%d].name: %q is also an iam.users name; `as:` would not know which", i, a.Name)
		} else if names[a.Name] {
			add("accounts[%d].name: %q is listed twice", i, a.Name)
		}
		names[a.Name] = true
		switch {
		case !accountIDPattern.MatchString(a.ID):
			add("accounts[%d].id: %q, expected 12 digits", i, a.ID)
		case ids[a.ID]:
			add("accounts[%d].id: %s is the main account's or listed twice", i, a.ID)
		}
		ids[a.ID] = true
	}
}

// rootKey is an account's root access key.
func (a AccountSpec) rootKey() (akid, secret string) {
	return "AKIA" + a.ID + "ROOT", "root-secret-of-" + a.ID
}

// edgeAccounts gives each account its root access key.
func (f *File) edgeAccounts() []edge.Account {
	var out []edge.Account
	for _, a := range f.Accounts {
		akid, secret := a.rootKey()
		out = append(out, edge.Account{ID: a.ID, AccessKeyID: akid, SecretAccessKey: secret})
	}
	return out
}

// setupAccounts makes each account's root an identity `as:` can name.
func (r *runner) setupAccounts() {
	for _, a := range r.f.Accounts {
		akid, secret := a.rootKey()
		r.users[a.Name] = r.newIdentity(a.Name, fmt.Sprintf("arn:aws:iam::%s:root", a.ID), akid, secret, "")
	}
}
