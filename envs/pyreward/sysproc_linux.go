package pyreward

import (
	"os/exec"
	"runtime"
	"syscall"
)

// sysProcAttr puts the process in a group of its own, so that a kill also stops what it
// started, and has the kernel kill it when the thread that started it (and so the Go process)
// ends.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// startCmd starts cmd on a locked OS thread: Pdeathsig fires when the forking thread exits, and
// the Go runtime does not end a thread that was locked and released.
func startCmd(cmd *exec.Cmd) error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	return cmd.Start()
}

// killGroup kills the process's group with SIGKILL.
func killGroup(cmd *exec.Cmd) {
	if cmd.Process != nil {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
}
