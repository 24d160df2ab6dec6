package main

import (
	"fmt"
	"syscall"
)

// raiseFiles lifts the soft RLIMIT_NOFILE to the hard limit (the Go runtime
// does the same at start-up since Go 1.19; doing it here makes the value
// explicit and reportable) and returns the limit in force.
func raiseFiles() (soft, hard uint64, err error) {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		return 0, 0, err
	}
	if l.Cur < l.Max {
		l.Cur = l.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
			return l.Cur, l.Max, err
		}
	}
	return l.Cur, l.Max, nil
}

// ensureFiles fails, naming the OS limit, when this process cannot hold need
// descriptors even after raising its soft limit.
func ensureFiles(need int) error {
	soft, hard, err := raiseFiles()
	if err != nil {
		return fmt.Errorf("raise RLIMIT_NOFILE: %w", err)
	}
	if uint64(need) > soft {
		return fmt.Errorf("this process needs %d file descriptors but RLIMIT_NOFILE is %d (hard limit %d, which only root outside this sandbox can raise): split the connections over more processes with -procs", need, soft, hard)
	}
	return nil
}
