package upload

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"mime"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/rtgw/realtime/gateway/message"
)

// The upload messages; docs/PROTOCOL.md "Uploads" is their contract.

// chunkVersion starts every binary chunk message.
const chunkVersion = 0x01

// maxChunkHeader is the largest chunk header: version, id length, a
// 255-byte id and the offset.
const maxChunkHeader = 2 + 255 + 8

// uploadStart is upload.start (and the POST /v2/realtime/uploads body).
type uploadStart struct {
	Name        string `json:"name"`
	Size        int64  `json:"size"`
	ContentType string `json:"contentType"`
	SHA256      string `json:"sha256"`
	ID          string `json:"id"`
}

// uploadRef is upload.resume and upload.abort.
type uploadRef struct {
	UploadID string `json:"uploadId"`
	ID       string `json:"id"`
}

// uploadError is an error message about an upload; it is also the JSON
// body of the HTTP upload endpoints' errors.
type uploadError struct {
	message.Problem
	status int // HTTP status for the HTTP endpoints
}

func (e *uploadError) Error() string { return e.Code + ": " + e.Message }

func upErr(status int, code, msg string) *uploadError {
	return &uploadError{Problem: message.Problem{Type: "error", Code: code, Message: msg}, status: status}
}

// errTakenOver answers a writer whose upload another connection or request
// resumed. Shared: copy before changing fields.
var errTakenOver = upErr(409, "upload_taken_over", "another connection resumed this upload")

// offsetError is upload_offset: the next bytes must start at off.
func offsetError(uploadID string, off int64) *uploadError {
	e := upErr(409, "upload_offset", "the next bytes must start at offset "+strconv.FormatInt(off, 10))
	e.UploadID, e.Offset = uploadID, &off
	return e
}

// asUploadError is err as an uploadError; anything else is upload_failed.
func asUploadError(err error) *uploadError {
	var ue *uploadError
	if errors.As(err, &ue) {
		return ue
	}
	return upErr(503, "upload_failed", "upload failed; retry with upload.resume")
}

// validate checks a start message against the limits; the content type is
// normalised (lower case, parameters dropped).
func (m *uploadStart) validate(cfg *Config) *uploadError {
	switch {
	case len(m.ID) > 64:
		return upErr(400, "upload_invalid", "id over 64 bytes")
	case !validFileName(m.Name):
		return upErr(400, "upload_invalid", "name must be 1-255 bytes of UTF-8 without /, \\ or control characters")
	case m.Size <= 0:
		return upErr(400, "upload_invalid", "size must be a positive number of bytes")
	case m.Size > cfg.MaxBytes:
		return upErr(413, "upload_too_large", "size over the limit of "+strconv.FormatInt(cfg.MaxBytes, 10)+" bytes")
	case len(m.SHA256) != 64 || !isLowerHex(m.SHA256):
		return upErr(400, "upload_invalid", "sha256 must be 64 lowercase hex digits")
	}
	mt, _, err := mime.ParseMediaType(m.ContentType)
	if err != nil || !strings.Contains(mt, "/") {
		return upErr(400, "upload_invalid", "contentType is not a MIME type")
	}
	if !cfg.allowsType(mt) {
		return upErr(415, "upload_type_not_allowed", "content type "+mt+" is not allowed")
	}
	m.ContentType = mt
	return nil
}

func validFileName(s string) bool {
	if len(s) == 0 || len(s) > 255 || !utf8.ValidString(s) || s == "." || s == ".." {
		return false
	}
	for _, r := range s {
		if r == '/' || r == '\\' || unicode.IsControl(r) {
			return false
		}
	}
	return true
}

func isLowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// newUploadID returns a fresh upload id: "u" and 26 base32 characters,
// 128 random bits, so ids cannot be guessed and are safe as file names.
func newUploadID() string { return "u" + rand.Text() }

// validUploadID matches what newUploadID makes, loosely: ids from a client
// are used in Redis keys and file names.
func validUploadID(s string) bool {
	if len(s) < 2 || len(s) > 64 || s[0] != 'u' {
		return false
	}
	for i := 1; i < len(s); i++ {
		if c := s[i]; !(c >= 'A' && c <= 'Z' || c >= '2' && c <= '7') {
			return false
		}
	}
	return true
}

var errBadChunk = errors.New("chunk header malformed (want 0x01, id length, id, 8-byte offset, then bytes)")

// parseChunk splits a binary chunk message; id and data alias msg.
func parseChunk(msg []byte) (id []byte, off int64, data []byte, err error) {
	if len(msg) < 2 || msg[0] != chunkVersion {
		return nil, 0, nil, errBadChunk
	}
	n := int(msg[1])
	if len(msg) < 2+n+8 {
		return nil, 0, nil, errBadChunk
	}
	id = msg[2 : 2+n]
	o := binary.BigEndian.Uint64(msg[2+n:])
	if o > 1<<62 {
		return nil, 0, nil, errBadChunk
	}
	return id, int64(o), msg[2+n+8:], nil
}

// completedEvent is the data of the upload.completed event.
type completedEvent struct {
	UploadID    string `json:"uploadId"`
	Name        string `json:"name"`
	Size        int64  `json:"size"`
	SHA256      string `json:"sha256"`
	ContentType string `json:"contentType"`
	User        string `json:"user"`
}
