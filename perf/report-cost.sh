#!/usr/bin/env bash
# What the HTML run report and the live web view cost a run: the embedded default (10,000 events through the CLAS12
# chain), timed end to end, alternating (1) --report off against the report it writes by default, and (2) no viewer
# against a viewer that polls the live view's /api/snapshot and / once a second, as the page does. N rounds each
# (default 3); prints each time and the medians.   Usage: perf/report-cost.sh [ROUNDS] [OUT_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
out=${2:-perf/results}
mkdir -p "$out"
out=$(cd "$out" && pwd)
dotnet build engine/Streams.Cli -c Release -nologo -v quiet >/dev/null
bin=$(pwd)/engine/Streams.Cli/bin/Release/net10.0/streams
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
quiet() { "$@" >/dev/null 2>&1; }
seconds() { local s e; s=$(date +%s.%N); "$@"; e=$(date +%s.%N); echo "$e - $s" | bc; }
viewed() {
  rm -f addr
  "$bin" run --progress none --report off --metrics-listen 127.0.0.1:0 --metrics-file addr >/dev/null 2>&1 &
  local pid=$!
  if [ "$1" = viewer ]; then
    (while kill -0 $pid 2>/dev/null; do
      [ -s addr ] && curl -s -o /dev/null "http://$(cat addr)/api/snapshot" && curl -s -o /dev/null "http://$(cat addr)/"
      sleep 1
    done) &
  fi
  wait $pid
}
results="$out/report-cost.txt"
: >"$results"
for i in $(seq 1 "$rounds"); do
  rm -rf out; echo "report-off $(seconds quiet "$bin" run --progress none --metrics-listen off --report off)" >>"$results"
  rm -rf out; echo "report-on $(seconds quiet "$bin" run --progress none --metrics-listen off)" >>"$results"
  rm -rf out; echo "no-viewer $(seconds viewed none)" >>"$results"
  rm -rf out; echo "viewer $(seconds viewed viewer)" >>"$results"
done
cat "$results"
for mode in report-off report-on no-viewer viewer; do
  awk -v m="$mode" '$1==m {print $2}' "$results" | sort -n | awk -v m="$mode" '{a[NR]=$1} END {printf "%-10s median %.2f s (min %.2f, max %.2f, %d runs)\n", m, a[int((NR+1)/2)], a[1], a[NR], NR}'
done
