package channel

func planted(done func()) {
	ch := make(chan int, 1) // want `channel: a channel type`
	ch <- 1                 // want `channel: a send on a channel`
	_ = <-ch                // want `channel: a receive from a channel`
	select {}               // want `channel: select waits on channels`
}

func ranged(ch <-chan int) { // want `channel: a channel type`
	for range ch { // want `channel: a range over a channel`
	}
}

// clean keeps pending work in a queue, as a node does.
type queue struct{ items []int }

func (q *queue) push(i int) { q.items = append(q.items, i) }
