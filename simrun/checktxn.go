package simrun

import (
	"fmt"
	"io"
	"os"

	"github.com/detsim/detsim/checker"
)

// txnAnomaliesShown is how many anomalies of each class the check prints;
// the summary line counts them all.
const txnAnomaliesShown = 5

// checkTxns checks a transactional history and says whether it satisfies
// the consistency model asked for.
func checkTxns(path, model, consistency string, stdout, stderr io.Writer) int {
	want, err := checker.ParseConsistency(consistency)
	if err != nil {
		return fail(stderr, "check", fmt.Errorf("-consistency: %w", err))
	}
	f, err := os.Open(path)
	if err != nil {
		return fail(stderr, "check", err)
	}
	defer f.Close()
	txns, err := checker.ReadTxns(f)
	if err != nil {
		return fail(stderr, "check", fmt.Errorf("%s: %w", path, err))
	}
	check := checker.CheckListAppend
	if model == "rw-register" {
		check = checker.CheckRWRegister
	}
	res, err := check(txns, checker.TxnOptions{AnomaliesPerClassMax: txnAnomaliesShown})
	if err != nil {
		return fail(stderr, "check", fmt.Errorf("%s: %w", path, err))
	}
	fmt.Fprintf(stdout, "%s: %v\n", path, res)
	for _, a := range res.Anomalies {
		fmt.Fprintf(stdout, "\n%s\n", a.Explanation)
	}
	verdict := res.Verdict(want)
	fmt.Fprintf(stdout, "\n%v: %v\n", want, verdict)
	switch verdict {
	case checker.Ok:
		return exitPass
	case checker.Illegal:
		return exitFail
	}
	return exitUnknown
}
