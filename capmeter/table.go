package capmeter

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/detsim/detsim/scenarios"
)

// WriteText writes the table for a terminal: one line per (system,
// partition) pair. Same seeds, same bytes.
func (t *Table) WriteText(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	if _, err := fmt.Fprintf(w, "rate: %s per client\n\n", rate(t.Rate)); err != nil {
		return err
	}
	fmt.Fprintf(tw, "system\tpartition\tavail major\tavail minor\tnon-lin\tstale\tstale for max\tlost acked\tp50\tp99\tmax\tserve again\tconverge p50/max\tafter writes p50/max\tanomalies\tcounters\n")
	for _, r := range t.Rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%v\t%d\t%v\t%v\t%v\t%s\t%s\t%s\t%s\t%s\n",
			r.System, r.Partition, pct(r.AvailabilityMajority), pct(r.AvailabilityMinority),
			frac(r.ViolatedRatio), frac(r.StaleRatio), r.StaleForMax, r.LostWrites,
			r.LatencyP50, r.LatencyP99, r.LatencyMax, serveAgain(r), converge(r), afterWrites(r),
			dash(strings.Join(r.Anomalies, ",")), counters(r))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "\n%d seeds per pair, clients at %s each (closed loop: 1/rate of think time on average after each answer); "+
		"availability is answered/invoked during the partition, mean ± std over seeds, per side; non-lin is the fraction of seeds whose history check failed; "+
		"converge is how long after the heal the replicas became equal for good (writes in flight count), after writes how long after the clients' last write, "+
		"over the seeds that did, with the seeds that never did.\n", t.Seeds, rate(t.Rate))
	return err
}

func rate(r float64) string { return fmt.Sprintf("%g operations/s", r) }

// converge is a row's time to converge: "p50/max", then how many seeds
// never converged; "-" when its system reports no replicas.
func converge(r Row) string {
	if r.ConvergedRatio < 0 {
		return "-"
	}
	return spanNever(r.ConvergeP50, r.ConvergeMax, r.ConvergeNever, r.Seeds)
}

func afterWrites(r Row) string {
	if r.ConvergedRatio < 0 {
		return "-"
	}
	return spanNever(r.AfterWritesP50, r.AfterWritesMax, r.ConvergeNever, r.Seeds)
}

func spanNever(p50, top scenarios.Duration, never, seeds int) string {
	switch {
	case never == seeds:
		return "never"
	case never > 0:
		return fmt.Sprintf("%v/%v, never %d", p50, top, never)
	}
	return fmt.Sprintf("%v/%v", p50, top)
}

// WriteJSON writes the table as indented JSON.
func (t *Table) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(t)
}

func pct(s Stat) string {
	if s.Mean < 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f%%±%.1f", 100*s.Mean, 100*s.Std)
}

func frac(x float64) string {
	if x < 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f", x)
}

func serveAgain(r Row) string {
	if r.ServeAgainMax < 0 {
		return "never"
	}
	return r.ServeAgainMax.String()
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func counters(r Row) string {
	var parts []string
	for _, name := range sortedKeys(r.Counters) {
		parts = append(parts, fmt.Sprintf("%s=%.1f", name, r.Counters[name]))
	}
	return dash(strings.Join(parts, " "))
}

func sortedKeys(m map[string]float64) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func percent(x float64) string {
	if x < 0 {
		return "-"
	}
	return fmt.Sprintf("%.0f%%", 100*x)
}
