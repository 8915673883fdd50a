//go:build !linux && !windows

package main

// memDir finds no tmpfs outside Linux: the builds into memory are not
// measured there.
func memDir() string { return "" }
