package internal

import (
	"context"

	"google.golang.org/grpc"
)

// baseWorker runs the pollers and the dispatcher of one task kind.
type baseWorker struct {
	poller     taskPoller
	pollers    int
	eager      bool
	taskQueue  chan *task
	eagerTasks chan *task
	stop       chan struct{}
	dispatched int
}

// pollTask polls for tasks and queues them for the dispatcher.
//
//go:noinline
func (bw *baseWorker) pollTask() {
	for {
		t, err := bw.poller.PollTask()
		if err != nil {
			return
		}
		bw.taskQueue <- t
	}
}

//go:noinline
func (bw *baseWorker) runTaskDispatcher() {
	for {
		select {
		case <-bw.stop:
			return
		case t := <-bw.taskQueue:
			_ = t
			bw.dispatched++
		}
	}
}

//go:noinline
func (bw *baseWorker) runEagerTaskDispatcher() {
	for {
		select {
		case <-bw.stop:
			return
		case t := <-bw.eagerTasks:
			_ = t
			bw.dispatched++
		}
	}
}

func (bw *baseWorker) Start() {
	for i := 0; i < bw.pollers; i++ {
		go bw.pollTask()
	}
	go bw.runTaskDispatcher()
	if bw.eager {
		go bw.runEagerTaskDispatcher()
	}
}

// WorkerOptions configures a worker.
type WorkerOptions struct {
	Identity                         string
	MaxConcurrentActivityTaskPollers int
	MaxConcurrentWorkflowTaskPollers int
}

// AggregatedWorker is an activity worker plus a workflow worker on one task queue.
type AggregatedWorker struct {
	activityPoller *activityTaskPoller
	workflowPoller *workflowTaskPoller
	activityWorker *baseWorker
	workflowWorker *baseWorker
}

// NewAggregatedWorker returns a worker polling taskQueue through cc.
func NewAggregatedWorker(cc *grpc.ClientConn, taskQueue string, o WorkerOptions) *AggregatedWorker {
	svc := &workflowServiceClient{cc: cc}
	base := basePoller{service: svc, namespace: "default", taskQueue: taskQueue, identity: o.Identity}
	ap := &activityTaskPoller{basePoller: base, activities: map[string]ActivityFunc{},
		invoker: &temporalInvoker{closeCh: make(chan struct{})}}
	wp := &workflowTaskPoller{basePoller: base, workflows: map[string]WorkflowFunc{}}
	stop := make(chan struct{})
	return &AggregatedWorker{
		activityPoller: ap,
		workflowPoller: wp,
		activityWorker: &baseWorker{poller: ap, pollers: o.MaxConcurrentActivityTaskPollers, eager: true,
			taskQueue: make(chan *task), eagerTasks: make(chan *task), stop: stop},
		workflowWorker: &baseWorker{poller: wp, pollers: o.MaxConcurrentWorkflowTaskPollers,
			taskQueue: make(chan *task), stop: stop},
	}
}

// RegisterActivity registers fn under name.
func (aw *AggregatedWorker) RegisterActivity(name string, fn ActivityFunc) {
	aw.activityPoller.activities[name] = fn
}

// RegisterWorkflow registers fn under name.
func (aw *AggregatedWorker) RegisterWorkflow(name string, fn WorkflowFunc) {
	aw.workflowPoller.workflows[name] = fn
}

// Start starts the pollers and dispatchers.
func (aw *AggregatedWorker) Start() error {
	aw.activityWorker.Start()
	aw.workflowWorker.Start()
	return nil
}

// DeliverActivityTasks runs n tasks of activity name as if the pollers had
// received them, with one heartbeat goroutine.
func (aw *AggregatedWorker) DeliverActivityTasks(name string, n int) {
	p := aw.activityPoller
	for i := 0; i < n; i++ {
		go p.ProcessTask(&task{name: name, token: []byte{byte(i)}})
	}
	go p.invoker.Heartbeat(context.Background(), nil)
}

// DeliverWorkflowTasks starts n executions of workflow name, each on its
// own coroutine.
func (aw *AggregatedWorker) DeliverWorkflowTasks(name string, n int) {
	fn := aw.workflowPoller.workflows[name]
	for i := 0; i < n; i++ {
		go fn(newCoroutineState(name))
	}
}
