#!/usr/bin/env bash
# The EJFAT way on one machine: a software load balancer (`streams lb`), two node pipelines that register with it and
# receive their share of the stream directly, and a steady sender. Node b joins mid-run and leaves mid-run (SIGTERM:
# it deregisters, takes what is still on its way, drains); the books at the end must balance: sent = received by the
# nodes + lost by reason.
#   bash deploy/lb/demo.sh [SECONDS] [MODE]
#   MODE clas12 (default): the DAQ pipeline deploy/pipelines/clas12-daq-lb.yaml (simulated CLAS12 events, 500/s) and
#        node pipelines deploy/pipelines/clas12-node.yaml (decode -> tracking -> calorimeter -> Arrow + validation),
#        each node in its own folder out/lb-demo/NODE/;
#   MODE bytes: `streams send` (synthetic 20 kB events, RATE=5000/s) and `streams receive` nodes.
# Ports: control 18347, data 19600, sync 19610, nodes 19700/19710 unless STREAMS_LB_PORT_BASE moves them all.
set -euo pipefail
cd "$(dirname "$0")/../.."
SECONDS_TOTAL=${1:-12}
MODE=${2:-clas12}
RATE=${RATE:-5000}
OUT=$(realpath -m "${OUT:-out/lb-demo}")
BASE=${STREAMS_LB_PORT_BASE:-0}
CONTROL=$((18347 + BASE)); DATA=$((19600 + BASE)); SYNC=$((19610 + BASE)); PA=$((19700 + BASE)); PB=$((19710 + BASE))
STREAMS=${STREAMS:-}
if [[ -z "$STREAMS" ]]; then
  dotnet build engine/Streams.Cli -c Release -nologo -v quiet >/dev/null
  STREAMS="dotnet $PWD/engine/Streams.Cli/bin/Release/net10.0/streams.dll"
fi
rm -rf "$OUT"; mkdir -p "$OUT"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

source deploy/lb/common.sh
start_lb 127.0.0.1:$CONTROL 127.0.0.1:$DATA 127.0.0.1:$SYNC demo

ROOT=$PWD
node() { # name port: a node pipeline registered with the load balancer, until SIGTERM
  if [[ $MODE == clas12 ]]; then
    mkdir -p "$OUT/$1"; cd "$OUT/$1"
    exec $STREAMS run "$ROOT/deploy/pipelines/clas12-node.yaml" --lb "$URI" --progress none --metrics-listen off --summary-json "$OUT/$1.json" >"$OUT/$1.out" 2>"$OUT/$1.log"
  else
    exec $STREAMS receive --port "$2" --lb "$URI" --name "$1" --duration 3600 --progress none --summary-json "$OUT/$1.json" >"$OUT/$1.out" 2>"$OUT/$1.log"
  fi
}
# Waits (at most 60 s) until a node's log says it registered: a loaded machine starts a node in seconds, not at once.
registered() {
  for _ in $(seq 1 600); do grep -q "registered with load balancer" "$OUT/$1.log" 2>/dev/null && return; kill -0 "$2" 2>/dev/null || break; sleep 0.1; done
  echo "node $1 did not register"; cat "$OUT/$1.log"; exit 1
}
node a $PA & A=$!; pids+=($A)
registered a $A
if [[ $MODE == clas12 ]]; then
  SENT="$OUT/daq.json"
  $STREAMS run deploy/pipelines/clas12-daq-lb.yaml --lb "$URI" -n $((500 * ${SECONDS_TOTAL%.*})) --progress none --metrics-listen off --summary-json "$SENT" >"$OUT/daq.out" 2>"$OUT/daq.log" & S=$!; pids+=($S)
else
  SENT="$OUT/send.out"
  $STREAMS send --lb "$URI" --count 0 --duration "$SECONDS_TOTAL" --rate "$RATE" --event-size 20000 >"$OUT/send.out" 2>"$OUT/send.log" & S=$!; pids+=($S)
fi
sleep "$(echo "$SECONDS_TOTAL / 4" | bc -l)"
echo "node b joins"; node b $PB & B=$!; pids+=($B)
registered b $B
sleep "$(echo "$SECONDS_TOTAL / 2" | bc -l)"
echo "node b leaves (SIGTERM)"; kill -TERM $B; wait $B || { echo "node b failed"; cat "$OUT/b.log"; exit 1; }
wait $S || { echo "the sender failed"; cat "$OUT"/daq.log "$OUT"/send.log 2>/dev/null | tail -5; exit 1; }
sleep 1
$STREAMS lb status --control 127.0.0.1:$CONTROL --token demo-admin | tee "$OUT/status.txt"
kill -TERM $A; wait $A || { echo "node a failed"; cat "$OUT/a.log"; exit 1; }
kill -TERM $LB; wait $LB || { echo "streams lb failed"; tail -5 "$OUT/lb.log"; exit 1; }
python3 deploy/lb/books.py --lb "$OUT/lb.json" "$SENT" "$OUT/a.json" "$OUT/b.json"
