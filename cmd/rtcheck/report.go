package main

import (
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"
)

var marks = map[status]string{pass: "✓", fail: "✗", skip: "–"}

// printTable writes one line per check: name, mark, figure.
func printTable(w io.Writer, r report) error {
	fmt.Fprintf(w, "rtcheck %s  org %s  user %s\n", r.URL, r.Org, r.User)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, c := range r.Checks {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", c.Name, marks[c.Status], c.Figure)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	verdict := "all checks passed"
	if !r.OK {
		verdict = "FAILED"
	}
	_, err := fmt.Fprintln(w, verdict)
	return err
}

func printJSON(w io.Writer, r report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}
