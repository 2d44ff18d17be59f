// Package workflow is a stand-in for go.temporal.io/sdk/workflow.
package workflow

import "go.temporal.io/sdk/internal"

// Context is a workflow's context.
type Context = internal.Context

// Selector waits for one of several events.
type Selector = internal.Selector

// NewSelector returns a selector for ctx.
func NewSelector(ctx Context) Selector { return internal.NewSelector(ctx) }

// Await blocks the workflow until the dispatcher resumes it (calls
// internal.(*coroutineState).yield directly).
var Await = internal.Yield
