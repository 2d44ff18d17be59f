package grpc

import (
	"context"
	"sync"
)

// MethodHandler handles the request of one stream, returning the response.
type MethodHandler func(ctx context.Context, req []byte) ([]byte, error)

// Stream is one in-process RPC: method, request and (once handled) reply.
type Stream struct {
	Method  string
	Payload []byte
	Reply   []byte
	Err     error
}

// ServerConn is an in-process connection carrying streams. With Async set
// every stream is handled on its own goroutine, as the real server does.
type ServerConn struct {
	Streams []*Stream
	Async   bool
}

// Listener hands connections to Serve.
type Listener struct {
	conns chan *ServerConn
}

// NewListener returns an in-process listener.
func NewListener() *Listener { return &Listener{conns: make(chan *ServerConn)} }

// Server dispatches streams to the registered method handlers.
type Server struct {
	mu       sync.Mutex
	handlers map[string]MethodHandler
	served   int
}

// NewServer returns a server with no methods.
func NewServer() *Server { return &Server{handlers: make(map[string]MethodHandler)} }

// RegisterMethod registers h for the full method name ("/pkg.Service/Method").
func (s *Server) RegisterMethod(fullMethod string, h MethodHandler) {
	s.mu.Lock()
	s.handlers[fullMethod] = h
	s.mu.Unlock()
}

// Serve accepts connections from lis: it parks in a channel receive until
// the next one arrives.
//
//go:noinline
func (s *Server) Serve(lis *Listener) error {
	for conn := range lis.conns {
		s.ServeConn(context.Background(), conn)
	}
	return nil
}

// ServeConn handles every stream of conn.
func (s *Server) ServeConn(ctx context.Context, conn *ServerConn) {
	s.serveStreams(ctx, conn)
}

//go:noinline
func (s *Server) serveStreams(ctx context.Context, conn *ServerConn) {
	for _, st := range conn.Streams {
		if conn.Async {
			go s.handleStream(ctx, st)
		} else {
			s.handleStream(ctx, st)
		}
	}
}

// handleStream runs the handler of the stream's method.
//
//go:noinline
func (s *Server) handleStream(ctx context.Context, st *Stream) {
	h := s.handlers[st.Method]
	if h == nil {
		st.Err = context.Canceled
		return
	}
	st.Reply, st.Err = h(ctx, st.Payload)
	s.served++
}
