package store

import (
	_ "embed"

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
var (
	//go:embed lua/publish.lua
	publishSrc    string
	publishScript = redis.NewScript(publishSrc)

	//go:embed lua/head.lua
	headSrc    string
	headScript = redis.NewScript(headSrc)

	//go:embed lua/rotate.lua
	rotateSrc    string
	rotateScript = redis.NewScript(rotateSrc)

	//go:embed lua/revoke.lua
	revokeSrc    string
	revokeScript = redis.NewScript(revokeSrc)

	//go:embed lua/upload_start.lua
	uploadStartSrc    string
	uploadStartScript = redis.NewScript(uploadStartSrc)

	//go:embed lua/upload_claim.lua
	uploadClaimSrc    string
	uploadClaimScript = redis.NewScript(uploadClaimSrc)

	//go:embed lua/upload_commit.lua
	uploadCommitSrc    string
	uploadCommitScript = redis.NewScript(uploadCommitSrc)

	//go:embed lua/upload_finish.lua
	uploadFinishSrc    string
	uploadFinishScript = redis.NewScript(uploadFinishSrc)

	//go:embed lua/upload_abort.lua
	uploadAbortSrc    string
	uploadAbortScript = redis.NewScript(uploadAbortSrc)
)
