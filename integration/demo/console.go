package demo

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// console is the narration: milestone lines, and a progress display that is
// one status line redrawn in place on a terminal and periodic plain lines
// otherwise. It is safe for concurrent use: the script and the monitor both
// write to it.
type console struct {
	w     io.Writer
	tty   bool
	quiet bool
	start time.Time

	mu     sync.Mutex // guards the fields below and every write to w
	status string     // the status line on screen (terminal only)
	err    error      // first write error
}

func newConsole(w io.Writer, tty, quiet bool, start time.Time) *console {
	return &console{w: w, tty: tty, quiet: quiet, start: start}
}

// stamp is the time since the demo started, the first column of every line.
func (c *console) stamp() string {
	return fmt.Sprintf("%6.1fs  ", time.Since(c.start).Seconds())
}

func (c *console) write(s string) {
	if c.err != nil {
		return
	}
	if _, err := io.WriteString(c.w, s); err != nil {
		c.err = fmt.Errorf("writing the narration: %w", err)
	}
}

// plain writes a line without the time column (headers).
func (c *console) plain(format string, args ...any) {
	c.line(fmt.Sprintf(format, args...))
}

// say writes a milestone line, stamped.
func (c *console) say(format string, args ...any) {
	c.line(c.stamp() + fmt.Sprintf(format, args...))
}

// line writes one full line, keeping the status line below it.
func (c *console) line(s string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.status != "" {
		c.write("\r\x1b[K")
	}
	c.write(s + "\n")
	if c.status != "" {
		c.write(c.status)
	}
}

// progress shows the status: redrawn in place on a terminal, as a stamped
// line otherwise.
func (c *console) progress(s string) {
	if c.quiet {
		return
	}
	if !c.tty {
		c.say("%s", s)
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.status = c.stamp() + strings.TrimSpace(s)
	c.write("\r\x1b[K" + c.status)
}

// clearStatus removes the status line, before the final lines.
func (c *console) clearStatus() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.status != "" {
		c.write("\r\x1b[K")
		c.status = ""
	}
}

// writeErr returns the first write error.
func (c *console) writeErr() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}
