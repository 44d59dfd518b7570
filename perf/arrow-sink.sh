#!/usr/bin/env bash
# File sink throughput against the disk's own: perf/pipelines/arrow-sink.yaml (4 M synthetic events of 256 bytes
# into an Arrow file, each batch written whole or rolled back, fsync at the end) vs `dd` writing the same number of
# bytes in 64 KiB blocks with an fsync at the end, alternating, N runs each (default 3) into the same folder.
# Prints MB/s per run and the medians and their ratio.   Usage: perf/arrow-sink.sh [RUNS] [DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
dir=${2:-out/perf}
mkdir -p "$dir"
dotnet build engine/Streams.Cli -c Release -nologo -v quiet >/dev/null
bin=engine/Streams.Cli/bin/Release/net10.0/streams
yaml="$dir/arrow-sink.yaml"
sed "s|out/perf/arrow-sink.arrow|$dir/arrow-sink.arrow|" perf/pipelines/arrow-sink.yaml >"$yaml"
streams_mbs=(); dd_mbs=()
for i in $(seq 1 "$runs"); do
  rm -f "$dir/arrow-sink.arrow" "$dir/dd.bin"
  t0=$(date +%s.%N)
  "$bin" run "$yaml" --progress none >"$dir/arrow-sink.out" 2>"$dir/arrow-sink.log"
  t1=$(date +%s.%N)
  bytes=$(stat -c %s "$dir/arrow-sink.arrow")
  s=$(echo "$bytes / ($t1 - $t0) / 1000000" | bc -l)
  t0=$(date +%s.%N)
  dd if=/dev/zero of="$dir/dd.bin" bs=64k count=$(( (bytes + 65535) / 65536 )) conv=fsync status=none
  t1=$(date +%s.%N)
  d=$(echo "$bytes / ($t1 - $t0) / 1000000" | bc -l)
  streams_mbs+=("$s"); dd_mbs+=("$d")
  printf 'run %d: streams arrow-file-sink %.0f MB/s (file %d bytes, whole process), dd %.0f MB/s\n' "$i" "$s" "$bytes" "$d"
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
ms=$(median "${streams_mbs[@]}"); md=$(median "${dd_mbs[@]}")
printf 'median of %d: streams %.0f MB/s, dd %.0f MB/s, ratio %.2fx (streams: min %.0f, max %.0f)\n' "$runs" "$ms" "$md" "$(echo "$ms / $md" | bc -l)" \
  "$(printf '%s\n' "${streams_mbs[@]}" | sort -g | head -1)" "$(printf '%s\n' "${streams_mbs[@]}" | sort -g | tail -1)"
rm -f "$dir/arrow-sink.arrow" "$dir/dd.bin"
