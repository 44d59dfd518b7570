#!/usr/bin/env bash
# Backpressure figure: a sink that stalls for 30 s must not make memory grow or lose events.
# Runs perf/pipelines/stalled-sink.yaml for 40 s, samples the process RSS every second (CSV), and reports RSS and
# events received during the stall, then the final accounting.   Usage: perf/stalled-sink.sh [OUT_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-perf/results}
mkdir -p "$out"
dotnet build engine/Streams.Cli -c Release -nologo -v quiet >/dev/null
bin=engine/Streams.Cli/bin/Release/net10.0/streams
csv="$out/stalled-sink-rss.csv"
echo "seconds,rss_kib" >"$csv"
"$bin" run perf/pipelines/stalled-sink.yaml --duration 40 --progress log --progress-interval 1 \
  --summary-json "$out/stalled-sink-summary.json" >"$out/stalled-sink.out" 2>"$out/stalled-sink.log" &
pid=$!
for t in $(seq 1 45); do
  sleep 1
  rss=$(awk '/VmRSS/ {print $2}' /proc/$pid/status 2>/dev/null) || break
  [ -n "$rss" ] || break
  echo "$t,$rss" >>"$csv"
done
wait $pid
rss_at() { awk -F, -v t="$1" '$1==t {print $2}' "$csv"; }
received_at() { grep ' progress ' "$out/stalled-sink.log" | awk -v t="$1" '{ if ($3+0 >= t && !done) { print $6; done=1 } }'; }
echo "RSS during the stall (KiB): t=5s $(rss_at 5), t=15s $(rss_at 15), t=29s $(rss_at 29); max over the run $(cut -d, -f2 "$csv" | tail -n +2 | sort -n | tail -1)"
echo "events received during the stall: t=5s $(received_at 5), t=29s $(received_at 29)"
grep '^events:' "$out/stalled-sink.out"
