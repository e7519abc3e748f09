package main

import (
	"fmt"
	"io"
)

func runBuild(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("build", "build [--specs DIR] [--out DIR] [--standalone]", stderr)
	fs.String("specs", "specs", "spec directory")
	fs.String("out", "out", "output directory (replaced atomically)")
	fs.Bool("standalone", false, "write each page as one self-contained HTML file")
	if err := parse(fs, args, stdout); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "site generation not implemented yet")
	return nil
}
