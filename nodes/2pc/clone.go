package twopc

import "slices"

// Messages that hold slices copy themselves (net.Cloner), faster than the
// network's reflective deep copy.

func cloneLists(l [][]int) [][]int {
	if l == nil {
		return nil
	}
	out := make([][]int, len(l))
	for i, v := range l {
		out[i] = slices.Clone(v)
	}
	return out
}

func (m Execute) Clone() any  { m.Ops = slices.Clone(m.Ops); return m }
func (m Executed) Clone() any { m.Results = cloneLists(m.Results); return m }
func (m CommitRequest) Clone() any {
	m.Participants, m.Epochs = slices.Clone(m.Participants), slices.Clone(m.Epochs)
	return m
}
func (m BeginCommit) Clone() any {
	m.Participants, m.Epochs = slices.Clone(m.Participants), slices.Clone(m.Epochs)
	return m
}
func (m Prepare) Clone() any {
	m.Participants, m.Epochs = slices.Clone(m.Participants), slices.Clone(m.Epochs)
	return m
}
func (m Phase1a) Clone() any { m.Participants = slices.Clone(m.Participants); return m }
func (m Phase1b) Clone() any { m.Instances = slices.Clone(m.Instances); return m }
func (m Phase2a) Clone() any {
	m.Participants, m.Values = slices.Clone(m.Participants), slices.Clone(m.Values)
	return m
}
func (m Phase2b) Clone() any { m.Instances = slices.Clone(m.Instances); return m }

// cloner is net.Cloner, for the copies that local delivery and Bundle
// make without the network.
type cloner interface{ Clone() any }

func cloneMessage(m any) any {
	if c, ok := m.(cloner); ok {
		return c.Clone()
	}
	return m // the other messages hold no references
}

func (m Bundle) Clone() any {
	out := make([]any, len(m.Msgs))
	for i, x := range m.Msgs {
		out[i] = cloneMessage(x)
	}
	m.Msgs = out
	return m
}
