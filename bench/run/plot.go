//go:build !windows

package main

import (
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// plot draws wall time and peak RSS against N, one line per measure, with
// gnuplot: two log-log panels side by side.
func (r *report) plot(png string) error {
	data := filepath.Join(r.cfg.work, "results.tsv")
	var b strings.Builder
	b.WriteString("N")
	for _, name := range r.names {
		fmt.Fprintf(&b, "\t%q", name)
	}
	for _, name := range r.names {
		fmt.Fprintf(&b, "\t%q", name)
	}
	b.WriteString("\n")
	for _, n := range r.cfg.sizes {
		fmt.Fprintf(&b, "%d", n)
		for _, name := range r.names {
			wall := math.NaN()
			if s, ok := r.stats[key{n, name}]; ok {
				wall = s.wall.Seconds()
			}
			fmt.Fprintf(&b, "\t%g", wall)
		}
		for _, name := range r.names {
			rss := math.NaN()
			if s, ok := r.stats[key{n, name}]; ok && s.rss > 0 {
				rss = float64(s.rss) / 1e6
			}
			fmt.Fprintf(&b, "\t%g", rss)
		}
		b.WriteString("\n")
	}
	if err := os.WriteFile(data, []byte(b.String()), 0o644); err != nil {
		return err
	}
	k := len(r.names)
	script := fmt.Sprintf(`set terminal pngcairo size 1400,560 font ",10"
set output %q
set datafile separator "\t"
set datafile missing "NaN"
set logscale xy 10
set grid
set key below
set xlabel "pipelines (N)"
set multiplot layout 1,2 title %q
set title "wall time, median"
set ylabel "seconds"
plot for [i=2:%d] %q using 1:i with linespoints lw 2 title columnheader(i)
set title "peak RSS, median"
set ylabel "MB"
plot for [i=%d:%d] %q using 1:i with linespoints lw 2 title columnheader(i)
unset multiplot
`, png, fmt.Sprintf("pipec, cue and kubectl kustomize on %d CPUs, %s", r.tools.cpus, r.start.UTC().Format("2006-01-02")),
		k+1, data, k+2, 2*k+1, data)
	cmd := exec.Command(r.tools.gnuplot)
	cmd.Stdin = strings.NewReader(script)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("gnuplot: %v\n%s", err, out)
	}
	progress("wrote %s", png)
	return nil
}
