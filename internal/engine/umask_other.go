//go:build !unix

package engine

// restrictUmask: there is no umask outside Unix; file permissions there come
// from the directory's access control list.
func restrictUmask() {}
