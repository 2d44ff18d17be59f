module example.com/worker

go 1.19

require (
	github.com/klauspost/compress v1.17.0
	go.temporal.io/sdk v1.25.0
	go.uber.org/zap v1.26.0
	google.golang.org/grpc v1.60.0
	google.golang.org/protobuf v1.31.0
	modernc.org/libc v1.22.0
)

// Tiny local stand-ins with the real import paths, so that the profiles'
// function names look like the real libraries' (and the build stays offline).
replace (
	github.com/klauspost/compress => ./third_party/github.com/klauspost/compress
	go.temporal.io/sdk => ./third_party/go.temporal.io/sdk
	go.uber.org/zap => ./third_party/go.uber.org/zap
	google.golang.org/grpc => ./third_party/google.golang.org/grpc
	google.golang.org/protobuf => ./third_party/google.golang.org/protobuf
	modernc.org/libc => ./third_party/modernc.org/libc
)
