# Benchmark targets (test/bench); included from the Makefile. Each target regenerates
# its own section of docs/results.md. Runs are serialised with flock, so `make -j`
# cannot make two benchmarks compete for the CPU.
#
#   make bench-accuracy   accuracy corpus: vigil vs FFmpeg's filters (recall, precision, start error)
#   make bench-cpu        CPU time: vigil scan vs ffmpeg decode-only vs ffmpeg's filters; per-detector cost; profile
#   make bench-streams    live 720p30 streams one agent sustains (from vigil source; from paced files);
#                         RSS per stream; allocations per frame
#   make bench-clean      remove the cached clips
#
# Flags: BENCH_ACCURACY_FLAGS=-big (the big corpus), BENCH_CPU_FLAGS='-runs 9',
# BENCH_STREAMS_FLAGS=-long (longer steps). `bin/vigilbench <cmd> -h` lists all flags.

BENCH_CACHE          ?= .cache/bench
BENCH_ACCURACY_FLAGS ?=
BENCH_CPU_FLAGS      ?=
BENCH_STREAMS_FLAGS  ?=
VIGILBENCH           := bin/vigilbench
BENCH_LOCK            = mkdir -p $(BENCH_CACHE) && flock $(BENCH_CACHE)/.lock

.PHONY: bench-tool bench-accuracy bench-cpu bench-streams bench-clean

## bench-tool: compile bin/vigilbench
bench-tool:
	$(GO) build -o $(VIGILBENCH) ./test/bench/cmd/vigilbench

## bench-accuracy: score vigil and FFmpeg's filters on the accuracy corpus
bench-accuracy: build bench-tool
	$(BENCH_LOCK) $(VIGILBENCH) accuracy $(BENCH_ACCURACY_FLAGS)

## bench-cpu: CPU time of vigil vs ffmpeg on the same clips
bench-cpu: build bench-tool
	$(BENCH_LOCK) $(VIGILBENCH) cpu $(BENCH_CPU_FLAGS)

## bench-streams: live streams per node (from vigil source, then from files paced in
## real time, without an encoder on the machine), RSS per stream, allocations per frame
bench-streams: build bench-tool
	$(BENCH_LOCK) $(VIGILBENCH) streams $(BENCH_STREAMS_FLAGS)
	$(BENCH_LOCK) $(VIGILBENCH) streams -input file -allocs=false $(BENCH_STREAMS_FLAGS)

## bench-clean: remove the benchmarks' cached clips and results
bench-clean:
	rm -rf $(BENCH_CACHE)
