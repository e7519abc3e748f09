//go:build !linux

package site

// exchangeDirs has no atomic directory swap outside Linux: WriteDir falls
// back to two renames and recovers a stranded previous site on the next
// build.
func exchangeDirs(a, b string) error { return errNoExchange }

// lockDir does not lock outside Linux.
func lockDir(dir string) (unlock func(), err error) { return func() {}, nil }

// isMountPoint is not detected outside Linux; the swap then fails with the
// system's error.
func isMountPoint(dir string) bool { return false }
