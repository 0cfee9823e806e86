package jsondur

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

type cfg struct {
	Timeout time.Duration `json:"timeout"`
	Name    string        `json:"name"`
}

func (c cfg) MarshalJSON() ([]byte, error) {
	type plain cfg
	return json.Marshal(struct {
		plain
		Timeout Duration `json:"timeout"`
	}{plain(c), Duration(c.Timeout)})
}

func (c *cfg) UnmarshalJSON(b []byte) error {
	type plain cfg
	return Strict(b, &struct {
		*plain
		Timeout *Duration `json:"timeout"`
	}{(*plain)(c), Of(&c.Timeout)})
}

func TestOverlayRoundTripsAndStaysStrict(t *testing.T) {
	b, err := json.Marshal(cfg{Timeout: 1500 * time.Millisecond, Name: "x"})
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != `{"name":"x","timeout":"1.5s"}` {
		t.Fatalf("encoded %s", b)
	}
	var back cfg
	if err := json.Unmarshal(b, &back); err != nil || back.Timeout != 1500*time.Millisecond || back.Name != "x" {
		t.Fatalf("decoded %+v, %v", back, err)
	}
	if err := json.Unmarshal([]byte(`{"timeout": 250000000}`), &back); err != nil || back.Timeout != 250*time.Millisecond {
		t.Fatalf("nanoseconds: %+v, %v", back, err)
	}
	for in, want := range map[string]string{
		`{"timeout": "soon"}`:           `bad duration "soon"`,
		`{"timeout": true}`:             `a duration must be`,
		`{"timeout": "1s", "tmeout":1}`: `unknown field "tmeout"`,
	} {
		if err := json.Unmarshal([]byte(in), &back); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err = %v, want %q", in, err, want)
		}
	}
}
