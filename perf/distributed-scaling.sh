#!/usr/bin/env bash
# One process running a CPU-bound stage (500 us/event, 1 thread) against a coordinator with N worker processes running
# the same stage (1 thread each), in the same run. Prints events/s of each and the ratio, per worker count.
#   bash perf/distributed-scaling.sh [WORKER_COUNTS] [SECONDS]     e.g.  bash perf/distributed-scaling.sh "2 4 8" 15
# STREAMS=/path/to/streams uses a published binary (as on the lent 16-core machine, which has no SDK) instead of
# building with dotnet. Needs python3 (to read the summary JSON).
set -euo pipefail
cd "$(dirname "$0")/.."
counts=${1:-2}
seconds=${2:-20}
if [[ -z "${STREAMS:-}" ]]; then
  dotnet build engine/Streams.Cli -c Release -v q -nologo >/dev/null
  STREAMS="dotnet engine/Streams.Cli/bin/Release/net10.0/streams.dll"
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
field() { python3 -c "import json,sys; s=json.load(open(sys.argv[1])); print($2)" "$1"; }
$STREAMS run perf/pipelines/burn-local.yaml --duration "$seconds" --progress none --summary-json "$out/local.json" >"$out/local.log" 2>&1
local_rate=$(field "$out/local.json" "s['events']['processed'] / s['durationSeconds']")
printf "%-28s %10s %8s   %s\n" "run ($(nproc) cores)" "events/s" "ratio" "work split (events per worker)"
printf "%-28s %10.0f %8s\n" "1 process, 1 thread" "$local_rate" "1.00x"
for workers in $counts; do
  port=$((20000 + RANDOM % 20000))
  $STREAMS run perf/pipelines/burn-distributed.yaml --listen "tcp://127.0.0.1:$port" --duration "$seconds" \
    --progress none --summary-json "$out/dist-$workers.json" > "$out/coordinator-$workers.log" 2>&1 &
  coord=$!
  pids=()
  for ((i = 0; i < workers; i++)); do $STREAMS worker --join "tcp://127.0.0.1:$port" --name "w$i" --quiet & pids+=($!); done
  wait $coord || { cat "$out/coordinator-$workers.log" >&2; exit 1; }
  wait "${pids[@]}" || true
  rate=$(field "$out/dist-$workers.json" "s['events']['processed'] / s['durationSeconds']")
  split=$(field "$out/dist-$workers.json" "' '.join(str(w['events']) for w in s['workers']['workers'])")
  printf "%-28s %10.0f %7.2fx   %s\n" "coordinator + $workers workers" "$rate" \
    "$(python3 -c "print($rate / $local_rate)")" "$split"
done
