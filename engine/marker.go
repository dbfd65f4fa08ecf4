package engine

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// The running marker says "a process has this store open". It holds the
// kernel boot id. A clean Close removes it. Finding it at start means the last
// run did not stop cleanly:
//
//   - same boot id: only the process died (kill -9, OOM). The kernel's page
//     cache kept every write bbolt made, so the file is whole: start at once,
//     even at 100 GB.
//   - another boot id and a mode that skips fsync: the machine went down with
//     unsynced pages, which can tear bbolt's file. Check it; a damaged file is
//     moved aside and the cache starts empty (it is a cache).
//
// Under appendfsync always every commit is fsynced, so no check is needed.
const runningMarker = "diskcached.running"

func bootID() string {
	b, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	if err != nil {
		return "unknown"
	}
	return strings.TrimSpace(string(b))
}

func writeRunningMarker(dir string) error {
	path := filepath.Join(dir, runningMarker)
	if err := os.WriteFile(path, []byte(bootID()+"\n"), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

func removeRunningMarker(dir string) error {
	err := os.Remove(filepath.Join(dir, runningMarker))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	return err
}

// checkUncleanStart runs bbolt's consistency check when the machine rebooted
// since an unclean stop in a mode that does not fsync every commit.
func checkUncleanStart(opts Options, path string) error {
	prev, err := os.ReadFile(filepath.Join(opts.Dir, runningMarker))
	if err != nil {
		return nil // clean stop or first start
	}
	if _, err := os.Stat(path); err != nil {
		return nil
	}
	log := opts.Logger
	if strings.TrimSpace(string(prev)) == bootID() {
		log.Warn().Msg("previous run did not stop cleanly; same boot, so the file is intact")
		return nil
	}
	if opts.Fsync == FsyncAlways {
		log.Warn().Msg("previous run did not stop cleanly before a reboot; appendfsync always kept the file intact")
		return nil
	}
	log.Warn().Msg("previous run did not stop cleanly before a reboot; checking the data file")
	if checkFile(path) == nil {
		log.Info().Msg("data file check passed")
		return nil
	}
	aside := fmt.Sprintf("%s.damaged-%d", path, time.Now().Unix())
	if err := os.Rename(path, aside); err != nil {
		return fmt.Errorf("move damaged data file aside: %w", err)
	}
	log.Error().Str("moved_to", aside).Msg("DATA FILE DAMAGED by an unclean shutdown: moved aside, starting with an empty cache")
	return nil
}

// checkFile opens path read-only and runs bbolt's page check.
func checkFile(path string) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("bbolt panicked while checking: %v", p)
		}
	}()
	bdb, err := bolt.Open(path, 0o644, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		return err
	}
	defer bdb.Close()
	return bdb.View(func(tx *bolt.Tx) error {
		for cerr := range tx.Check() {
			return cerr
		}
		return nil
	})
}

// CheckFile runs bbolt's consistency check on a closed data file (used by
// tests and tools).
func CheckFile(path string) error { return checkFile(path) }
