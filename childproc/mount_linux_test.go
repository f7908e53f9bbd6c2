package childproc_test

import "syscall"

func mountTmpfs(dir string) error { return syscall.Mount("tmpfs", dir, "tmpfs", 0, "") }
func remountNoexec(dir string) error {
	return syscall.Mount("", dir, "", syscall.MS_REMOUNT|syscall.MS_NOEXEC, "")
}
func unmount(dir string) error { return syscall.Unmount(dir, 0) }
