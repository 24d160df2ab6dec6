package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() { os.Exit(mainCode(os.Args[1:], os.Stdout, os.Stderr)) }

// mainCode runs rtcheck and returns its exit status: 0 when every check
// passed, 1 when any failed, 2 for bad flags or a run that could not start.
func mainCode(args []string, stdout, stderr io.Writer) int {
	cfg, err := parseConfig(args, getenv)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "rtcheck:", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	rep, err := run(ctx, cfg)
	if err != nil {
		fmt.Fprintln(stderr, "rtcheck:", err)
		return 2
	}
	if cfg.JSON {
		err = printJSON(stdout, rep)
	} else {
		err = printTable(stdout, rep)
	}
	if err != nil {
		fmt.Fprintln(stderr, "rtcheck:", err)
		return 2
	}
	if !rep.OK {
		return 1
	}
	return 0
}
