// Package internal is a stand-in for go.temporal.io/sdk/internal: task
// pollers that long-poll the Temporal frontend over gRPC, task dispatchers,
// activity execution and workflow coroutines, with the real SDK's names.
package internal

import (
	"context"

	"google.golang.org/grpc"
)

type pollRequest struct {
	Namespace string
	TaskQueue string
	Identity  string
}

type pollResponse struct {
	TaskToken    []byte
	ActivityType string
	WorkflowType string
	Input        []byte
}

// workflowServiceClient is the frontend's gRPC client.
type workflowServiceClient struct {
	cc *grpc.ClientConn
}

//go:noinline
func (c *workflowServiceClient) PollActivityTaskQueue(ctx context.Context, req *pollRequest) (*pollResponse, error) {
	resp := new(pollResponse)
	err := c.cc.Invoke(ctx, "/temporal.api.workflowservice.v1.WorkflowService/PollActivityTaskQueue", req, resp)
	return resp, err
}

//go:noinline
func (c *workflowServiceClient) PollWorkflowTaskQueue(ctx context.Context, req *pollRequest) (*pollResponse, error) {
	resp := new(pollResponse)
	err := c.cc.Invoke(ctx, "/temporal.api.workflowservice.v1.WorkflowService/PollWorkflowTaskQueue", req, resp)
	return resp, err
}

type task struct {
	name  string
	token []byte
	input []byte
}

// taskPoller is what a baseWorker polls.
type taskPoller interface {
	PollTask() (*task, error)
}

type basePoller struct {
	service   *workflowServiceClient
	namespace string
	taskQueue string
	identity  string
}

func (p *basePoller) request() *pollRequest {
	return &pollRequest{Namespace: p.namespace, TaskQueue: p.taskQueue, Identity: p.identity}
}

// ActivityFunc is a registered activity.
type ActivityFunc func(ctx context.Context, input []byte) error

type activityTaskPoller struct {
	basePoller
	activities map[string]ActivityFunc
	invoker    *temporalInvoker
}

//go:noinline
func (p *activityTaskPoller) PollTask() (*task, error) {
	return p.doPoll(context.Background())
}

//go:noinline
func (p *activityTaskPoller) doPoll(ctx context.Context) (*task, error) {
	resp, err := p.service.PollActivityTaskQueue(ctx, p.request())
	if err != nil {
		return nil, err
	}
	return &task{name: resp.ActivityType, token: resp.TaskToken, input: resp.Input}, nil
}

// ProcessTask runs the task's activity.
//
//go:noinline
func (p *activityTaskPoller) ProcessTask(t *task) error {
	fn := p.activities[t.name]
	if fn == nil {
		return context.Canceled
	}
	return fn(context.Background(), t.input)
}

type workflowTaskPoller struct {
	basePoller
	workflows map[string]WorkflowFunc
}

//go:noinline
func (p *workflowTaskPoller) PollTask() (*task, error) {
	return p.doPoll(context.Background())
}

//go:noinline
func (p *workflowTaskPoller) doPoll(ctx context.Context) (*task, error) {
	resp, err := p.service.PollWorkflowTaskQueue(ctx, p.request())
	if err != nil {
		return nil, err
	}
	return &task{name: resp.WorkflowType, token: resp.TaskToken, input: resp.Input}, nil
}

// temporalInvoker reports activity heartbeats.
type temporalInvoker struct {
	closeCh chan struct{}
	beats   int
}

// Heartbeat waits for the next heartbeat or the activity's end.
//
//go:noinline
func (i *temporalInvoker) Heartbeat(ctx context.Context, details []byte) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-i.closeCh:
		i.beats++
		return nil
	}
}
