package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	if len(os.Args) == 2 && os.Args[1] == "-worker" {
		os.Exit(runWorker(os.Stdin, os.Stdout))
	}
	if len(os.Args) < 2 || os.Args[1] == "-h" || os.Args[1] == "help" {
		fmt.Fprintln(os.Stderr, "usage: rtbench ceiling|conns|fanout|storm|compare [flags]   (rtbench SCENARIO -h lists the flags)")
		os.Exit(2)
	}
	o, err := parseOptions(os.Args[1], os.Args[2:])
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "rtbench:", err)
		os.Exit(2)
	}
	if err := run(o, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "rtbench:", err)
		os.Exit(1)
	}
}

// printer is a scenario result.
type printer interface{ print(io.Writer) }

func run(o *options, out io.Writer) error {
	soft, hard, err := raiseFiles()
	prog := newProgress(os.Stderr)
	if err != nil {
		return fmt.Errorf("raise RLIMIT_NOFILE: %w", err)
	}
	prog.note("open files: soft %d, hard %d; %d connections over %d worker processes", soft, hard, o.conns, o.procs)
	if per := (o.conns + o.procs - 1) / o.procs; uint64(per+64) > hard {
		return fmt.Errorf("%d connections per worker exceed the hard open-files limit %d, which this sandbox cannot raise: use -procs %d or more",
			per, hard, (o.conns+int(hard)-65)/(int(hard)-64))
	}
	ctx, cancel := context.WithTimeout(context.Background(), o.timeout)
	defer cancel()
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	e, err := newEnv(o, prog)
	if err != nil {
		return err
	}
	defer e.close()
	var res printer
	switch o.scenario {
	case "ceiling":
		res, err = result(runCeiling(ctx, e))
	case "conns":
		res, err = result(runConns(ctx, e))
	case "fanout":
		res, err = result(runFanout(ctx, e))
	case "storm":
		res, err = result(runStorm(ctx, e))
	case "compare":
		res, err = result(runCompare(ctx, e))
	default:
		return fmt.Errorf("unknown scenario %q (ceiling, conns, fanout, storm, compare)", o.scenario)
	}
	if res == nil {
		return err
	}
	if o.jsonOut {
		res.print(os.Stderr) // the summary still reaches the terminal
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		if jerr := enc.Encode(res); jerr != nil {
			return jerr
		}
	} else {
		res.print(out)
	}
	return err
}

// result turns a scenario's (*T, error) into (printer, error), with a nil
// *T as a nil printer rather than a non-nil interface holding nil.
func result[P interface {
	*T
	printer
}, T any](r P, err error) (printer, error) {
	if r == nil {
		return nil, err
	}
	return r, err
}
