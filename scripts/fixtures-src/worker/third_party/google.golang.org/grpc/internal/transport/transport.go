// Package transport is a stand-in for google.golang.org/grpc/internal/transport:
// an HTTP/2 client transport whose reader, loopy writer and keepalive
// goroutines park the way the real ones do on an idle connection.
package transport

import "time"

// ClientTransport is the client side of a connection.
type ClientTransport interface {
	// Target is the address the transport was created for.
	Target() string
}

type frame struct {
	streamID uint32
	data     []byte
}

type controlBuffer struct {
	ch chan interface{}
}

// loopyWriter writes the frames queued in its control buffer.
type loopyWriter struct {
	cbuf *controlBuffer
	done <-chan struct{}
	sent int
}

// run parks in a select until there is something to write or the
// transport closes.
//
//go:noinline
func (l *loopyWriter) run() error {
	for {
		select {
		case it := <-l.cbuf.ch:
			_ = it
			l.sent++
		case <-l.done:
			return nil
		}
	}
}

type http2Client struct {
	target    string
	frames    chan frame
	done      chan struct{}
	loopy     *loopyWriter
	kpTime    time.Duration
	pings     int
	delivered int
}

// NewClientTransport starts the reader and loopy writer of a connection to
// target, and its keepalive goroutine if keepalive is positive.
func NewClientTransport(target string, keepalive time.Duration) (ClientTransport, error) {
	t := &http2Client{
		target: target,
		frames: make(chan frame),
		done:   make(chan struct{}),
		kpTime: keepalive,
	}
	t.loopy = &loopyWriter{cbuf: &controlBuffer{ch: make(chan interface{})}, done: t.done}
	go t.reader()
	go t.loopy.run()
	if keepalive > 0 {
		go t.keepalive()
	}
	return t, nil
}

// Target implements ClientTransport.
func (t *http2Client) Target() string { return t.target }

// reader parks in a channel receive waiting for the next frame.
//
//go:noinline
func (t *http2Client) reader() {
	for f := range t.frames {
		t.delivered += len(f.data)
	}
}

// keepalive sleeps between pings.
//
//go:noinline
func (t *http2Client) keepalive() {
	for {
		time.Sleep(t.kpTime)
		t.pings++
	}
}
