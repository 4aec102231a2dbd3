package harness

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	berrors "go.etcd.io/bbolt/errors"

	ggfake "github.com/tgsim/tgsim/fakes/greengrass"
	iamfake "github.com/tgsim/tgsim/fakes/iam"
	iotfake "github.com/tgsim/tgsim/fakes/iot"
)

// Files and directories under Options.DataDir.
const (
	IAMFile        = "iam.db"
	IoTFile        = "iot.db"
	GreengrassFile = "greengrass.db"
	// ThingsGraphFile is opened by thingsgraph.New (Options.DataFile).
	ThingsGraphFile = "thingsgraph.db"
	S3Dir           = "s3"
	// S3's own object store inside S3Dir (see fakes/s3 Options.DataDir).
	s3ObjectsFile = "s3.db"
)

// stores are the on-disk backends opened for Options.DataDir.
type stores struct {
	iam     *iamfake.Bolt
	iot     *iotfake.Bolt
	gg      *ggfake.Bolt
	closers []io.Closer // in open order; closed in reverse
}

// openStores opens the bbolt files of the IAM, IoT and Greengrass fakes in
// dir (created 0700). S3 is opened by s3fake.New from Options.DataDir. A
// file another process holds fails after bbolt's one-second lock timeout,
// with the file named.
func openStores(dir string) (*stores, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("harness: data dir: %w", err)
	}
	st := &stores{}
	fail := func(file string, err error) (*stores, error) {
		return nil, errors.Join(lockedErr(filepath.Join(dir, file), err), st.close())
	}
	var err error
	if st.iam, err = iamfake.OpenBolt(filepath.Join(dir, IAMFile)); err != nil {
		return fail(IAMFile, err)
	}
	st.closers = append(st.closers, st.iam)
	if st.iot, err = iotfake.OpenBolt(filepath.Join(dir, IoTFile)); err != nil {
		return fail(IoTFile, err)
	}
	st.closers = append(st.closers, st.iot)
	if st.gg, err = ggfake.OpenBolt(filepath.Join(dir, GreengrassFile)); err != nil {
		return fail(GreengrassFile, err)
	}
	st.closers = append(st.closers, st.gg)
	return st, nil
}

// lockedErr explains a bbolt lock timeout: another process (most likely
// another tgsim) has the file open.
func lockedErr(path string, err error) error {
	if errors.Is(err, berrors.ErrTimeout) {
		return fmt.Errorf("harness: data file %s is locked by another process (is another tgsim running with this --data directory?): %w", path, err)
	}
	return err
}

// add remembers a store opened elsewhere (S3), to be closed with the rest.
func (st *stores) add(c io.Closer) {
	if st != nil {
		st.closers = append(st.closers, c)
	}
}

// close closes every store in reverse open order.
func (st *stores) close() error {
	if st == nil {
		return nil
	}
	var errs []error
	for i := len(st.closers) - 1; i >= 0; i-- {
		if err := st.closers[i].Close(); err != nil {
			errs = append(errs, err)
		}
	}
	st.closers = nil
	return errors.Join(errs...)
}

type closerFunc func() error

func (f closerFunc) Close() error { return f() }

// restartCores starts, after a restart on a DataDir, the core of every
// group whose deployments include a successful one and whose newest is not
// a reset. A core asks for the group's newest deployment first, so it
// applies that again.
func (h *Harness) restartCores() {
	ctx := context.Background()
	gg := h.Greengrass.Backend()
	groups, err := gg.ListGroups(ctx)
	if err != nil {
		h.opts.Logger.Warn("restarting cores: listing groups", "error", err)
		return
	}
	for _, g := range groups {
		deps, err := gg.ListDeployments(ctx, g.ID)
		if err != nil || len(deps) == 0 {
			continue
		}
		if deps[0].Type == ggfake.ResetDeployment || deps[0].Type == ggfake.ForceResetDeployment {
			continue
		}
		for _, d := range deps {
			if d.Status == ggfake.StatusSuccess {
				go h.autoCore(g.ID)
				break
			}
		}
	}
}
