module modernc.org/libc

go 1.19
