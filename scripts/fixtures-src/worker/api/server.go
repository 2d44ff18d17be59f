// Package api is the order service's gRPC API.
package api

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/klauspost/compress/zstd"
	"go.uber.org/zap"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/encoding/protojson"
)

// Item is one line of an order.
type Item struct {
	SKU      string  `json:"sku"`
	Quantity int     `json:"quantity"`
	Price    float64 `json:"price"`
	Discount float64 `json:"discount"`
	TaxRate  float64 `json:"tax_rate"`
}

// Order is what GetOrder returns.
type Order struct {
	ID       string            `json:"id"`
	Customer string            `json:"customer"`
	Status   string            `json:"status"`
	Currency string            `json:"currency"`
	Items    []Item            `json:"items"`
	Labels   map[string]string `json:"labels"`
	Total    float64           `json:"total"`
}

// Totals are an order's computed sums.
type Totals struct {
	Net, Tax, Discount, Gross float64
	Units                     int
}

// Update is a change to a watched order.
type Update struct {
	OrderID string
	Status  string
}

// orderRequest is the GetOrder request message.
type orderRequest struct {
	ID       string
	View     string
	Fields   float64
	Consumer string
	Verbose  bool
}

var requestFields = []string{"id", "view", "field_mask", "consumer", "verbose", "trace_id", "deadline_ms"}

// requestMessage implements protojson.Message for an orderRequest.
type requestMessage struct{ r *orderRequest }

func (m requestMessage) Fields() []string { return requestFields }

func (m requestMessage) Set(field int, v interface{}) {
	switch field {
	case 0:
		m.r.ID, _ = v.(string)
	case 1:
		m.r.View, _ = v.(string)
	case 2:
		m.r.Fields, _ = v.(float64)
	case 3:
		m.r.Consumer, _ = v.(string)
	case 4:
		m.r.Verbose, _ = v.(bool)
	}
}

// Per-request CPU time of GetOrder, split the way this service's real
// profile splits: protojson 35%, encoding/json 20%, logging 10%, totals 25%,
// compression 10%.
var budget = struct{ protojson, json, log, totals, compress time.Duration }{
	700 * time.Microsecond, 400 * time.Microsecond, 200 * time.Microsecond,
	500 * time.Microsecond, 200 * time.Microsecond,
}

// Server implements the OrderService.
type Server struct {
	mu      sync.Mutex
	log     *zap.Logger
	enc     *zstd.Encoder
	orders  map[string]*Order
	updates chan Update
	out     []byte
}

// NewServer returns a server with a few orders.
func NewServer(log *zap.Logger, enc *zstd.Encoder) *Server {
	s := &Server{log: log, enc: enc, orders: map[string]*Order{}, updates: make(chan Update)}
	for i := 0; i < 8; i++ {
		o := &Order{ID: fmt.Sprintf("ord-%04d", i), Customer: fmt.Sprintf("cus-%03d", i*7),
			Status: "PAID", Currency: "EUR", Labels: map[string]string{"channel": "web", "region": "eu-west-1"}}
		for j := 0; j < 24; j++ {
			o.Items = append(o.Items, Item{SKU: fmt.Sprintf("SKU-%05d", i*100+j), Quantity: 1 + j%4,
				Price: 3.5 + float64(j)*1.25, Discount: float64(j%3) * 0.05, TaxRate: 0.2})
		}
		s.orders[o.ID] = o
	}
	return s
}

// Register registers the service's methods on gs.
func (s *Server) Register(gs *grpc.Server) {
	gs.RegisterMethod("/orders.v1.OrderService/GetOrder", s.GetOrder)
	gs.RegisterMethod("/orders.v1.OrderService/ListOrders", s.ListOrders)
}

// BeginMaintenance takes the server's lock (and keeps it: callers of
// GetOrder wait).
func (s *Server) BeginMaintenance() { s.mu.Lock() }

// GetOrder decodes the request, looks the order up, round-trips it through
// JSON, logs, computes its totals and returns it compressed.
//
//go:noinline
func (s *Server) GetOrder(ctx context.Context, req []byte) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var r orderRequest
	for t0 := time.Now(); time.Since(t0) < budget.protojson; {
		if err := protojson.Unmarshal(req, requestMessage{&r}); err != nil {
			return nil, err
		}
	}
	o := s.orders[r.ID]
	if o == nil {
		return nil, fmt.Errorf("order %q not found", r.ID)
	}
	var blob []byte
	for t0 := time.Now(); time.Since(t0) < budget.json; {
		b, err := json.Marshal(o)
		if err != nil {
			return nil, err
		}
		var back Order
		if err := json.Unmarshal(b, &back); err != nil {
			return nil, err
		}
		blob = b
	}
	for t0 := time.Now(); time.Since(t0) < budget.log; {
		s.log.Info("order fetched", zap.String("order_id", o.ID), zap.String("customer", o.Customer),
			zap.Int("items", len(o.Items)), zap.Float64("total", o.Total))
	}
	var t Totals
	for t0 := time.Now(); time.Since(t0) < budget.totals; {
		t = s.computeTotals(o)
	}
	o.Total = t.Gross
	for t0 := time.Now(); time.Since(t0) < budget.compress; {
		s.out = s.enc.EncodeAll(blob, s.out[:0])
	}
	return s.out, nil
}

// ListOrders returns two orders (GetOrder each).
//
//go:noinline
func (s *Server) ListOrders(ctx context.Context, req []byte) ([]byte, error) {
	var page []byte
	for i := 0; i < 2; i++ {
		b, err := s.GetOrder(ctx, req)
		if err != nil {
			return nil, err
		}
		page = append(page, b...)
	}
	return page, nil
}

// computeTotals sums the order's lines with per-line rounding (in cents),
// the way the invoicing rules want it.
//
//go:noinline
func (s *Server) computeTotals(o *Order) Totals {
	var t Totals
	for round := 0; round < 16; round++ {
		t = Totals{}
		for _, it := range o.Items {
			q := float64(it.Quantity)
			net := math.Round(it.Price*q*100) / 100
			disc := math.Round(net*it.Discount*100) / 100
			tax := math.Round((net-disc)*it.TaxRate*100) / 100
			t.Net += net
			t.Discount += disc
			t.Tax += tax
			t.Units += it.Quantity
		}
		t.Gross = math.Round((t.Net-t.Discount+t.Tax)*100) / 100
	}
	return t
}

// WatchOrder streams the order's updates to the client.
func (s *Server) WatchOrder(ctx context.Context, orderID string) {
	s.streamUpdates(orderID)
}

// streamUpdates sends the order's next update from a goroutine. The
// stream's reader is gone and nobody receives: the goroutine leaks.
//
//go:noinline
func (s *Server) streamUpdates(orderID string) {
	u := Update{OrderID: orderID, Status: "SHIPPED"}
	go func() {
		s.updates <- u
	}()
}
