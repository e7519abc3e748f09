package site

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// crashEnv makes the test binary a WriteDir child that is killed (or
// interrupted) at a chosen step: "STEP:N:ACTION:OUT:MODE", the N-th call
// of STEP, ACTION kill (SIGKILL, no cleanup possible) or int (SIGINT), MODE
// exchange or renames (the fallback without renameat2).
const crashEnv = "KVPLOT_TEST_WRITEDIR_CRASH"

func TestMain(m *testing.M) {
	if v := os.Getenv(crashEnv); v != "" {
		os.Exit(crashChild(v))
	}
	os.Exit(m.Run())
}

// newSite and oldSite are the two builds the crash tests swap.
var (
	oldSite = Files{"index.html": []byte("old"), "models/a.html": []byte("old a"), "models/b.html": []byte("old b")}
	newSite = Files{"index.html": []byte("new"), "models/a.html": []byte("new a"), "fleets/x.html": []byte("new x"), "data/t.csv": []byte("n\n")}
)

func crashChild(v string) int {
	f := strings.SplitN(v, ":", 5)
	n, _ := strconv.Atoi(f[1])
	calls := 0
	step = func(name string) {
		if name != f[0] {
			return
		}
		if calls++; calls != n {
			return
		}
		sig := syscall.SIGKILL
		if f[2] == "int" {
			sig = syscall.SIGINT
		}
		// Wait until the signal has reached this process's handlers (the
		// runtime delivers it to every Notify channel in one pass), so
		// WriteDir's next check sees it however loaded the machine is.
		seen := make(chan os.Signal, 1)
		if sig == syscall.SIGINT {
			signal.Notify(seen, sig)
		}
		syscall.Kill(os.Getpid(), sig)
		if sig == syscall.SIGINT {
			<-seen
			signal.Stop(seen)
		}
		if sig == syscall.SIGKILL {
			select {} // never returns
		}
	}
	if f[4] == "renames" {
		exchange = func(a, b string) error { return errNoExchange }
	}
	if err := WriteDir(f[3], newSite, WriteOptions{}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 3
	}
	return 0
}

// siteOf is the snapshot WriteDir leaves for files.
func siteOf(files Files) map[string]string {
	out := map[string]string{"./": "", MarkerFile: markerText}
	for p, b := range files {
		out[p] = string(b)
		for d := filepath.Dir(p); d != "."; d = filepath.Dir(d) {
			out[d+"/"] = ""
		}
	}
	return out
}

// Killing a build at any step never loses the site: with the atomic
// exchange out/ holds the previous or the new site at every instant; with
// the two-rename fallback it may be missing, and the next build restores
// it. Either way the next build leaves no temporaries.
func TestWriteDirKilledAtEachStep(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	cases := []struct {
		step, mode string
		n          int
		// missing: out/ may be absent after the kill (renames between
		// moving aside and moving in).
		missing bool
	}{
		{"mkdtemp", "exchange", 1, false},
		{"write", "exchange", 1, false},
		{"write", "exchange", 3, false},
		{"exchange", "exchange", 1, false},
		{"remove-old", "exchange", 1, false},
		{"write", "renames", 2, false},
		{"rename-aside", "renames", 1, false},
		{"rename-in", "renames", 1, true},
		{"remove-old", "renames", 1, false},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%s %d %s", tc.step, tc.n, tc.mode), func(t *testing.T) {
			parent := t.TempDir()
			out := filepath.Join(parent, "out")
			if err := WriteDir(out, oldSite, WriteOptions{}); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%s:%d:kill:%s:%s", crashEnv, tc.step, tc.n, out, tc.mode))
			err := cmd.Run()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ProcessState.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
				t.Fatalf("child was not killed at %s: %v", tc.step, err)
			}
			_, statErr := os.Stat(out)
			switch {
			case statErr != nil && !tc.missing:
				t.Fatalf("after a kill at %s, out/ is missing", tc.step)
			case statErr == nil:
				got := snapshot(t, out)
				if !maps.Equal(got, siteOf(oldSite)) && !maps.Equal(got, siteOf(newSite)) {
					t.Fatalf("after a kill at %s, out/ is neither site: %v", tc.step, got)
				}
			}
			// The next build recovers, then writes.
			next := Files{"index.html": []byte("next")}
			if err := WriteDir(out, next, WriteOptions{}); err != nil {
				t.Fatalf("next build: %v", err)
			}
			if got := snapshot(t, out); !maps.Equal(got, siteOf(next)) {
				t.Errorf("next build wrote %v", got)
			}
			if l := leftovers(t, parent); l != nil {
				t.Errorf("temporaries left after the next build: %v", l)
			}
		})
	}
}

// Recover alone (what a build does first, even one that then fails on
// its specs) restores a stranded previous site.
func TestRecoverStrandedSite(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	parent := t.TempDir()
	out := filepath.Join(parent, "out")
	if err := WriteDir(out, oldSite, WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), fmt.Sprintf("%s=rename-in:1:kill:%s:renames", crashEnv, out))
	cmd.Run()
	if _, err := os.Stat(out); err == nil {
		t.Fatal("out/ exists after a kill between the renames; the test needs the stranded case")
	}
	if err := Recover(out, WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	if got := snapshot(t, out); !maps.Equal(got, siteOf(oldSite)) {
		t.Errorf("recovered out/ = %v, want the previous site", got)
	}
	if l := leftovers(t, parent); l != nil {
		t.Errorf("temporaries left after recovery: %v", l)
	}
}

// SIGINT or SIGTERM while the new site is written stops the build: the
// new directory is removed at once and the previous site is unchanged.
func TestWriteDirInterrupted(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	parent := t.TempDir()
	out := filepath.Join(parent, "out")
	if err := WriteDir(out, oldSite, WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), fmt.Sprintf("%s=write:2:int:%s:exchange", crashEnv, out))
	b, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 3 || !strings.Contains(string(b), "interrupted") {
		t.Fatalf("interrupted child = %v, %q; want exit 3 saying interrupted", err, b)
	}
	if got := snapshot(t, out); !maps.Equal(got, siteOf(oldSite)) {
		t.Errorf("out/ after an interrupt = %v, want the previous site", got)
	}
	if l := leftovers(t, parent); l != nil {
		t.Errorf("temporaries left after an interrupt: %v", l)
	}
}

// A second build into the same parent while one is writing is refused,
// and touches nothing.
func TestWriteDirOneBuildAtATime(t *testing.T) {
	parent := t.TempDir()
	out := filepath.Join(parent, "out")
	if err := WriteDir(out, oldSite, WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	unlock, err := lockDir(parent)
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	if err := WriteDir(out, newSite, WriteOptions{}); err == nil || !strings.Contains(err.Error(), "another kvplot build") {
		if runtime.GOOS == "linux" {
			t.Errorf("WriteDir during another build = %v, want it refused", err)
		}
	}
	if got := snapshot(t, out); runtime.GOOS == "linux" && !maps.Equal(got, siteOf(oldSite)) {
		t.Errorf("out/ changed under a refused build: %v", got)
	}
}
