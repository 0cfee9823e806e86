package checker

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
)

// HistoryReader reads a JSON Lines history of one model into a Recorded
// history, ready to check. Its errors name the line (a *LineError).
type HistoryReader func(r io.Reader) (Recorded, error)

// The models `simrun check -model NAME` knows: the checker's own, and any a
// system registers for the histories it writes.
var models = struct {
	sync.Mutex
	readers map[string]HistoryReader
}{readers: map[string]HistoryReader{
	"kv": func(r io.Reader) (Recorded, error) {
		h, err := ReadKV(r)
		if err != nil {
			return nil, err
		}
		return RecordedKV(h), nil
	},
	"register": func(r io.Reader) (Recorded, error) {
		h, err := ReadRegister(r)
		if err != nil {
			return nil, err
		}
		return Linearizable("register", RegisterModel(), h, LinearizableOptions[RegisterInput, RegisterOutput]{Write: WriteRegister}), nil
	},
}}

// RegisterHistoryModel makes a model's histories readable by name, for tools that
// check histories from files. A name may be registered once.
func RegisterHistoryModel(name string, read HistoryReader) error {
	models.Lock()
	defer models.Unlock()
	if name == "" || read == nil {
		return fmt.Errorf("checker: RegisterHistoryModel needs a name and a reader")
	}
	if _, dup := models.readers[name]; dup || name == "bank" {
		return fmt.Errorf("checker: the model %q is registered already", name)
	}
	models.readers[name] = read
	return nil
}

// ReadHistory reads a history of the named model.
func ReadHistory(model string, r io.Reader) (Recorded, error) {
	models.Lock()
	read, ok := models.readers[model]
	models.Unlock()
	if !ok {
		return nil, fmt.Errorf("checker: unknown model %q (want %s)", model, strings.Join(Models(), ", "))
	}
	return read(r)
}

// Models lists the models ReadHistory and CheckJSONL take, sorted.
func Models() []string {
	models.Lock()
	defer models.Unlock()
	names := []string{"bank"} // CheckJSONL's: its initial balances come with the options
	for name := range models.readers {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}
