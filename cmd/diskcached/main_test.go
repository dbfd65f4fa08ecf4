package main

import "testing"

func TestLoadConfig_EnvThenFileThenFlags(t *testing.T) {
	t.Setenv("DISKCACHED_BIND", "0.0.0.0")
	t.Setenv("DISKCACHED_DIR", "/data")
	t.Setenv("DISKCACHED_PORT", "7000")
	cfg, err := loadConfig([]string{"--port", "7001", "--maxmemory", "1gb"})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Get("bind") != "0.0.0.0" || cfg.Get("dir") != "/data" {
		t.Fatalf("env defaults not applied: bind=%q dir=%q", cfg.Get("bind"), cfg.Get("dir"))
	}
	if cfg.Get("port") != "7001" {
		t.Fatalf("flag must override env: port=%q", cfg.Get("port"))
	}
	if cfg.Get("maxmemory") != "1073741824" {
		t.Fatalf("maxmemory=%q", cfg.Get("maxmemory"))
	}
}

func TestLoadConfig_BadEnv_Error(t *testing.T) {
	t.Setenv("DISKCACHED_PORT", "notaport")
	if _, err := loadConfig(nil); err == nil {
		t.Fatal("bad DISKCACHED_PORT accepted")
	}
}

func TestLoadConfig_UnknownDirective_Error(t *testing.T) {
	if _, err := loadConfig([]string{"--no-such-thing", "1"}); err == nil {
		t.Fatal("unknown directive accepted")
	}
}
