#!/usr/bin/env bash
# Old build against new build, in the same run: the distributed figure (coordinator + 2 worker processes, 500 us/event)
# and the ZeroMQ batch throughput (Streams framing, sender in its own process, 64 KiB and 1 MiB), alternating old and
# new in every round so that both see the same machine. Prints each run, the medians and new/old.
#   bash perf/compare-builds.sh OLD_CHECKOUT NEW_CHECKOUT [ROUNDS] [SECONDS]
# Both checkouts must be built in Release (dotnet build Streams.sln -c Release), e.g. OLD from
# `git worktree add /tmp/old REV`. Needs python3 and jq.
set -euo pipefail
old=$(cd "$1" && pwd); new=$(cd "$2" && pwd)
rounds=${3:-3}
seconds=${4:-15}
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
distributed() { # CHECKOUT -> events/s of coordinator + 2 workers
  (cd "$1" && STREAMS="dotnet $1/engine/Streams.Cli/bin/Release/net10.0/streams.dll" bash perf/distributed-scaling.sh 2 "$seconds") |
    awk '/coordinator \+ 2 workers/ {print $5}'
}
zmq() { # CHECKOUT SIZE -> MB/s, sender in its own process
  dotnet "$1/perf/Streams.Benchmarks/bin/Release/net10.0/Streams.Benchmarks.dll" zmq-throughput --size "$2" --seconds 3 --warmup 3 --processes | jq -r .mbPerSecond
}
declare -A runs
for ((r = 0; r < rounds; r++)); do
  for side in old new; do
    dir=$old; [[ $side == new ]] && dir=$new
    runs[dist-$side]+="$(distributed "$dir") "
    runs[zmq64-$side]+="$(zmq "$dir" 65536) "
    runs[zmq1m-$side]+="$(zmq "$dir" 1048576) "
  done
done
printf "%-40s %-34s %-34s %s\n" figure "old (runs) median" "new (runs) median" new/old
for key in dist zmq64 zmq1m; do
  mo=$(tr ' ' '\n' <<<"${runs[$key-old]}" | grep . | median); mn=$(tr ' ' '\n' <<<"${runs[$key-new]}" | grep . | median)
  case $key in dist) name="coordinator + 2 workers, events/s";; zmq64) name="zmq 64 KiB batches, MB/s";; zmq1m) name="zmq 1 MiB batches, MB/s";; esac
  printf "%-40s %-34s %-34s %.2fx\n" "$name" "${runs[$key-old]}-> $mo" "${runs[$key-new]}-> $mn" "$(echo "$mn / $mo" | bc -l)"
done
