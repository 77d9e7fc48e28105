package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// children tracks every process the bench started, so that none outlives
// it: each runs in its own process group (a Ctrl-C in the terminal reaches
// only the bench, which stops them) and gets SIGKILL if the bench dies.
type children struct {
	mu    sync.Mutex
	procs map[*proc]struct{}
}

func newChildren() *children { return &children{procs: map[*proc]struct{}{}} }

// proc is one started child.
type proc struct {
	cmd  *exec.Cmd
	done chan struct{} // closed once Wait returned
	err  error         // Wait's result, once done
}

// start starts cmd and a goroutine that waits for it.
func (c *children) start(cmd *exec.Cmd) (*proc, error) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.procs == nil {
		return nil, errors.New("the bench is stopping")
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", cmd.Path, err)
	}
	p := &proc{cmd: cmd, done: make(chan struct{})}
	c.procs[p] = struct{}{}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
		c.mu.Lock()
		delete(c.procs, p)
		c.mu.Unlock()
	}()
	return p, nil
}

// killAll kills every child still running and waits (briefly) for them;
// no child starts afterwards.
func (c *children) killAll() {
	c.mu.Lock()
	procs := c.procs
	c.procs = nil
	c.mu.Unlock()
	for p := range procs {
		p.kill()
	}
}

func (p *proc) pid() int { return p.cmd.Process.Pid }

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// kill sends SIGKILL to the child's process group and waits up to 10s.
func (p *proc) kill() {
	_ = syscall.Kill(-p.pid(), syscall.SIGKILL)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
	}
}

// wait waits for the child to exit by itself, killing it after timeout.
func (p *proc) wait(timeout time.Duration, stop <-chan struct{}) error {
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-p.done:
		return p.err
	case <-t.C:
		p.kill()
		return fmt.Errorf("did not finish within %s: killed", timeout)
	case <-stop:
		p.kill()
		return errors.New("interrupted: killed")
	}
}

// terminate sends SIGTERM and waits up to grace for a clean exit, then
// kills. It returns how the child ended.
func (p *proc) terminate(grace time.Duration) string {
	return p.terminateVia(p.pid(), grace)
}

// terminateVia is terminate with the SIGTERM sent to pid, a process the
// child waits for (the command /usr/bin/time runs).
func (p *proc) terminateVia(pid int, grace time.Duration) string {
	_ = syscall.Kill(pid, syscall.SIGTERM)
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-p.done:
		if p.err != nil {
			return "after SIGTERM: " + p.err.Error()
		}
		return "exit 0 after SIGTERM"
	case <-t.C:
		p.kill()
		return fmt.Sprintf("ignored SIGTERM for %s: killed", grace)
	}
}

// clockTicks is USER_HZ, the unit of utime and stime in /proc/<pid>/stat
// (100 on every Linux configuration Go supports).
const clockTicks = 100

// cpuTime returns utime+stime of a process, all threads, from
// /proc/<pid>/stat.
func cpuTime(pid int) (time.Duration, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, err
	}
	// The command name (field 2) is in parentheses and may hold spaces:
	// the fields that follow start after the last ')'.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, errors.New("malformed /proc stat")
	}
	f := strings.Fields(string(b[i+1:]))
	// f[0] is field 3 (state); utime and stime are fields 14 and 15.
	if len(f) < 13 {
		return 0, errors.New("short /proc stat")
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, errors.New("malformed /proc stat times")
	}
	return time.Duration(ut+st) * time.Second / clockTicks, nil
}

// memStatus returns VmHWM (peak RSS) and VmRSS of a process in KiB.
func memStatus(pid string) (hwm, rss int64, err error) {
	f, err := os.Open("/proc/" + pid + "/status")
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		var dst *int64
		switch {
		case strings.HasPrefix(line, "VmHWM:"):
			dst = &hwm
		case strings.HasPrefix(line, "VmRSS:"):
			dst = &rss
		default:
			continue
		}
		fs := strings.Fields(line)
		if len(fs) >= 2 {
			*dst, _ = strconv.ParseInt(fs[1], 10, 64)
		}
	}
	return hwm, rss, sc.Err()
}

// selfCPU is this process's utime+stime, at microsecond resolution.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// loadAverage is /proc/loadavg's first three fields.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

// machineBusy is the CPU time all processes spent, from /proc/stat
// (user, nice, system, irq, softirq, steal; guest time is within user).
func machineBusy() time.Duration {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 9 || f[0] != "cpu" {
		return 0
	}
	var ticks int64
	for _, i := range []int{1, 2, 3, 6, 7, 8} {
		v, _ := strconv.ParseInt(f[i], 10, 64)
		ticks += v
	}
	return time.Duration(ticks) * time.Second / clockTicks
}

// ourCPU is the CPU time of the bench and of every child it has waited for.
func ourCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_CHILDREN, &ru); err != nil {
		return selfCPU()
	}
	return selfCPU() + time.Duration(ru.Utime.Nano()+ru.Stime.Nano())
}

// loadMeter measures how much CPU other processes used meanwhile: the
// machine's busy time less the bench's and its children's.
type loadMeter struct {
	at         time.Time
	busy, ours time.Duration
}

func startLoad() loadMeter { return loadMeter{at: time.Now(), busy: machineBusy(), ours: ourCPU()} }

// others is the average number of cores other processes kept busy since
// the meter started (children must have been waited for).
func (m loadMeter) others() float64 {
	wall := time.Since(m.at)
	if wall <= 0 || m.busy == 0 {
		return math.NaN()
	}
	other := (machineBusy() - m.busy) - (ourCPU() - m.ours)
	return math.Max(0, float64(other)/float64(wall))
}
