package engine

import "testing"

// ViewPoint reads the published state through the active memtable's index
// without taking a snapshot of its tree (so the committer keeps publishing
// batches without one), and runs fn again under View when a lookup meets a
// key written after the batch it began at.
func TestViewPoint_NoSnapshotAndRerunOnNewerKey(t *testing.T) {
	db := openTest(t, "", FsyncNo)
	defer db.Close()
	put := func(v string) {
		t.Helper()
		if err := db.Update(func(tx *Tx) error { tx.put(bSys, []byte("k"), []byte(v)); return nil }); err != nil {
			t.Fatal(err)
		}
	}
	put("v1")
	if db.view.Load().mem != nil {
		t.Fatal("a batch without readers published a snapshot")
	}
	runs, got := 0, ""
	err := db.ViewPoint(func(tx *Tx) error {
		runs++
		got = string(tx.get(bSys, []byte("k")))
		return nil
	})
	if err != nil || runs != 1 || got != "v1" {
		t.Fatalf("ViewPoint: runs %d, got %q, err %v; want 1, v1", runs, got, err)
	}
	if db.view.Load().mem != nil || db.readersActive() {
		t.Fatal("ViewPoint took a snapshot of the active tree")
	}

	runs, got = 0, ""
	err = db.ViewPoint(func(tx *Tx) error {
		runs++
		if runs == 1 {
			put("v2") // committed after this view began
		}
		got = string(tx.get(bSys, []byte("k")))
		return nil
	})
	if err != nil || runs != 2 || got != "v2" {
		t.Fatalf("ViewPoint over a newer key: runs %d, got %q, err %v; want 2 (rerun under View), v2", runs, got, err)
	}
}
