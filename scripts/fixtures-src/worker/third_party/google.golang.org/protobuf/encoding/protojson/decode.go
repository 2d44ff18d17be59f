// Package protojson is a stand-in for google.golang.org/protobuf/encoding/protojson:
// Unmarshal scans a JSON object byte by byte, looks each field name up by
// hash in the message's field table, validates strings and parses numbers.
package protojson

import (
	"errors"
	"hash/fnv"
	"strconv"
	"unicode/utf8"
)

// Message is what Unmarshal fills in (proto.Message in the real library).
type Message interface {
	// Fields lists the message's JSON field names.
	Fields() []string
	// Set stores a field's value: a string, float64 or bool.
	Set(field int, value interface{})
}

// UnmarshalOptions configures Unmarshal.
type UnmarshalOptions struct {
	DiscardUnknown bool
}

var errSyntax = errors.New("protojson: syntax error")

// Unmarshal reads the JSON object in b into m.
//
//go:noinline
func Unmarshal(b []byte, m Message) error {
	return UnmarshalOptions{}.unmarshal(b, m)
}

//go:noinline
func (o UnmarshalOptions) unmarshal(b []byte, m Message) error {
	d := decoder{buf: b, opts: o}
	d.index(m.Fields())
	return d.unmarshalMessage(m)
}

type decoder struct {
	buf    []byte
	pos    int
	opts   UnmarshalOptions
	byHash map[uint64]int
}

func (d *decoder) index(fields []string) {
	d.byHash = make(map[uint64]int, len(fields))
	for i, f := range fields {
		d.byHash[hashName([]byte(f))] = i
	}
}

func hashName(b []byte) uint64 {
	h := fnv.New64a()
	h.Write(b)
	return h.Sum64()
}

func (d *decoder) skipSpace() {
	for d.pos < len(d.buf) {
		switch d.buf[d.pos] {
		case ' ', '\t', '\n', '\r':
			d.pos++
		default:
			return
		}
	}
}

//go:noinline
func (d *decoder) readString() ([]byte, error) {
	if d.pos >= len(d.buf) || d.buf[d.pos] != '"' {
		return nil, errSyntax
	}
	start := d.pos + 1
	for i := start; i < len(d.buf); i++ {
		switch d.buf[i] {
		case '\\':
			i++
		case '"':
			d.pos = i + 1
			s := d.buf[start:i]
			if !utf8.Valid(s) {
				return nil, errSyntax
			}
			return s, nil
		}
	}
	return nil, errSyntax
}

//go:noinline
func (d *decoder) unmarshalMessage(m Message) error {
	d.skipSpace()
	if d.pos >= len(d.buf) || d.buf[d.pos] != '{' {
		return errSyntax
	}
	d.pos++
	for {
		d.skipSpace()
		if d.pos < len(d.buf) && d.buf[d.pos] == '}' {
			d.pos++
			return nil
		}
		name, err := d.readString()
		if err != nil {
			return err
		}
		field, known := d.byHash[hashName(name)]
		d.skipSpace()
		if d.pos >= len(d.buf) || d.buf[d.pos] != ':' {
			return errSyntax
		}
		d.pos++
		d.skipSpace()
		v, err := d.readValue()
		if err != nil {
			return err
		}
		if known {
			m.Set(field, v)
		} else if !d.opts.DiscardUnknown {
			return errors.New("protojson: unknown field " + strconv.Quote(string(name)))
		}
		d.skipSpace()
		if d.pos < len(d.buf) && d.buf[d.pos] == ',' {
			d.pos++
		}
	}
}

func (d *decoder) readValue() (interface{}, error) {
	if d.pos >= len(d.buf) {
		return nil, errSyntax
	}
	switch c := d.buf[d.pos]; {
	case c == '"':
		s, err := d.readString()
		return string(s), err
	case c == 't' || c == 'f':
		v := c == 't'
		for d.pos < len(d.buf) && d.buf[d.pos] >= 'a' && d.buf[d.pos] <= 'z' {
			d.pos++
		}
		return v, nil
	case c == '[':
		// Arrays of scalars: parse each element, keep the count.
		d.pos++
		n := 0
		for d.pos < len(d.buf) && d.buf[d.pos] != ']' {
			d.skipSpace()
			if _, err := d.readValue(); err != nil {
				return nil, err
			}
			n++
			d.skipSpace()
			if d.pos < len(d.buf) && d.buf[d.pos] == ',' {
				d.pos++
			}
		}
		d.pos++
		return float64(n), nil
	default:
		start := d.pos
		for d.pos < len(d.buf) && (d.buf[d.pos] == '-' || d.buf[d.pos] == '.' ||
			d.buf[d.pos] == 'e' || (d.buf[d.pos] >= '0' && d.buf[d.pos] <= '9')) {
			d.pos++
		}
		return strconv.ParseFloat(string(d.buf[start:d.pos]), 64)
	}
}
