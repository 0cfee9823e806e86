package system_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/detsim/detsim/system"
)

type pacedWorkload struct {
	Keys     int           `json:"keys"`
	ThinkMin time.Duration `json:"think_min"`
	ThinkMax time.Duration `json:"think_max"`
}

func pacedSpec(name string) system.Spec[config, pacedWorkload] {
	return system.Spec[config, pacedWorkload]{
		Name:     name,
		Config:   func() config { return config{Size: 3} },
		Workload: func() pacedWorkload { return pacedWorkload{Keys: 5, ThinkMax: time.Millisecond} },
		Build: func(config, pacedWorkload, *system.Cluster) (*system.Instance, error) {
			return nil, errors.New("not built here")
		},
		Rate: func(wl *pacedWorkload, rate float64) error {
			if rate > 1000 {
				return errors.New("more than 1000 operations per second per client would need a think time under a millisecond")
			}
			wl.ThinkMin, wl.ThinkMax = system.ThinkTimes(rate)
			return nil
		},
	}
}

func TestWithRateSetsTheThinkTimesAndKeepsTheRestOfTheWorkload(t *testing.T) {
	sys := system.MustDefine(pacedSpec("paced"))
	if !sys.TakesRate() {
		t.Fatal("a system with Spec.Rate does not take a rate")
	}
	raw, err := sys.WithRate(json.RawMessage(`{"keys": 7}`), 50)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := sys.Decode(nil, raw)
	if err != nil {
		t.Fatalf("the rated workload %s does not decode: %v", raw, err)
	}
	got := cfg.Workload().(pacedWorkload)
	if want := (pacedWorkload{Keys: 7, ThinkMin: 10 * time.Millisecond, ThinkMax: 30 * time.Millisecond}); got != want {
		t.Errorf("rate 50/s gave %+v, want %+v", got, want)
	}
	if lo, hi := system.ThinkTimes(4); lo != 125*time.Millisecond || hi != 375*time.Millisecond {
		t.Errorf("ThinkTimes(4) = %v, %v; want a mean of 250ms, from 125ms to 375ms", lo, hi)
	}
}

func TestWithRateNamesWhyASystemCannotTakeTheRate(t *testing.T) {
	paced := system.MustDefine(pacedSpec("paced-bad"))
	unpaced := pacedSpec("unpaced")
	unpaced.Rate = nil
	noClients := system.MustDefine(spec("no-clients"))
	for _, c := range []struct {
		sys  *system.System
		wl   string
		rate float64
		want string
	}{
		{system.MustDefine(unpaced), "", 50, "its Spec has no Rate"},
		{noClients, "", 50, "has no clients"},
		{paced, "", 0, "must be in (0, 1000000]"},
		{paced, "", -3, "is -3"},
		{paced, "", 2e6, "is 2e+06"},
		{paced, "", 5000, "under a millisecond"},
		{paced, `{"kees": 1}`, 50, "kees"},
	} {
		_, err := c.sys.WithRate(json.RawMessage(c.wl), c.rate)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), c.sys.Name()) {
			t.Errorf("%s.WithRate(%q, %v) = %v, want an error naming the system and %q", c.sys.Name(), c.wl, c.rate, err, c.want)
		}
	}
	if noClients.TakesRate() {
		t.Error("a system without clients takes a rate")
	}
	bad := spec("rate-without-workload")
	if _, err := system.Define(system.Spec[config, struct{}]{Name: bad.Name, Config: bad.Config, Build: bad.Build, Rate: func(*struct{}, float64) error { return nil }}); err == nil || !strings.Contains(err.Error(), "Spec.Rate") {
		t.Errorf("Define with a Rate and no Workload = %v, want an error naming Spec.Rate", err)
	}
}
