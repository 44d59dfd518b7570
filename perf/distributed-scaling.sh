#!/usr/bin/env bash
# One process running a CPU-bound stage (500 us/event, 1 thread) against a coordinator with N worker processes running
# the same stage (1 thread each), in the same run. Prints events/s of each and the ratio.
#   bash perf/distributed-scaling.sh [WORKERS] [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
workers=${1:-2}
seconds=${2:-20}
dotnet build engine/Streams.Cli -c Release -v q -nologo >/dev/null
streams="dotnet engine/Streams.Cli/bin/Release/net10.0/streams.dll"
out=$(mktemp -d)
$streams run perf/pipelines/burn-local.yaml --duration "$seconds" --progress none --summary-json "$out/local.json" >/dev/null
port=$((20000 + RANDOM % 20000))
$streams run perf/pipelines/burn-distributed.yaml --listen "tcp://127.0.0.1:$port" --duration "$seconds" --progress none \
  --summary-json "$out/dist.json" > "$out/coordinator.log" 2>&1 &
coord=$!
for ((i = 0; i < workers; i++)); do $streams worker --join "tcp://127.0.0.1:$port" --name "w$i" --quiet & done
wait $coord
wait
rate() { jq '.events.processed / .durationSeconds' "$1"; }
l=$(rate "$out/local.json"); d=$(rate "$out/dist.json")
printf "1 process: %.0f ev/s   coordinator + %d workers: %.0f ev/s   ratio %.2fx   (%d cores here)\n" "$l" "$workers" "$d" "$(echo "$d / $l" | bc -l)" "$(nproc)"
jq -c '.workers | {joined, died, batchesResent, perWorker: [.workers[] | {name, events}]}' "$out/dist.json"
rm -rf "$out"
