// Command supervise runs one control-plane process and guarantees it dies with
// its parent. Node.js cannot set PR_SET_PDEATHSIG on the processes it spawns, so
// a test runner killed with SIGKILL would otherwise leave kube-apiserver and etcd
// running; supervise sits between the two and closes that gap.
//
// Usage: supervise <program> [args...]
package main

import (
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"syscall"
)

const prSetPdeathsig = 1

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: supervise <program> [args...]")
		os.Exit(2)
	}
	// Die with the parent (the Node.js launcher); then the child follows because
	// of its own Pdeathsig below.
	if _, _, errno := syscall.RawSyscall(syscall.SYS_PRCTL, prSetPdeathsig, uintptr(syscall.SIGTERM), 0); errno != 0 {
		fmt.Fprintf(os.Stderr, "supervise: prctl: %v\n", errno)
		os.Exit(1)
	}
	if os.Getppid() == 1 {
		os.Exit(1) // the parent is already gone
	}

	// Pdeathsig fires when the *thread* that forked exits; pin it.
	runtime.LockOSThread()
	cmd := exec.Command(os.Args[1], os.Args[2:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = nil, os.Stdout, os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}

	signals := make(chan os.Signal, 4)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
	if err := cmd.Start(); err != nil {
		fmt.Fprintf(os.Stderr, "supervise: cannot start %s: %v\n", os.Args[1], err)
		os.Exit(127)
	}
	go func() {
		for s := range signals {
			_ = cmd.Process.Signal(s)
		}
	}()
	err := cmd.Wait()
	if exitErr, ok := err.(*exec.ExitError); ok {
		if status, ok := exitErr.Sys().(syscall.WaitStatus); ok && status.Signaled() {
			os.Exit(128 + int(status.Signal()))
		}
		os.Exit(exitErr.ExitCode())
	}
	if err != nil {
		os.Exit(1)
	}
}
