package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/rtgw/realtime/internal/auth"
)

// tokenCommand implements `gateway token`: it mints a client token with the
// configured secret, for operators trying a rollout step or a support
// engineer reproducing a user's session. It never runs the server.
func tokenCommand(args []string, getenv func(string) string, out io.Writer) error {
	fs := flag.NewFlagSet("gateway token", flag.ContinueOnError)
	user := fs.String("user", "", "user id (sub claim, required)")
	org := fs.String("org", "", "org id (org claim, required)")
	services := fs.String("services", "", "comma-separated services the token may subscribe to (empty: any)")
	ttl := fs.Duration("ttl", time.Hour, "validity")
	secret := fs.String("jwt-secret", getenv("REALTIME_JWT_SECRET"), "HS256 secret [$REALTIME_JWT_SECRET]")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *user == "" || *org == "" || *secret == "" {
		return errors.New("token: -user, -org and a secret (REALTIME_JWT_SECRET or -jwt-secret) are required")
	}
	v, err := auth.New(auth.Config{Secret: []byte(*secret)})
	if err != nil {
		return err
	}
	c := auth.Claims{User: *user, Org: *org, Expiry: time.Now().Add(*ttl)}
	if *services != "" {
		c.Services = strings.Split(*services, ",")
	}
	tok, err := v.Sign(c)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(out, tok)
	return err
}

func runToken(args []string) {
	if err := tokenCommand(args, os.Getenv, os.Stdout); err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(os.Stderr, "gateway:", err)
		os.Exit(2)
	}
}
