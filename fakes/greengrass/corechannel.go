package greengrass

import (
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/tgsim/tgsim/fakes/awsproto"
)

// CoreChannelPrefix is where the stand-in for a core's deployment channel is
// served. In AWS a Greengrass v1 core learns of deployments and reports
// their outcome over MQTT with AWS IoT Core; until tgsim has that data
// plane, a core long-polls and reports here (SigV4-signed, service
// greengrass, like every other call of the core).
//
//	GET  /_tgsim/greengrass/groups/{GroupId}/deployments/next?after={DeploymentId}&wait={duration}
//	POST /_tgsim/greengrass/groups/{GroupId}/deployments/{DeploymentId}/status
//	POST /_tgsim/greengrass/groups/{GroupId}/coreCertificate (issueCoreCertificate)
//
// Divergence: not an AWS API; no AWS client calls it.
const CoreChannelPrefix = "/_tgsim/greengrass/"

// notifier wakes long polls when a group gets a deployment.
type notifier struct {
	mu    sync.Mutex
	chans map[string]chan struct{}
}

// wait returns a channel closed at the group's next deployment.
func (n *notifier) wait(groupID string) <-chan struct{} {
	n.mu.Lock()
	defer n.mu.Unlock()
	ch, ok := n.chans[groupID]
	if !ok {
		ch = make(chan struct{})
		n.chans[groupID] = ch
	}
	return ch
}

func (n *notifier) notify(groupID string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if ch, ok := n.chans[groupID]; ok {
		close(ch)
		delete(n.chans, groupID)
	}
}

const (
	defaultCoreWait = 20 * time.Second
	maxCoreWait     = 60 * time.Second
)

// serveCoreChannel answers the core routes.
func (s *Service) serveCoreChannel(w http.ResponseWriter, r *http.Request) {
	segs := strings.Split(strings.TrimPrefix(r.URL.Path, CoreChannelPrefix), "/")
	var err error
	switch {
	case r.Method == http.MethodGet && len(segs) == 4 && segs[0] == "groups" && segs[2] == "deployments" && segs[3] == "next":
		err = s.nextDeployment(w, r, segs[1])
	case r.Method == http.MethodPost && len(segs) == 5 && segs[0] == "groups" && segs[2] == "deployments" && segs[4] == "status":
		err = s.reportStatus(w, r, segs[1], segs[3])
	case r.Method == http.MethodPost && len(segs) == 3 && segs[0] == "groups" && segs[2] == "coreCertificate":
		err = s.issueCoreCertificate(w, r, segs[1])
	default:
		err = unknownOperation(r.Method, r.URL.Path)
	}
	if err != nil {
		s.writeError(w, r, err)
	}
}

// nextDeployment answers the group's newest deployment created after the
// one named by ?after=, waiting up to ?wait= for one to arrive (204 if none).
func (s *Service) nextDeployment(w http.ResponseWriter, r *http.Request, groupID string) error {
	ctx := r.Context()
	if _, err := s.backend.GetGroup(ctx, groupID); err != nil {
		return err
	}
	wait := defaultCoreWait
	if v := r.URL.Query().Get("wait"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			return badRequest("wait %q is not a non-negative duration such as 20s", v)
		}
		wait = min(d, maxCoreWait)
	}
	after := r.URL.Query().Get("after")
	timer := time.NewTimer(wait)
	defer timer.Stop()
	for {
		// Take the wake-up channel before reading, so a deployment created
		// in between is never missed.
		woken := s.notify.wait(groupID)
		list, err := s.backend.ListDeployments(ctx, groupID) // newest first
		if err != nil {
			return err
		}
		if len(list) > 0 && list[0].DeploymentID != after {
			d := list[0]
			awsproto.WriteJSON(w, http.StatusOK, "application/json", map[string]string{
				"DeploymentId": d.DeploymentID, "DeploymentType": string(d.Type),
				"GroupVersionId": d.GroupVersionID, "CreatedAt": timestamp(d.CreatedAt),
			})
			return nil
		}
		select {
		case <-woken:
		case <-timer.C:
			w.WriteHeader(http.StatusNoContent)
			return nil
		case <-ctx.Done():
			return nil
		}
	}
}

func (s *Service) reportStatus(w http.ResponseWriter, r *http.Request, groupID, deploymentID string) error {
	var in struct {
		Status       DeploymentStatus
		ErrorMessage string
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	if _, err := s.SetDeploymentStatus(r.Context(), groupID, deploymentID, in.Status, in.ErrorMessage); err != nil {
		return err
	}
	reply(w, struct{}{})
	return nil
}
