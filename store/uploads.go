package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// Upload state lives in Redis so that any gateway node can continue an
// upload another node started; the bytes themselves live in shared storage
// (see package files). Each upload is a hash,
// "<prefix>:{<org>}:upload:<id>", and each user's unfinished uploads a
// sorted set, "<prefix>:{<org>}:uploads:<user>", scored with their expiry,
// which is what bounds a user's concurrent uploads across nodes. Both carry
// the org's hash tag, so the scripts run in one Cluster slot.

// Upload statuses.
const (
	UploadActive = "active"
	// UploadCompleting: every byte is committed; the file is being moved
	// into place and announced. It cannot be aborted; a resume finishes it.
	UploadCompleting = "completing"
	UploadDone       = "done"
	UploadFailed     = "failed"
)

// Upload is one upload's state.
type Upload struct {
	ID          string
	User        string
	Name        string
	Size        int64
	ContentType string
	SHA256      string // lowercase hex, as declared by the client
	Offset      int64  // bytes durably stored (committed)
	Owner       string // the node-local writer allowed to commit
	Status      string // UploadActive, UploadCompleting, UploadDone or UploadFailed
	Seq         int64  // the upload.completed event's seq once done
}

// Upload errors.
var (
	// ErrUploadNotFound: no such upload for this user (unknown, expired,
	// aborted, or another user's).
	ErrUploadNotFound = errors.New("store: upload not found")
	// ErrUploadLimit: the user already has the maximum unfinished uploads.
	ErrUploadLimit = errors.New("store: too many unfinished uploads")
	// ErrUploadExists: the upload id is taken.
	ErrUploadExists = errors.New("store: upload id exists")
	// ErrNotOwner: another writer took the upload over.
	ErrNotOwner = errors.New("store: upload taken over by another writer")
)

// StartUpload records u (Offset 0, Status active, owned by u.Owner) and
// takes one of its user's slots; ttl is how long it lives without a
// commit. maxPerUser 0 means no limit.
func (l *Log) StartUpload(ctx context.Context, org string, u Upload, ttl time.Duration, maxPerUser int) error {
	if !ValidOrg(org) {
		return fmt.Errorf("start upload in %q: %w", org, ErrInvalidOrg)
	}
	now := time.Now()
	args := []any{u.ID, now.UnixMilli(), now.Add(ttl).UnixMilli(), ttl.Milliseconds(), maxPerUser,
		"user", u.User, "name", u.Name, "size", u.Size, "type", u.ContentType, "sha256", u.SHA256,
		"offset", 0, "owner", u.Owner, "status", UploadActive, "created", now.UnixMilli()}
	keys := []string{l.keys.upload(org, u.ID), l.keys.userUploads(org, u.User)}
	n, err := uploadStartScript.Run(ctx, l.client, keys, args...).Int()
	switch {
	case err != nil:
		return fmt.Errorf("start upload in %q: %w", org, err)
	case n == 0:
		return fmt.Errorf("start upload in %q: %w", org, ErrUploadLimit)
	case n < 0:
		return fmt.Errorf("start upload in %q: %w", org, ErrUploadExists)
	}
	return nil
}

// ClaimUpload makes owner the upload's writer (if it is not finished),
// gives it ttl before the upload expires, and returns its state. The
// previous owner's next commit fails with ErrNotOwner.
func (l *Log) ClaimUpload(ctx context.Context, org, user, id, owner string, ttl time.Duration) (Upload, error) {
	if !ValidOrg(org) {
		return Upload{}, fmt.Errorf("claim upload in %q: %w", org, ErrInvalidOrg)
	}
	keys := []string{l.keys.upload(org, id), l.keys.userUploads(org, user)}
	vals, err := uploadClaimScript.Run(ctx, l.client, keys, user, owner, ttl.Milliseconds(), time.Now().Add(ttl).UnixMilli(), id).StringSlice()
	if err != nil {
		return Upload{}, fmt.Errorf("claim upload in %q: %w", org, err)
	}
	if len(vals) == 0 {
		return Upload{}, fmt.Errorf("claim upload %s in %q: %w", id, org, ErrUploadNotFound)
	}
	return parseUpload(id, vals)
}

// CommitUpload records that offset bytes are durably stored and pushes the
// upload's expiry to ttl from now. Committing the last byte makes the
// upload UploadCompleting.
func (l *Log) CommitUpload(ctx context.Context, org string, u Upload, offset int64, ttl time.Duration) error {
	exp := time.Now().Add(ttl).UnixMilli()
	n, err := uploadCommitScript.Run(ctx, l.client, []string{l.keys.upload(org, u.ID), l.keys.userUploads(org, u.User)},
		u.Owner, offset, ttl.Milliseconds(), exp, u.ID).Int()
	return ownerResult("commit upload", org, u.ID, n, err)
}

// FinishUpload marks the upload done (with its completion event's seq) or
// failed, frees its user's slot and keeps the record for keep.
func (l *Log) FinishUpload(ctx context.Context, org string, u Upload, status string, seq int64, keep time.Duration) error {
	n, err := uploadFinishScript.Run(ctx, l.client, []string{l.keys.upload(org, u.ID), l.keys.userUploads(org, u.User)},
		u.Owner, status, seq, keep.Milliseconds(), u.ID).Int()
	return ownerResult("finish upload", org, u.ID, n, err)
}

// AbortUpload deletes the user's unfinished upload and frees its slot; an
// upload that is completing or done is not found.
func (l *Log) AbortUpload(ctx context.Context, org, user, id string) error {
	n, err := uploadAbortScript.Run(ctx, l.client, []string{l.keys.upload(org, id), l.keys.userUploads(org, user)}, user, id).Int()
	if err != nil {
		return fmt.Errorf("abort upload %s in %q: %w", id, org, err)
	}
	if n == 0 {
		return fmt.Errorf("abort upload %s in %q: %w", id, org, ErrUploadNotFound)
	}
	return nil
}

// UploadInfo returns an upload's state whoever owns it (for downloads).
func (l *Log) UploadInfo(ctx context.Context, org, id string) (Upload, error) {
	m, err := l.client.HGetAll(ctx, l.keys.upload(org, id)).Result()
	if err != nil {
		return Upload{}, fmt.Errorf("upload %s in %q: %w", id, org, err)
	}
	if len(m) == 0 {
		return Upload{}, fmt.Errorf("upload %s in %q: %w", id, org, ErrUploadNotFound)
	}
	vals := make([]string, 0, 2*len(m))
	for k, v := range m {
		vals = append(vals, k, v)
	}
	return parseUpload(id, vals)
}

func ownerResult(op, org, id string, n int, err error) error {
	switch {
	case err != nil:
		return fmt.Errorf("%s %s in %q: %w", op, id, org, err)
	case n == 0:
		return fmt.Errorf("%s %s in %q: %w", op, id, org, ErrNotOwner)
	case n < 0:
		return fmt.Errorf("%s %s in %q: %w", op, id, org, ErrUploadNotFound)
	}
	return nil
}

// parseUpload reads a flat field/value list as written by upload_start.lua.
func parseUpload(id string, vals []string) (Upload, error) {
	u := Upload{ID: id}
	var err error
	for i := 0; i+1 < len(vals) && err == nil; i += 2 {
		v := vals[i+1]
		switch vals[i] {
		case "user":
			u.User = v
		case "name":
			u.Name = v
		case "type":
			u.ContentType = v
		case "sha256":
			u.SHA256 = v
		case "owner":
			u.Owner = v
		case "status":
			u.Status = v
		case "size":
			u.Size, err = strconv.ParseInt(v, 10, 64)
		case "offset":
			u.Offset, err = strconv.ParseInt(v, 10, 64)
		case "seq":
			u.Seq, err = strconv.ParseInt(v, 10, 64)
		}
	}
	if err != nil || u.User == "" || u.Status == "" {
		return Upload{}, fmt.Errorf("upload %s: %w", id, ErrMalformed)
	}
	return u, nil
}
