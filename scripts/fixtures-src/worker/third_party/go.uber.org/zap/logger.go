// Package zap is a stand-in for go.uber.org/zap: a Logger whose Info
// formats the entry and its fields (with fmt, unlike the real zap) into a
// buffer and writes it to its sink.
package zap

import (
	"fmt"
	"io"
	"time"
)

// Field is a key and a value.
type Field struct {
	Key       string
	Integer   int64
	Float     float64
	String    string
	fieldType byte
}

// String is a string-valued field.
func String(key, val string) Field { return Field{Key: key, String: val, fieldType: 's'} }

// Int is an int-valued field.
func Int(key string, val int) Field { return Field{Key: key, Integer: int64(val), fieldType: 'i'} }

// Float64 is a float64-valued field.
func Float64(key string, val float64) Field { return Field{Key: key, Float: val, fieldType: 'f'} }

// Logger writes entries to a sink.
type Logger struct {
	out     io.Writer
	name    string
	buf     []byte
	clock   func() time.Time
	entries int
}

// New returns a logger named name writing to out.
func New(name string, out io.Writer) *Logger {
	return &Logger{out: out, name: name, clock: time.Now}
}

// Info logs msg with fields at info level.
//
//go:noinline
func (log *Logger) Info(msg string, fields ...Field) {
	log.write("info", msg, fields)
}

func (log *Logger) write(level, msg string, fields []Field) {
	buf := log.buf[:0]
	buf = append(buf, fmt.Sprintf("{\"level\":%q,\"ts\":%d,\"logger\":%q,\"msg\":%q",
		level, log.clock().UnixNano(), log.name, msg)...)
	for _, f := range fields {
		switch f.fieldType {
		case 's':
			buf = append(buf, fmt.Sprintf(",%q:%q", f.Key, f.String)...)
		case 'i':
			buf = append(buf, fmt.Sprintf(",%q:%d", f.Key, f.Integer)...)
		default:
			buf = append(buf, fmt.Sprintf(",%q:%g", f.Key, f.Float)...)
		}
	}
	buf = append(buf, "}\n"...)
	log.out.Write(buf)
	log.buf = buf
	log.entries++
}
