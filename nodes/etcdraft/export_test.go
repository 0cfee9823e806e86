package etcdraft

// CopyMessages makes every node send deep copies of its messages instead
// of sharing them, until the returned function is called.
func CopyMessages() (restore func()) {
	copyMessages = true
	return func() { copyMessages = false }
}
