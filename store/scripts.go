package store

import (
	"embed"

	"github.com/redis/go-redis/v9"
)

// The scripts live in .lua files rather than Go strings so that operators
// can run the very same file with `redis-cli --eval` (see publish.lua's
// header). They are plain EVAL scripts, not Redis Functions: miniredis, which
// backs the gateway's development mode, has no FUNCTION/FCALL.
//
// redis.Script.Run sends EVALSHA and falls back to EVAL on NOSCRIPT, which
// also caches the script server-side, so a Redis restart or SCRIPT FLUSH
// costs one extra round trip and no error.
//
//go:embed lua/*.lua
var luaFiles embed.FS

var (
	publishScript      = loadScript("publish.lua")
	headScript         = loadScript("head.lua")
	rotateScript       = loadScript("rotate.lua")
	revokeScript       = loadScript("revoke.lua")
	uploadStartScript  = loadScript("upload_start.lua")
	uploadClaimScript  = loadScript("upload_claim.lua")
	uploadCommitScript = loadScript("upload_commit.lua")
	uploadFinishScript = loadScript("upload_finish.lua")
	uploadAbortScript  = loadScript("upload_abort.lua")
)

// loadScript reads an embedded script. A missing file is a build mistake, so
// it panics at package initialisation, before any test or server runs.
func loadScript(name string) *redis.Script {
	src, err := luaFiles.ReadFile("lua/" + name)
	if err != nil {
		panic("store: embedded script: " + err.Error())
	}
	return redis.NewScript(string(src))
}
