package dynamo

import (
	"flag"
	"math"
	"testing"
)

var pbsTrials = flag.Int("pbs.trials", 0, "trials per cell for TestPBSTable, which prints the full PBS table (0 skips it)")

// TestPBSSimulatorAgreesWithTheDirectModel runs the WARS experiment on the
// simulator and samples the model directly, with a reduced trial count,
// and requires every cell to agree within 4.5 standard errors: a real
// difference between the store's behaviour and the model shows, sampling
// noise does not.
func TestPBSSimulatorAgreesWithTheDirectModel(t *testing.T) {
	const trials = 1500
	models := PBSModels()
	for _, m := range []WARS{models[0], models[1], models[3], models[6]} {
		for _, q := range PBSQuorums {
			sim, err := RunPBS(m, q, PBSTimes, trials, 1)
			if err != nil {
				t.Fatal(err)
			}
			direct := DirectPBS(m, q, PBSTimes, trials, 2)
			for i, at := range PBSTimes {
				ps, pd := sim.P(i), direct.P(i)
				se := math.Sqrt(float64(ps*(1-ps))/trials+float64(pd*(1-pd))/trials) + 1.0/trials
				if math.Abs(ps-pd) > 4.5*se {
					t.Errorf("%s R=%d W=%d t=%v: simulator %.4f, direct %.4f (se %.4f)", m.Name, q.R, q.W, at, ps, pd, se)
				}
			}
		}
	}
}

func TestPBSConsistencyGrowsWithTimeAndQuorums(t *testing.T) {
	m := PBSModels()[1]
	r11 := DirectPBS(m, Quorum{R: 1, W: 1}, PBSTimes, 4000, 3)
	r21 := DirectPBS(m, Quorum{R: 2, W: 1}, PBSTimes, 4000, 3)
	last := len(PBSTimes) - 1
	if !(r11.P(0) < r11.P(last)) || !(r11.P(0) < r21.P(0)) {
		t.Fatalf("LNKD-DISK: P(R=W=1) %.3f at 0 and %.3f at %v; P(R=2,W=1) %.3f at 0", r11.P(0), r11.P(last), PBSTimes[last], r21.P(0))
	}
	if d := DirectPBS(m, Quorum{R: 2, W: 2}, PBSTimes, 500, 4); d.P(0) != 1 {
		t.Fatalf("R+W > N must always be consistent, got %.4f", d.P(0))
	}
}

// TestPBSTable prints the full table: go test ./nodes/dynamo -run PBSTable -pbs.trials=100000 -v
func TestPBSTable(t *testing.T) {
	if *pbsTrials == 0 {
		t.Skip("set -pbs.trials to print the table")
	}
	var simRes, direct []PBSResult
	for _, m := range PBSModels() {
		for _, q := range PBSQuorums {
			r, err := RunPBS(m, q, PBSTimes, *pbsTrials, 1)
			if err != nil {
				t.Fatal(err)
			}
			simRes = append(simRes, r)
			direct = append(direct, DirectPBS(m, q, PBSTimes, *pbsTrials, 2))
		}
	}
	worst := 0.0
	for i := range simRes {
		for j := range PBSTimes {
			worst = max(worst, simRes[i].Halfwidth(j))
		}
	}
	t.Logf("simulator, %d trials per cell (95%% CI half-width at most %.2f points):\n%s", *pbsTrials, 100*worst, FormatPBS(simRes))
	t.Logf("direct Monte Carlo of the WARS model, %d trials per cell:\n%s", *pbsTrials, FormatPBS(direct))
}
