#!/usr/bin/env bash
# EJFAT goodput against iperf3, measured in the same run on the same machine and datagram size, over 127.0.0.1.
#   perf/ejfat-goodput.sh [SECONDS] [OUT_DIR]
# For 8972- and 1472-byte datagrams: (1) iperf3 -u -b 0 -l SIZE, goodput as its server received it; (2) streams send
# (unpaced, 1 MB events, MTU chosen so datagrams are SIZE bytes) -> streams receive; goodput = bytes of the events the
# receiver completed / seconds sent (event payload only: conservative against iperf3's whole UDP payload). Prints the
# ratio. Then events/s for 100 kB and 1 MB events, and a LOSS_SECONDS run paced at 80% of iperf3's 8972-byte rate.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-10}
out=${2:-perf/results}
mkdir -p "$out"
command -v iperf3 >/dev/null || { echo "installing iperf3"; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq iperf3 >/dev/null; }
command -v jq >/dev/null || { echo "installing jq"; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq jq >/dev/null; }
dotnet build engine/Streams.Cli -c Release -nologo -v quiet >/dev/null
streams="engine/Streams.Cli/bin/Release/net10.0/streams"
port=29522

iperf_gbps() { # datagram size -> received Gbit/s
  iperf3 -s -1 -p 29521 >/dev/null 2>&1 & local srv=$!
  sleep 0.5
  iperf3 -c 127.0.0.1 -p 29521 -u -b 0 -l "$1" -t "$secs" --json >"$out/iperf3-$1.json"
  wait $srv || true
  jq -r '.end.sum.bits_per_second * (1 - .end.sum.lost_percent / 100) / 1e9' "$out/iperf3-$1.json"
}

streams_run() { # datagram size, event size, extra send args... -> prints "gbps events_per_s lost"
  local size=$1 ev=$2; shift 2
  local mtu=$((size + 28))
  "$streams" receive --bind 127.0.0.1 --port $port --duration $((secs + 4)) --progress none --summary-json "$out/rx-$size-$ev.json" >/dev/null 2>&1 & local rx=$!
  sleep 1.5
  "$streams" send --dest 127.0.0.1:$port --mtu $mtu --event-size "$ev" --count 0 --duration "$secs" "$@" >"$out/tx-$size-$ev.txt"
  wait $rx
  local sent; sent=$(sed -n 's/^sent \([0-9]*\) events, \([0-9]*\) datagrams.*/\1 \2/p' "$out/tx-$size-$ev.txt")
  jq -r --arg sent "$sent" --argjson secs "$secs" '
    ($sent | split(" ") | map(tonumber)) as [$events, $dgrams] |
    "\(.ejfat.eventsCompleted * '"$ev"' * 8 / $secs / 1e9) \(.ejfat.eventsCompleted / $secs) sent=\($events) completed=\(.ejfat.eventsCompleted) lost=\(.ejfat.eventsLost) dropped=\(.ejfat.packetsDropped) kernel_drops=\($dgrams - .ejfat.packets)"' "$out/rx-$size-$ev.json"
}

median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
runs=${RUNS:-3}
for size in 8972 1472; do
  ips=(); sts=(); notes=""
  for r in $(seq 1 "$runs"); do   # alternate, so both see the same machine conditions
    ips+=("$(iperf_gbps $size)")
    st=$(streams_run $size 1048576)
    sts+=("${st%% *}"); notes="${st#* }"
  done
  ip=$(printf '%s\n' "${ips[@]}" | median); sg=$(printf '%s\n' "${sts[@]}" | median)
  [ "$size" = 8972 ] && ip8972=$ip
  printf 'datagram %5d B: iperf3 median %.3f Gbit/s (%s), streams median %.3f Gbit/s (%s), ratio %.2f   [last: %s]\n' \
    "$size" "$ip" "${ips[*]}" "$sg" "${sts[*]}" "$(echo "$sg / $ip" | bc -l)" "$notes"
done
loss_secs=${LOSS_SECONDS:-60}
for ev in 102400 1048576; do
  st=$(streams_run 8972 $ev)
  printf 'events of %7d B at 8972 B datagrams: %s events/s, %s Gbit/s   [%s]\n' "$ev" "$(echo "$st" | awk '{printf "%.0f", $2}')" "$(echo "$st" | awk '{printf "%.3f", $1}')" "$(echo "$st" | cut -d' ' -f3-)"
done

rate=$(echo "$ip8972 * 0.8" | bc -l)
secs=$loss_secs
st=$(streams_run 8972 1048576 --gbps "$rate")   # receiver: default 256 MiB socket buffer
printf 'paced at %.2f Gbit/s (80%% of iperf3) for %ss: %s\n' "$rate" "$secs" "$(echo "$st" | cut -d' ' -f3-)"
