module go.temporal.io/sdk

go 1.19

require google.golang.org/grpc v1.60.0

// Only for building this module on its own; the worker's go.mod has its own.
replace google.golang.org/grpc => ../../google.golang.org/grpc
