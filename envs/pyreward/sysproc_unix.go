//go:build unix && !linux

package pyreward

import (
	"os/exec"
	"syscall"
)

// sysProcAttr puts the process in a group of its own, so that a kill also stops what it started.
func sysProcAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }

func startCmd(cmd *exec.Cmd) error { return cmd.Start() }

// killGroup kills the process's group with SIGKILL.
func killGroup(cmd *exec.Cmd) {
	if cmd.Process != nil {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
}
