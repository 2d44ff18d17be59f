package internal

// coroutineState is one workflow coroutine: it runs until it yields, then
// waits for the dispatcher to unblock it.
type coroutineState struct {
	name     string
	status   string
	unblock  chan func(status string)
	shutdown chan struct{}
}

// Context is a workflow's context (an interface in the real SDK).
type Context = *coroutineState

// WorkflowFunc is a registered workflow.
type WorkflowFunc func(ctx Context) error

func newCoroutineState(name string) *coroutineState {
	return &coroutineState{name: name, unblock: make(chan func(string)), shutdown: make(chan struct{})}
}

// yield blocks the coroutine until the dispatcher unblocks it.
//
//go:noinline
func (s *coroutineState) yield(status string) {
	s.status = status
	f := <-s.unblock
	f(status)
}

// initialYield blocks until the coroutine is first scheduled or shut down.
//
//go:noinline
func (s *coroutineState) initialYield(callerDepth int, status string) {
	s.status = status
	select {
	case f := <-s.unblock:
		f(status)
	case <-s.shutdown:
	}
}

// Yield is (*coroutineState).yield as a function value, for the workflow
// package (which may not call the unexported method).
var Yield = (*coroutineState).yield

// Selector waits for one of several events.
type Selector interface {
	Select(ctx Context)
}

type selectorImpl struct {
	name  string
	cases int
}

// NewSelector returns a selector for ctx.
func NewSelector(ctx Context) Selector { return &selectorImpl{name: ctx.name} }

// Select blocks until one of the selector's events is ready.
//
//go:noinline
func (s *selectorImpl) Select(ctx Context) {
	ctx.initialYield(1, "Select")
}
