//go:build !unix

package pgembed

import "syscall"

// sysProcAttr returns nil: without unix credentials the programs run as the
// current user, and currentOwner never asks for another one.
func sysProcAttr(*owner) *syscall.SysProcAttr {
	return nil
}
