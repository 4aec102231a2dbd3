package s3

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/johannesboyne/gofakes3/backend/s3bolt"
	bolt "go.etcd.io/bbolt"

	"github.com/tgsim/tgsim/fakes/policy"
)

// Files under Options.DataDir.
const (
	objectsFile   = "s3.db"            // gofakes3's bolt backend: buckets and objects
	settingsFile  = "s3-settings.json" // bucket policies, default encryption, logging
	masterKeyFile = "s3-master.key"    // the key that wraps every bucket's data key
)

// openDataDir prepares on-disk state: the master key (created once, 0600),
// the object store and the saved bucket settings.
func openDataDir(dir string) (masterKey []byte, objects *s3bolt.Backend, db *bolt.DB, settings map[string]*bucketSettings, err error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, nil, nil, nil, fmt.Errorf("s3: data dir: %w", err)
	}
	masterKey, err = loadOrCreateKey(filepath.Join(dir, masterKeyFile))
	if err != nil {
		return nil, nil, nil, nil, err
	}
	settings, err = loadSettings(filepath.Join(dir, settingsFile))
	if err != nil {
		return nil, nil, nil, nil, err
	}
	// bbolt fsyncs every committed transaction; gofakes3 writes each object
	// (data and metadata together) in one.
	db, err = bolt.Open(filepath.Join(dir, objectsFile), 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		return nil, nil, nil, nil, fmt.Errorf("s3: object store: %w", err)
	}
	return masterKey, s3bolt.New(db), db, settings, nil
}

func loadOrCreateKey(path string) ([]byte, error) {
	key, err := os.ReadFile(path)
	switch {
	case err == nil:
		if len(key) != 32 {
			return nil, fmt.Errorf("s3: master key %s has %d bytes, want 32", path, len(key))
		}
		return key, nil
	case !errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("s3: master key: %w", err)
	}
	key = make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("s3: generating master key: %w", err)
	}
	if err := writeFileSync(path, key, 0o600); err != nil {
		return nil, fmt.Errorf("s3: saving master key: %w", err)
	}
	return key, nil
}

// savedSettings is bucketSettings as stored.
type savedSettings struct {
	Encryption *sseDefault     `json:"encryption,omitempty"`
	BucketKey  bool            `json:"bucketKeyEnabled,omitempty"`
	PolicyDoc  string          `json:"policy,omitempty"`
	Logging    *loggingEnabled `json:"logging,omitempty"`
}

func loadSettings(path string) (map[string]*bucketSettings, error) {
	out := map[string]*bucketSettings{}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return out, nil
	}
	if err != nil {
		return nil, fmt.Errorf("s3: bucket settings: %w", err)
	}
	var saved map[string]savedSettings
	if err := json.Unmarshal(b, &saved); err != nil {
		return nil, fmt.Errorf("s3: bucket settings %s: %w", path, err)
	}
	for bucket, sv := range saved {
		st := &bucketSettings{encryption: sv.Encryption, policyDoc: sv.PolicyDoc, logging: sv.Logging}
		if st.encryption != nil {
			st.encryption.bucketKey = sv.BucketKey
		}
		if sv.PolicyDoc != "" {
			p, err := policy.Parse(sv.PolicyDoc)
			if err != nil {
				return nil, fmt.Errorf("s3: bucket settings: policy of %s: %w", bucket, err)
			}
			st.policy = p
		}
		out[bucket] = st
	}
	return out, nil
}

// saveSettingsLocked writes every bucket's settings atomically. s.mu held.
func saveSettingsLocked(path string, buckets map[string]*bucketSettings) error {
	saved := make(map[string]savedSettings, len(buckets))
	for name, st := range buckets {
		sv := savedSettings{Encryption: st.encryption, PolicyDoc: st.policyDoc, Logging: st.logging}
		if st.encryption != nil {
			sv.BucketKey = st.encryption.bucketKey
		}
		saved[name] = sv
	}
	b, err := json.MarshalIndent(saved, "", "  ")
	if err != nil {
		return err
	}
	return writeFileSync(path, b, 0o600)
}

// writeFileSync replaces path with data durably: a temporary file, fsync,
// rename, fsync of the directory. A crash leaves the old or the new file.
func writeFileSync(path string, data []byte, perm os.FileMode) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(perm); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
