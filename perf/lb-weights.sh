#!/usr/bin/env bash
# "Weights follow fill": do the software load balancer's slots follow the nodes' speeds?
#   perf/lb-weights.sh [SECONDS] [OUT_DIR]
#   env: WORK_FAST_US=250, WORK_SLOW_US=500 (cpu-burn work per event), BURN_MODE=cpu (or wait: a service time that does
#        not depend on how busy the CPU is, fairer on a small shared machine), RATE (events/s; default half the total
#        capacity 1e6/WORK_FAST_US + 1e6/WORK_SLOW_US), EVENT_SIZE=1000, LB_PORT_BASE=27500, STREAMS=binary
# Two node pipelines behind `streams lb`: "fast" (perf/pipelines/lb-weights-node.yaml) and "slow"
# (perf/pipelines/lb-weights-slow.yaml): ejfat-receiver (kp 400, signal-limit 200, as clas12-node.yaml) -> a queue of
# 16 -> cpu-burn with one worker (controller off) -> count. `streams send --lb` sends small events at RATE for
# SECONDS. The LB's member table (slots, fill, control signal) is read every second from its status lines (the same
# figures as `streams lb status --json`, without starting a process per second on a small machine) into a CSV; at the
# end: each node's slots (last and mean over the last third), the slot ratio slow/fast against the speed ratio
# WORK_FAST_US/WORK_SLOW_US, the second from which the slot ratio stayed within 25% of it (or "did not converge"),
# each node's processed events and its receiver's losses (queueFull: its queue overflowed). An experiment: read the
# CSV, not only the summary line. At half the total capacity an even split already fits the slow node (it runs at
# 75% of its speed), so the fills stay low and the slots need not move: try RATE at 75-90% of the total to see them
# follow the speeds (the slow node's queue then fills first).
set -euo pipefail
shopt -s inherit_errexit
cd "$(dirname "$0")/.."
root=$PWD
secs=${1:-30}
out=${2:-perf/results/2-core}
wf=${WORK_FAST_US:-250}; ws=${WORK_SLOW_US:-500}; mode=${BURN_MODE:-cpu}
rate=${RATE:-$(echo "(1000000 / $wf + 1000000 / $ws) / 2" | bc)}
ev=${EVENT_SIZE:-1000}
base=${LB_PORT_BASE:-27500}
mkdir -p "$out"; out=$(cd "$out" && pwd)
raw="$out/lb-weights-raw"; rm -rf "$raw"; mkdir -p "$raw"
work=$(mktemp -d "${TMPDIR:-/tmp}/lb-weights.XXXXXX")
command -v jq >/dev/null || { echo "installing jq"; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq jq >/dev/null; }
if [[ -z "${STREAMS:-}" ]]; then
  dotnet build engine/Streams.Cli -c Release -nologo -v quiet >/dev/null
  STREAMS="$root/engine/Streams.Cli/bin/Release/net10.0/streams"
fi
streams=$STREAMS
control=$base; data=$((base + 10)); sync=$((base + 20))
tcp_free() { ! ss -Hltn "sport = :$1" | grep -q .; }
udp_free() { ! ss -Hlnu "sport = :$1" | grep -q .; }
tcp_free $control || { echo "TCP port $control is taken (move all ports with LB_PORT_BASE=...)"; exit 1; }
for p in $data $sync; do udp_free "$p" || { echo "UDP port $p is taken (move all ports with LB_PORT_BASE=...)"; exit 1; }; done

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

# the node pipelines, with this run's work and mode
sed -e "s/work-us: [0-9.]*/work-us: $wf/" -e "s/mode: cpu/mode: $mode/" perf/pipelines/lb-weights-node.yaml >"$raw/fast.yaml"
sed -e "s/work-us: [0-9.]*/work-us: $ws/" -e "s/mode: cpu/mode: $mode/" perf/pipelines/lb-weights-slow.yaml >"$raw/slow.yaml"

"$streams" lb --control 127.0.0.1:$control --data 127.0.0.1:$data --sync 127.0.0.1:$sync --admin-token perf-admin \
  --reserve perf --uri-file "$raw/lb.uri" --metrics-listen off --status-interval 1 >"$raw/lb.out" 2>"$raw/lb.log" & lb=$!; pids+=($lb)
for _ in $(seq 150); do [[ -s "$raw/lb.uri" ]] && break; kill -0 $lb 2>/dev/null || break; sleep 0.1; done
[[ -s "$raw/lb.uri" ]] || { echo "streams lb did not start:"; cat "$raw/lb.log"; exit 1; }
uri=$(cat "$raw/lb.uri")
declare -A node
for n in fast slow; do
  mkdir -p "$work/$n"
  (cd "$work/$n" && exec "$streams" run "$raw/$n.yaml" --lb "$uri" --control off --progress none --metrics-listen off \
    --summary-json "$raw/$n.json" >"$raw/$n.out" 2>"$raw/$n.log") & node[$n]=$!; pids+=($!)
done
ok=0
for _ in $(seq 150); do
  ok=$("$streams" lb status --control 127.0.0.1:$control --token perf-admin --json 2>/dev/null | jq '[.[].status.workers[] | select(.slotsAssigned > 0)] | length' 2>/dev/null || echo 0)
  (( ok >= 2 )) && break; sleep 0.2
done
(( ok >= 2 )) || { echo "only $ok of 2 nodes registered with the LB within 30 s"; tail -3 "$raw"/fast.log "$raw"/slow.log; exit 1; }
start_line=$(wc -l <"$raw/lb.log")   # status lines from here on belong to the run
"$streams" send --lb "$uri" --rate "$rate" --event-size "$ev" --count 0 --duration "$secs" >"$raw/send.txt" 2>"$raw/send.log" || { echo "streams send failed:"; tail -5 "$raw/send.log"; exit 1; }
"$streams" lb status --control 127.0.0.1:$control --token perf-admin --json >"$raw/lb-status-end.json" 2>/dev/null || true
sleep 1.5
failed=""
for n in fast slow; do kill -TERM "${node[$n]}"; done
for n in fast slow; do wait "${node[$n]}" || failed+="$n(rc $?: $(grep -m1 -o 'error: .*' "$raw/$n.log" | cut -c1-120)) "; done
kill -TERM $lb; wait $lb || true

# one row per status block (about one a second): t, epoch, slots/fill/signal of fast and slow
tail -n +"$((start_line + 1))" "$raw/lb.log" | awk '
  /^lb [0-9]+ / { if (have) print row(); t++; have = 1; epoch = $5; sub(",", "", epoch); delete s; delete f; delete g; next }
  /^  / { name = $1; for (i = 2; i <= NF; i++) { if ($i == "slots") s[name] = $(i+1); if ($i == "fill") f[name] = $(i+1); if ($i == "signal") g[name] = $(i+1) } }
  function row() { return sprintf("%d,%s,%s,%s,%s,%s,%s,%s", t, epoch, s["fast"], f["fast"], g["fast"], s["slow"], f["slow"], g["slow"]) }
  END { if (have) print row() }' | { echo "t_s,epoch,fast_slots,fast_fill,fast_signal,slow_slots,slow_fill,slow_signal"; cat; } >"$out/lb-weights.csv"

speed=$(echo "$wf / $ws" | bc -l)
summary="$out/lb-weights.txt"
{
  echo "# perf/lb-weights.sh $secs s, $(date -u +%FT%TZ), $(nproc) cores, $(git rev-parse --short HEAD 2>/dev/null || echo '?'); cpu-burn mode $mode: fast $wf us/event, slow $ws us/event; sender $rate events/s of $ev B"
  awk -F, -v speed="$speed" 'NR > 1 && $3 != "" && $6 != "" { n++; t[n] = $1; fs[n] = $3; ss[n] = $6; ff[n] = $4; sf[n] = $7 }
    END {
      if (n == 0) { print "no status rows with both members"; exit }
      from = int(n * 2 / 3) + 1; a = b = 0
      for (i = from; i <= n; i++) { a += fs[i]; b += ss[i] }
      a /= (n - from + 1); b /= (n - from + 1)
      conv = "did not converge (within 25% of the speed ratio to the end)"
      for (i = n; i >= 1; i--) { r = (fs[i] > 0) ? ss[i] / fs[i] : 1e9; if (r < speed * 0.75 || r > speed * 1.25) break }
      if (i < n) conv = sprintf("within 25%% of the speed ratio from t=%ds to the end (%d s of %d)", t[i + 1], t[n] - t[i + 1] + 1, t[n])
      printf "slots: fast %d, slow %d at the end (fill %.2f / %.2f); mean over the last third fast %.0f, slow %.0f; slot ratio slow/fast %.2f (last third) against the speed ratio %.2f; %s\n", fs[n], ss[n], ff[n], sf[n], a, b, (a > 0 ? b / a : 0), speed, conv
    }' "$out/lb-weights.csv"
  for n in fast slow; do
    jq -r --arg n "$n" '"node \($n): received \(.ejfat.eventsCompleted), processed \(.events.processed) in \(.durationSeconds // "?") s; receiver lost \(.ejfat.eventsLost | to_entries | map("\(.key) \(.value)") | join(", "))\(if .ejfat.eventsLost.queueFull > 0 then " -- ITS QUEUE OVERFLOWED" else "" end)"' "$raw/$n.json"
  done
  echo "sender: $(grep -m1 '^sent' "$raw/send.txt"); lb: $(grep '^lb 1 ' "$raw/lb.log" | tail -1 | sed 's/.*received/received/')"
  [[ -z $failed ]] || echo "FAILED ON SIGTERM: $failed"
  echo "per-second table: $out/lb-weights.csv; raw: $raw (lb.log, lb-status-end.json, fast/slow.json summaries and logs)"
} | tee "$summary"
