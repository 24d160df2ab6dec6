package store

import (
	"context"
	"fmt"
)

// RotateEpoch gives org's log a new epoch, keeping its events, if its epoch
// is still seen; it returns the epoch in force afterwards (seen's
// replacement, or whatever another caller installed first). See
// lua/rotate.lua for when a gateway needs it: the log went backwards under
// an unchanged epoch, and seqs are about to be reused.
func (l *Log) RotateEpoch(ctx context.Context, org, seen string) (string, error) {
	if !ValidOrg(org) {
		return "", fmt.Errorf("rotate epoch of %q: %w", org, ErrInvalidOrg)
	}
	cur, err := rotateScript.Run(ctx, l.client, []string{l.keys.epoch(org)}, seen, newEpoch()).Text()
	if err != nil {
		return "", fmt.Errorf("rotate epoch of %q: %w", org, err)
	}
	return cur, nil
}
