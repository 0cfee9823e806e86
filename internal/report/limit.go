package report

import (
	"cmp"
	"slices"
	"time"
)

// Limit bounds the page to at most maxMessages messages (a negative
// maxMessages counts as 0). It first drops the messages and ops that lie
// wholly outside the window, which could not be drawn; they are not
// counted as elided. If more than maxMessages remain, it keeps the maxMessages nearest
// FailureAt (by the distance from FailureAt to the span from Sent to
// Received) or, with no failure, the latest sent; it keeps their order,
// and adds the number left out to Elided. Ties go to the earlier message,
// so the result depends only on p.
func (p *Page) Limit(maxMessages int) {
	maxMessages = max(maxMessages, 0)
	if p.Start < p.End {
		p.Ops = slices.DeleteFunc(slices.Clone(p.Ops), func(o Op) bool {
			return o.Call > p.End || (!o.Pending && o.Return < p.Start)
		})
	}
	in := make([]int, 0, len(p.Messages))
	for i, m := range p.Messages {
		if p.Start < p.End && (m.Sent > p.End || m.Received < p.Start) {
			continue
		}
		in = append(in, i)
	}
	if len(in) > maxMessages {
		key := func(i int) time.Duration {
			if p.FailureAt >= 0 {
				return distance(p.Messages[i], p.FailureAt)
			}
			return -p.Messages[i].Sent
		}
		slices.SortStableFunc(in, func(a, b int) int { return cmp.Compare(key(a), key(b)) })
		p.Elided += len(in) - maxMessages
		in = in[:maxMessages]
		slices.Sort(in)
	}
	if len(in) == len(p.Messages) {
		return
	}
	kept := make([]Message, len(in))
	for j, i := range in {
		kept[j] = p.Messages[i]
	}
	p.Messages = kept
}

// distance is how far t lies from the span of m, 0 if inside it.
func distance(m Message, t time.Duration) time.Duration {
	switch {
	case t < m.Sent:
		return m.Sent - t
	case t > m.Received:
		return t - m.Received
	}
	return 0
}
