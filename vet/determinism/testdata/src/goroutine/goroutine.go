package goroutine

import "sync"

func planted(work func()) {
	go work() // want `goroutine: a go statement starts a goroutine`
	var wg sync.WaitGroup
	wg.Go(work) // want `goroutine: WaitGroup.Go starts a goroutine`
	wg.Wait()
}

func clean(work func()) {
	work()
}
