#!/usr/bin/env bash
# Scaling figures for the lent 16-core machine, which has no .NET SDK: it runs a self-contained publish of the CLI.
# Here:   dotnet publish engine/Streams.Cli -c Release -r linux-x64 --self-contained -o /tmp/pub
#         mkdir -p .devcarry && tar -C /tmp -cJf .devcarry/streams-linux-x64.tar.xz pub   (.devcarry is git-ignored)
# There:  bash perf/device-scaling.sh OUT_DIR      (carry .devcarry)
# Prints coordinator + N workers vs one process (perf/distributed-scaling.sh) and in-process thread scaling
# (streams bench, 1..16 threads), and writes the rows and an SVG plot to OUT_DIR.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-/tmp/device-scaling}
mkdir -p "$out" /tmp/streams-pub
tar -C /tmp/streams-pub -xJf .devcarry/streams-linux-x64.tar.xz
export STREAMS=/tmp/streams-pub/pub/streams DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=${DOTNET_SYSTEM_GLOBALIZATION_INVARIANT:-1}
"$STREAMS" --version
echo "== coordinator + N worker processes vs one process (cpu-burn 500 us/event, 1 thread per process)"
bash perf/distributed-scaling.sh "${WORKER_COUNTS:-2 4 8 14}" "${SECONDS_PER_RUN:-12}" | tee "$out/distributed.txt"
echo "== one process, 1..16 worker threads (cpu-burn 200 us/event)"
"$STREAMS" bench --work-us 200 --max-threads "${MAX_THREADS:-16}" --seconds 2 --repeats 2 \
  --output "$out/threads.txt" --plot "$out/threads.svg" | tee "$out/threads-log.txt"
