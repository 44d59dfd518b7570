#!/usr/bin/env bash
# EJFAT goodput through the software load balancer (`streams lb`) against iperf3, in the same run on the same machine
# and datagram size, over 127.0.0.1.
#   perf/lb-goodput.sh [SECONDS] [OUT_DIR]      (env: RUNS=3, LOSS_SECONDS=60, LB_PORT_BASE=27300, STREAMS=binary)
# For 8972- and 1472-byte datagrams, alternating in each of RUNS rounds: (1) iperf3 -u -b 0 -l SIZE, goodput as its
# server received it; (2) streams send --lb (unpaced, 1 MB events, MTU chosen so datagrams are SIZE bytes with the
# 16-byte LB header, which the LB strips: the node gets SIZE-16) -> streams lb -> one streams receive --lb node;
# goodput = bytes of the events the node completed / seconds sent (event payload only: conservative against iperf3's
# whole UDP payload). Prints medians (min-max) and the ratio streams-through-lb / iperf3. Then a LOSS_SECONDS run paced
# at 80% of iperf3's 8972-byte rate: events sent vs completed, and where datagrams went missing:
#   sender -> [kernel at the LB socket] -> LB received -> [LB drops by reason] -> LB forwarded -> [kernel at the node
#   socket] -> node received -> [node reassembly losses by reason] -> events completed.
# A fresh LB per run, so its counters (read from its stderr status lines, every second) are per run.
set -euo pipefail
shopt -s inherit_errexit   # command substitutions (the runs) stop at the first error too
cd "$(dirname "$0")/.."
secs=${1:-10}
out=${2:-perf/results/2-core}
runs=${RUNS:-3}
loss_secs=${LOSS_SECONDS:-60}
base=${LB_PORT_BASE:-27300}
mkdir -p "$out"
raw="$out/lb-goodput-raw"; mkdir -p "$raw"
command -v iperf3 >/dev/null || { echo "installing iperf3"; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq iperf3 >/dev/null; }
command -v jq >/dev/null || { echo "installing jq"; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq jq >/dev/null; }
if [[ -z "${STREAMS:-}" ]]; then
  dotnet build engine/Streams.Cli -c Release -nologo -v quiet >/dev/null
  STREAMS="engine/Streams.Cli/bin/Release/net10.0/streams"
fi
streams=$STREAMS
control=$base; data=$((base + 10)); sync=$((base + 20)); node_port=$((base + 30)); iperf_port=$((base + 40))
tcp_free() { ! ss -Hltn "sport = :$1" | grep -q .; }
udp_free() { ! ss -Hlnu "sport = :$1" | grep -q .; }
for p in $control $iperf_port; do tcp_free "$p" || { echo "TCP port $p is taken (move all ports with LB_PORT_BASE=...)"; ss -Hltnp "sport = :$p"; exit 1; }; done
for p in $data $sync $node_port $iperf_port; do udp_free "$p" || { echo "UDP port $p is taken (move all ports with LB_PORT_BASE=...)"; ss -Hlnup "sport = :$p"; exit 1; }; done

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT
trap 'exit 130' INT TERM
# The runs are command substitutions (subshells): each sets the same trap, for the children it starts.

lb_start() { # tag -> starts a fresh LB; sets lb_pid, uri
  rm -f "$raw/lb-$1.uri"
  "$streams" lb --control 127.0.0.1:$control --data 127.0.0.1:$data --sync 127.0.0.1:$sync --admin-token perf-admin \
    --reserve perf --uri-file "$raw/lb-$1.uri" --metrics-listen off --status-interval 1 >"$raw/lb-$1.out" 2>"$raw/lb-$1.log" & lb_pid=$!; pids+=($lb_pid)
  for _ in $(seq 150); do [[ -s "$raw/lb-$1.uri" ]] && break; kill -0 $lb_pid 2>/dev/null || break; sleep 0.1; done
  [[ -s "$raw/lb-$1.uri" ]] || { echo "streams lb did not start:" >&2; cat "$raw/lb-$1.log" >&2; exit 1; }
  uri=$(cat "$raw/lb-$1.uri")
}
lb_stop() { kill -TERM "$lb_pid" 2>/dev/null || true; wait "$lb_pid" 2>/dev/null || true; }
wait_member() { # -> waits until a member holds slots
  for _ in $(seq 100); do
    [[ $("$streams" lb status --control 127.0.0.1:$control --token perf-admin --json 2>/dev/null | jq '[.[].status.workers[] | select(.slotsAssigned > 0)] | length' 2>/dev/null || echo 0) -ge 1 ]] && return 0
    sleep 0.2
  done
  echo "no member registered with the LB within 20 s" >&2; return 1
}
lb_counters() { # lb log, member name -> "received dropped notallowed badheader noepoch nomember forwarded"
  local inst member
  inst=$(grep "^lb 1 " "$1" | tail -1)
  member=$(grep "^  $2 " "$1" | tail -1)
  echo "$inst" | sed -n 's/.*received \([0-9]*\) datagrams, dropped \([0-9]*\) (sender not allowed \([0-9]*\), bad header \([0-9]*\), no epoch \([0-9]*\), no member \([0-9]*\)).*/\1 \2 \3 \4 \5 \6/p' | tr '\n' ' '
  echo "$member" | sed -n 's/.*forwarded \([0-9]*\) datagrams.*/\1/p'
}

iperf_gbps() { # datagram size, tag -> received Gbit/s
  trap cleanup EXIT
  iperf3 -s -1 -p $iperf_port >/dev/null 2>&1 & local srv=$!; pids+=($srv)
  sleep 0.5
  iperf3 -c 127.0.0.1 -p $iperf_port -u -b 0 -l "$1" -t "$secs" --json >"$raw/iperf3-$1-$2.json"
  wait $srv || true
  jq -r '.end.sum.bits_per_second * (1 - .end.sum.lost_percent / 100) / 1e9' "$raw/iperf3-$1-$2.json"
}

lb_run() { # datagram size, event size, tag, extra send args... -> "gbps events_per_s notes..."
  trap cleanup EXIT
  local size=$1 ev=$2 tag=$3; shift 3
  local mtu=$((size + 28)) t="$size-$ev-$tag"
  lb_start "$t"
  "$streams" receive --bind 127.0.0.1 --port $node_port --lb "$uri" --name node --duration $((secs + 8)) --progress none \
    --metrics-listen off --summary-json "$raw/rx-$t.json" >"$raw/rx-$t.out" 2>"$raw/rx-$t.log" & local rx=$!; pids+=($rx)
  wait_member
  "$streams" send --lb "$uri" --mtu $mtu --event-size "$ev" --count 0 --duration "$secs" "$@" >"$raw/tx-$t.txt" 2>"$raw/tx-$t.log"
  sleep 1.5   # a status line with the member still registered (its forwarded counter)
  "$streams" lb status --control 127.0.0.1:$control --token perf-admin --json >"$raw/lb-status-$t.json" 2>/dev/null || true
  wait $rx || { echo "streams receive failed:" >&2; tail -5 "$raw/rx-$t.log" >&2; exit 1; }
  sleep 1.1
  lb_stop
  local sent lbc; sent=$(sed -n 's/^sent \([0-9]*\) events, \([0-9]*\) datagrams.*/\1 \2/p' "$raw/tx-$t.txt")
  lbc=$(lb_counters "$raw/lb-$t.log" node)
  jq -r --arg sent "$sent" --arg lbc "$lbc" --argjson secs "$secs" --argjson ev "$ev" '
    ($sent | split(" ") | map(tonumber)) as [$events, $dgrams] |
    ($lbc | split(" ") | map(select(. != "") | tonumber)) as [$recv, $drop, $na, $bh, $ne, $nm, $fwd] |
    .ejfat as $e |
    "\($e.eventsCompleted * $ev * 8 / $secs / 1e9) \($e.eventsCompleted / $secs) events sent=\($events) completed=\($e.eventsCompleted) lost(node)=\($e.eventsLost | to_entries | map("\(.key):\(.value)") | join(",")) never_seen_by_node=\($events - $e.eventsCompleted - ($e.eventsLost | add)); datagrams sent=\($dgrams) kernel_drop_at_lb=\($dgrams - $recv) lb_received=\($recv) lb_dropped=\($drop)(not-allowed:\($na),bad-header:\($bh),no-epoch:\($ne),no-member:\($nm)) lb_forwarded=\($fwd) kernel_drop_at_node=\($fwd - $e.packets) node_received=\($e.packets) node_dropped=\($e.packetsDropped | to_entries | map("\(.key):\(.value)") | join(","))"' "$raw/rx-$t.json"
}

median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
spread() { sort -g | awk 'NR==1 {lo=$1} {hi=$1} END {printf "%.3f-%.3f", lo, hi}'; }
summary="$out/lb-goodput.txt"
{
  echo "# perf/lb-goodput.sh $secs s x $runs runs, $(date -u +%FT%TZ), $(nproc) cores, $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
} | tee "$summary"
for size in 8972 1472; do
  ips=(); sts=(); notes=""
  for r in $(seq 1 "$runs"); do   # alternate, so both see the same machine conditions
    ips+=("$(iperf_gbps $size $r)")
    st=$(lb_run $size 1048576 "r$r")
    sts+=("${st%% *}"); notes="${st#* }"; notes="${notes#* }"
  done
  ip=$(printf '%s\n' "${ips[@]}" | median); sg=$(printf '%s\n' "${sts[@]}" | median)
  [[ $size = 8972 ]] && ip8972=$ip
  printf 'datagram %5d B: iperf3 median %.3f Gbit/s (%s), streams send -> lb -> receive median %.3f Gbit/s (%s), ratio %.2f   [last: %s]\n' \
    "$size" "$ip" "$(printf '%s\n' "${ips[@]}" | spread)" "$sg" "$(printf '%s\n' "${sts[@]}" | spread)" "$(echo "$sg / $ip" | bc -l)" "$notes" | tee -a "$summary"
done

rate=$(echo "$ip8972 * 0.8" | bc -l)
secs=$loss_secs
st=$(lb_run 8972 1048576 loss --gbps "$rate")
printf 'paced at %.2f Gbit/s (80%% of iperf3) for %ss through the lb: %s\n' "$rate" "$secs" "$(echo "$st" | cut -d' ' -f3-)" | tee -a "$summary"
echo "raw: $raw (iperf3-*.json, rx-*.json node summaries, tx-*.txt, lb-*.log status lines, lb-status-*.json)" | tee -a "$summary"
