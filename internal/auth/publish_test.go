package auth

import (
	"errors"
	"slices"
	"testing"
	"time"
)

func TestPublishClaim(t *testing.T) {
	v, err := New(Config{Secret: []byte("publish-claim-secret-0123456789ab")})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := v.Sign(Claims{User: "u", Org: "acme", Publish: []string{"chat"}, Expiry: time.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	c, err := v.Verify(tok)
	if err != nil || !slices.Equal(c.Publish, []string{"chat"}) || !c.MayPublish("chat") || c.MayPublish("finance") {
		t.Fatalf("round trip: %+v %v", c, err)
	}
	none, _ := v.Sign(Claims{User: "u", Org: "acme", Expiry: time.Now().Add(time.Hour)})
	if c, _ := v.Verify(none); c.MayPublish("chat") {
		t.Fatal("a token without the claim may publish")
	}
	if _, err := v.Sign(Claims{User: "u", Org: "acme", Publish: []string{"bad name"}, Expiry: time.Now().Add(time.Hour)}); !errors.Is(err, ErrInvalidToken) || Reason(err) != reasonPublish {
		t.Fatalf("invalid publish claim: %v", err)
	}
}
