package thingsgraph

import "github.com/tgsim/tgsim/sim/tdm"

// SetStoreTestHook sets the hook run inside every store write transaction
// (its error aborts the write). Tests only.
func SetStoreTestHook(f func() error) { storeTestHook = f }

// InterruptDeployForTest leaves an instance as a crash between
// DeploySystemInstance's two commits leaves it on disk: DEPLOY_IN_PROGRESS,
// no Greengrass deployment. Tests only.
func InterruptDeployForTest(s *Service, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	inst := s.instances[tdm.Key(id)]
	s.setStatusLocked(inst, statusDeployInProgress)
	inst.ggDeploymentID = ""
	return s.commitLocked(&change{instances: []string{tdm.Key(inst.id)}})
}
