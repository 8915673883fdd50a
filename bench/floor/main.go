//go:build unix

// Command floor measures what writing a build's output costs by itself,
// the part of a cold build no compiler work can remove: it reads the files
// under SRC into memory, untimed, then writes them under DST as pipec does
// (a directory at a time, on as many goroutines as writer.CreatorLimit
// allows, the files created new with plain system calls), and syncs DST's
// file system once. It prints the wall and CPU time of the writing and the
// sync as JSON, for bench/run.
//
//	go run ./bench/floor SRC DST
package main

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/pipec/pipec/writer"
)

// Result is what floor prints.
type Result struct {
	Files int           `json:"files"`
	Bytes int64         `json:"bytes"`
	Wall  time.Duration `json:"wall"`
	CPU   time.Duration `json:"cpu"`
}

type dir struct {
	path  string
	files map[string][]byte
}

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: floor SRC DST")
		os.Exit(2)
	}
	res, err := run(os.Args[1], os.Args[2])
	if err != nil {
		fmt.Fprintf(os.Stderr, "floor: %v\n", err)
		os.Exit(1)
	}
	json.NewEncoder(os.Stdout).Encode(res)
}

func run(src, dst string) (Result, error) {
	var res Result
	byDir := map[string]*dir{}
	var dirs []*dir
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, filepath.Dir(p))
		dd := byDir[rel]
		if dd == nil {
			dd = &dir{path: filepath.Join(dst, rel), files: map[string][]byte{}}
			byDir[rel] = dd
			dirs = append(dirs, dd)
		}
		dd.files[d.Name()] = data
		res.Files++
		res.Bytes += int64(len(data))
		return nil
	})
	if err != nil {
		return res, err
	}
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return res, err
	}

	start, cpu0 := time.Now(), cpuTime()
	work := make(chan *dir)
	errs := make(chan error, len(dirs))
	var wg sync.WaitGroup
	for range writer.CreatorLimit() {
		wg.Go(func() {
			for d := range work {
				errs <- writeDir(d)
			}
		})
	}
	for _, d := range dirs {
		work <- d
	}
	close(work)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			return res, err
		}
	}
	if err := syncFS(dst); err != nil {
		return res, err
	}
	res.Wall, res.CPU = time.Since(start), cpuTime()-cpu0
	return res, nil
}

func writeDir(d *dir) error {
	if err := os.MkdirAll(d.path, 0o755); err != nil {
		return err
	}
	// Plain system calls, as pipec's writer makes them: os.OpenFile
	// adds five per file (fcntl and a failing epoll registration).
	dfd, err := unix.Open(d.path, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(dfd)
	for name, data := range d.files {
		fd, err := unix.Openat(dfd, name, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o644)
		if err != nil {
			return fmt.Errorf("%s: %w", filepath.Join(d.path, name), err)
		}
		for len(data) > 0 && err == nil {
			var n int
			if n, err = unix.Write(fd, data); err == nil {
				data = data[n:]
			}
		}
		if cerr := unix.Close(fd); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("%s: %w", filepath.Join(d.path, name), err)
		}
	}
	return nil
}

// cpuTime is the process's user and system time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
