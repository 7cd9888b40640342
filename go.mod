module github.com/vigil-monitor/vigil

// Go 1.26 is what the build machines ship.
go 1.26.8
