package annotation

func use(int) {}

func bad(m map[int]int) {
	//detsim:maporder // want `annotation: //detsim:maporder needs a reason`
	for k := range m { // want `maporder: a range over a map`
		use(k)
	}
	//detsim:mapordr a typo // want `annotation: //detsim:mapordr names no rule; the rules are wallclock, goroutine, channel, rand, math, maporder, fma`
	for k := range m { // want `maporder: a range over a map`
		use(k)
	}
	//detsim:wallclock nothing here reads the clock // want `annotation: //detsim:wallclock accepts no report on its line or the next; remove it`
	for k := range m { //detsim:maporder reviewed
		use(k)
	}
}
