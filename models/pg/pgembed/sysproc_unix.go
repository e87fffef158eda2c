//go:build unix

package pgembed

import "syscall"

// sysProcAttr makes a command run as o, or as the current user when o is nil.
func sysProcAttr(o *owner) *syscall.SysProcAttr {
	if o == nil {
		return nil
	}
	return &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(o.uid), Gid: uint32(o.gid)}}
}
