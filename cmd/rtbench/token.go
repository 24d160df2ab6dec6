package main

import (
	"strconv"
	"time"

	"github.com/rtgw/realtime/internal/auth"
)

// minter signs client tokens with the gateway's secret.
type minter struct{ v *auth.Verifier }

func newMinter(secret string) (*minter, error) {
	v, err := auth.New(auth.Config{Secret: []byte(secret)})
	if err != nil {
		return nil, err
	}
	return &minter{v: v}, nil
}

// token signs a one-hour token for user "u<i>" of org.
func (m *minter) token(i int, org string) (string, error) {
	return m.v.Sign(auth.Claims{User: "u" + strconv.Itoa(i), Org: org, Expiry: time.Now().Add(time.Hour)})
}
