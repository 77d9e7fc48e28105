package proctest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// LogDirVariable names a directory to keep the children's logs in after
// the test (by default they go to the test's temporary directory).
const LogDirVariable = "KILL_TEST_LOG_DIR"

// Log is a log file that children write to (several may share one, in
// turn or together: each writes whole lines).
type Log struct {
	File *os.File
	Path string
}

// NewLog creates the log file name for t's children, in $KILL_TEST_LOG_DIR
// when set. When t fails, its last 60 lines are logged.
func NewLog(t testing.TB, name string) *Log {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if dir := os.Getenv(LogDirVariable); dir != "" {
		path = filepath.Join(dir, name)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	l := &Log{File: f, Path: path}
	t.Cleanup(func() {
		f.Close()
		if t.Failed() {
			t.Logf("%s tail:\n%s", name, l.Tail(60))
		}
	})
	return l
}

// Has reports whether the log holds s so far.
func (l *Log) Has(s string) bool {
	b, _ := os.ReadFile(l.Path)
	return strings.Contains(string(b), s)
}

// Tail returns the log's last n lines.
func (l *Log) Tail(n int) string {
	b, _ := os.ReadFile(l.Path)
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
