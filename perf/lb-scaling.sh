#!/usr/bin/env bash
# Aggregate reconstruction throughput of N node pipelines behind the software load balancer (`streams lb`).
#   perf/lb-scaling.sh [SECONDS] [MAX_NODES] [OUT_DIR]
#   env: RUNS=3, WARMUP=4 (s before the window), DAQ_RATE (events/s; default unpaced), LB_PORT_BASE=27400, STREAMS=binary
# For N = 1, 2, 4, ... up to MAX_NODES (default 2; use 8 on a 16-core machine): a fresh `streams lb`, N node pipelines
# (deploy/pipelines/clas12-node.yaml, each in its own working directory under $TMPDIR, registered
# with --lb), and the DAQ perf/pipelines/lb-daq-fast.yaml (clas12-sim unpaced -> ejfat-sender through the LB), which
# must send faster than the nodes reconstruct (a saturation test). Throughput = events each node's sinks completed in a
# fixed window of SECONDS after WARMUP (Prometheus counter streams_stage_events_out_total of the 'events' sink, read
# before and after), summed over nodes; ratio = aggregate / (N x the median one-node figure); the per-node split shows
# how evenly the LB's calendar spread the work. Events the nodes could not take are lost at their receiver (queueFull):
# expected here, reported by reason, not a failure. On a small machine the DAQ simulation, the LB and the nodes share
# the cores: the core count is printed, and the DAQ's own rate tells whether it was the limit.
set -euo pipefail
shopt -s inherit_errexit
cd "$(dirname "$0")/.."
root=$PWD
secs=${1:-10}
max_nodes=${2:-2}
out=${3:-perf/results/$( (( $(nproc) >= 16 )) && echo 16-core || echo 2-core)}
runs=${RUNS:-3}
warmup=${WARMUP:-4}
base=${LB_PORT_BASE:-27400}
mkdir -p "$out"; out=$(cd "$out" && pwd)
raw="$out/lb-scaling-raw"; mkdir -p "$raw"
work=$(mktemp -d "${TMPDIR:-/tmp}/lb-scaling.XXXXXX")   # the nodes' working directories (Arrow files, plots): removed at the end
command -v jq >/dev/null || { echo "installing jq"; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq jq >/dev/null; }
command -v curl >/dev/null || { echo "installing curl"; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq curl >/dev/null; }
if [[ -z "${STREAMS:-}" ]]; then
  dotnet build engine/Streams.Cli -c Release -nologo -v quiet >/dev/null
  STREAMS="$root/engine/Streams.Cli/bin/Release/net10.0/streams"
fi
streams=$STREAMS
daq_yaml="$root/perf/pipelines/lb-daq-fast.yaml"
if [[ -n "${DAQ_RATE:-}" ]]; then
  daq_yaml="$raw/lb-daq-$DAQ_RATE.yaml"
  sed "s/rate: 0}/rate: $DAQ_RATE}/" "$root/perf/pipelines/lb-daq-fast.yaml" >"$daq_yaml"
fi
control=$base; data=$((base + 10)); sync=$((base + 20)); metrics0=$((base + 50))   # node k: metrics at metrics0 + k
tcp_free() { ! ss -Hltn "sport = :$1" | grep -q .; }
udp_free() { ! ss -Hlnu "sport = :$1" | grep -q .; }
for p in $control $(seq $metrics0 $((metrics0 + max_nodes))); do tcp_free "$p" || { echo "TCP port $p is taken (move all ports with LB_PORT_BASE=...)"; exit 1; }; done
for p in $data $sync; do udp_free "$p" || { echo "UDP port $p is taken (move all ports with LB_PORT_BASE=...)"; exit 1; }; done

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap 'cleanup; rm -rf "$work"' EXIT
trap 'exit 130' INT TERM

sink_count() { # metrics port -> events out of the 'events' sink so far
  curl -sf "http://127.0.0.1:$1/metrics" | awk '/^streams_stage_events_out_total\{.*stage="events"/ {print $2; f=1} END {if (!f) print "nan"}'
}

scale_run() { # N, tag -> "aggregate_ev_s per-node-ev_s,... notes"
  trap cleanup EXIT   # a command substitution: its own children
  local n=$1 tag=$2 d="$raw/n$1-$2" k
  rm -rf "$d"; mkdir -p "$d"
  "$streams" lb --control 127.0.0.1:$control --data 127.0.0.1:$data --sync 127.0.0.1:$sync --admin-token perf-admin \
    --reserve perf --uri-file "$d/lb.uri" --metrics-listen off --status-interval 1 >"$d/lb.out" 2>"$d/lb.log" & local lb=$!; pids+=($lb)
  for _ in $(seq 150); do [[ -s "$d/lb.uri" ]] && break; kill -0 $lb 2>/dev/null || break; sleep 0.1; done
  [[ -s "$d/lb.uri" ]] || { echo "streams lb did not start:" >&2; cat "$d/lb.log" >&2; exit 1; }
  local uri; uri=$(cat "$d/lb.uri")
  local nodes=()
  for k in $(seq 1 "$n"); do
    mkdir -p "$work/n$n-$tag/node$k"
    (cd "$work/n$n-$tag/node$k" && exec "$streams" run "$root/deploy/pipelines/clas12-node.yaml" --lb "$uri" --progress none \
      --metrics-listen 127.0.0.1:$((metrics0 + k)) --summary-json "$d/node$k.json" >"$d/node$k.out" 2>"$d/node$k.log") & nodes+=($!); pids+=($!)
  done
  local ok=0
  for _ in $(seq 150); do
    ok=$("$streams" lb status --control 127.0.0.1:$control --token perf-admin --json 2>/dev/null | jq '[.[].status.workers[] | select(.slotsAssigned > 0)] | length' 2>/dev/null || echo 0)
    (( ok >= n )) && break; sleep 0.2
  done
  (( ok >= n )) || { echo "only $ok of $n nodes registered with the LB within 30 s" >&2; tail -3 "$d"/node*.log >&2; exit 1; }
  "$streams" run "$daq_yaml" --lb "$uri" -n 1000000000 --duration $((warmup + secs + 1)) --progress none --metrics-listen off \
    --summary-json "$d/daq.json" >"$d/daq.out" 2>"$d/daq.log" & local daq=$!; pids+=($daq)
  sleep "$warmup"
  local c0=() c1=()
  for k in $(seq 1 "$n"); do c0+=("$(sink_count $((metrics0 + k)))"); done
  local t0; t0=$(date +%s.%N)
  sleep "$secs"
  for k in $(seq 1 "$n"); do c1+=("$(sink_count $((metrics0 + k)))"); done
  local t1; t1=$(date +%s.%N)
  "$streams" lb status --control 127.0.0.1:$control --token perf-admin --json >"$d/lb-status.json" 2>/dev/null || true
  wait $daq || { echo "the DAQ failed:" >&2; tail -5 "$d/daq.log" >&2; exit 1; }
  sleep 1.5
  for k in $(seq 1 "$n"); do kill -TERM "${nodes[$((k - 1))]}"; done
  local failed=""   # a node that exits non-zero on SIGTERM is reported (with its error), not fatal: its summary still counts
  for k in $(seq 1 "$n"); do
    wait "${nodes[$((k - 1))]}" || { failed+="node$k(rc $?: $(grep -m1 -o 'error: .*' "$d/node$k.log" | cut -c1-120)) "; echo "warning: node $k exited non-zero, see $d/node$k.log" >&2; }
    [[ -s "$d/node$k.json" ]] || { echo "node $k wrote no summary:" >&2; tail -5 "$d/node$k.log" >&2; exit 1; }
  done
  kill -TERM $lb; wait $lb || true
  local window per="" total=0 rate
  window=$(echo "$t1 - $t0" | bc -l)
  for k in $(seq 1 "$n"); do
    rate=$(echo "(${c1[$((k - 1))]} - ${c0[$((k - 1))]}) / $window" | bc -l)
    per+="$(printf '%.0f' "$rate"),"; total=$(echo "$total + $rate" | bc -l)
  done
  # losses by reason over the whole run (all nodes), the DAQ's rate, the LB's drops and slots at the window's end
  local lost lbl slots daq_rate
  lost=$(jq -s '[.[].ejfat.eventsLost] | reduce .[] as $l ({}; reduce ($l | to_entries[]) as $e (.; .[$e.key] += $e.value)) | to_entries | map("\(.key):\(.value)") | join(",")' -r "$d"/node*.json)
  lbl=$(grep "^lb 1 " "$d/lb.log" | tail -1 | sed 's/.*received/received/')
  slots=$(jq -r '[.[].status.workers[] | "\(.slotsAssigned)"] | join("/")' "$d/lb-status.json" 2>/dev/null || echo '?')
  daq_rate=$(jq -r --argjson s $((warmup + secs + 1)) '.events.processed / $s | floor' "$d/daq.json")
  printf '%s %s daq_sent=%s (%s ev/s) nodes_completed=%s lost(nodes)=%s slots=%s lb:%s%s\n' "$total" "${per%,}" \
    "$(jq -r .events.processed "$d/daq.json")" "$daq_rate" "$(jq -s '[.[].ejfat.eventsCompleted] | add' "$d"/node*.json)" "$lost" "$slots" "$lbl" "${failed:+ FAILED ON SIGTERM: $failed}"
}

median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
spread() { sort -g | awk 'NR==1 {lo=$1} {hi=$1} END {printf "%.0f-%.0f", lo, hi}'; }
summary="$out/lb-scaling.txt"
{
  echo "# perf/lb-scaling.sh $secs s window after ${warmup} s warm-up x $runs runs, up to $max_nodes nodes, $(date -u +%FT%TZ), $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
  echo "# machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')); the DAQ simulation, the LB and every node share them"
  echo "# DAQ: $(basename "$daq_yaml") (rate ${DAQ_RATE:-0 = unpaced}); nodes: deploy/pipelines/clas12-node.yaml; losses at the nodes (queueFull) are expected: saturation"
} | tee "$summary"
one=""
n=1
while (( n <= max_nodes )); do
  aggs=(); notes=""; splits=""
  for r in $(seq 1 "$runs"); do
    st=$(scale_run "$n" "r$r")
    aggs+=("${st%% *}"); rest=${st#* }; splits+="${rest%% *} "; notes=${rest#* }
  done
  agg=$(printf '%s\n' "${aggs[@]}" | median)
  [[ -z $one ]] && one=$agg
  printf '%d node(s): aggregate median %.0f events/s (%s), ratio to %d x one node %.2f, per node ev/s by run: %s  [last: %s]\n' \
    "$n" "$agg" "$(printf '%s\n' "${aggs[@]}" | spread)" "$n" "$(echo "$agg / ($n * $one)" | bc -l)" "${splits% }" "$notes" | tee -a "$summary"
  if (( n < max_nodes && n * 2 > max_nodes )); then n=$max_nodes; else n=$((n * 2)); fi
done
echo "raw: $raw (per run: lb.log status lines, lb-status.json, daq.json, nodeK.json summaries and logs)" | tee -a "$summary"
