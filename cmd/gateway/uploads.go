package main

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/rs/zerolog"

	"github.com/rtgw/realtime/gateway/upload"
	"github.com/rtgw/realtime/store/files"
)

func (c *config) validateUploads() []string {
	var p []string
	if c.UploadMaxBytes < 1 {
		p = append(p, "REALTIME_UPLOAD_MAX_BYTES must be at least 1")
	}
	if c.UploadMaxActive < 1 {
		p = append(p, "REALTIME_UPLOAD_MAX_ACTIVE must be at least 1")
	}
	if c.UploadExpiry < time.Minute {
		p = append(p, "REALTIME_UPLOAD_EXPIRY must be at least 1m")
	}
	if c.UploadChunkBytes < 1024 || c.UploadChunkBytes > 16<<20 {
		p = append(p, "REALTIME_UPLOAD_CHUNK_BYTES must be between 1024 and 16777216")
	}
	if c.UploadBufferBytes < c.UploadChunkBytes {
		p = append(p, "REALTIME_UPLOAD_BUFFER_BYTES must be at least REALTIME_UPLOAD_CHUNK_BYTES")
	}
	if c.UploadMaxPerUser == 0 {
		p = append(p, "REALTIME_UPLOAD_MAX_PER_USER must be positive, or -1 for unlimited")
	}
	return p
}

// uploadConfig builds the gateway's upload settings. Without a directory
// uploads are off in production; development mode keeps them under the
// system's temporary directory so the demo page can upload.
func uploadConfig(c config, dev bool, logger zerolog.Logger) (upload.Config, error) {
	dir := c.UploadDir
	if dir == "" && dev {
		dir = filepath.Join(os.TempDir(), "realtime-uploads")
	}
	if dir == "" {
		logger.Info().Msg("uploads disabled (set REALTIME_UPLOAD_DIR to enable)")
		return upload.Config{}, nil
	}
	storage, err := files.New(dir)
	if err != nil {
		return upload.Config{}, fmt.Errorf("REALTIME_UPLOAD_DIR: %w", err)
	}
	logger.Info().Str("dir", dir).Msg("uploads enabled")
	return upload.Config{
		Storage:      storage,
		MaxBytes:     c.UploadMaxBytes,
		ContentTypes: splitList(c.UploadContentTypes),
		MaxPerUser:   c.UploadMaxPerUser,
		MaxActive:    c.UploadMaxActive,
		Expiry:       c.UploadExpiry,
		ChunkBytes:   c.UploadChunkBytes,
		BufferBytes:  c.UploadBufferBytes,
	}, nil
}
