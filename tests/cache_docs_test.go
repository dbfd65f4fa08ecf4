package tests

import (
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestCache_Docs_DiskCacheExamplesRun runs every python block of
// docs/diskcache.md, in order, as one script against a fresh server (the
// documented port replaced by the test server's); the last block prints ok.
// Then CACHE.CHECK must report a clean store.
func TestCache_Docs_DiskCacheExamplesRun(t *testing.T) {
	needPython(t, "redis")
	doc, err := os.ReadFile("../docs/diskcache.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := regexp.MustCompile("(?s)```python\n(.*?)```").FindAllStringSubmatch(string(doc), -1)
	if len(blocks) < 12 {
		t.Fatalf("found %d python blocks", len(blocks))
	}
	var script strings.Builder
	for _, b := range blocks {
		script.WriteString(b[1])
	}
	srv := startDiskcached(t, "")
	runPython(t, 60*time.Second, strings.ReplaceAll(script.String(), "port=6379", fmt.Sprintf("port=%d", srv.port)))
	c := newGoRedis(t, srv.addr, 2)
	cwant(t, c, "[]", "CACHE.CHECK")
}
