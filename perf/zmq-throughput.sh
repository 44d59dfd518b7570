#!/usr/bin/env bash
# Arrow batches over ZeroMQ on tcp://127.0.0.1: Streams (NetMQ, batch framing, Arrow IPC encode + decode) against a
# libzmq PUSH/PULL pair (pyzmq, Debian python3-zmq) moving single-frame messages of the same size, in the same run.
# Both with the sender on a thread of the receiver's process, then with the sender in a process of its own (as a
# coordinator and its workers, or a zmq-push sink and its peer, are). Rounds alternate so that both see the same
# machine; prints medians and their ratio.
#   bash perf/zmq-throughput.sh [ROUNDS] [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
seconds=${2:-3}
warmup=3 # seconds before measuring: the JIT's tiers settle (libzmq has none)
/usr/bin/python3 -c 'import zmq' 2>/dev/null || { echo "needs python3-zmq: bash deploy/scripts/install-test-deps.sh" >&2; exit 1; }
dotnet build perf/Streams.Benchmarks -c Release -v q -nologo >/dev/null
bench=perf/Streams.Benchmarks/bin/Release/net10.0/Streams.Benchmarks.dll
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
for placement in threads processes; do
  flag=(); [[ $placement == processes ]] && flag=(--processes)
  echo "sender and receiver as two $placement:"
  printf "%-10s %-34s %-34s %s\n" size "streams MB/s (runs)" "pyzmq/libzmq MB/s (runs)" "ratio of medians"
  for size in 65536 1048576; do
    s=(); z=()
    for ((r = 0; r < rounds; r++)); do
      s+=("$(dotnet "$bench" zmq-throughput --size "$size" --seconds "$seconds" --warmup "$warmup" "${flag[@]}" | jq -r .mbPerSecond)")
      z+=("$(/usr/bin/python3 perf/zmq/pyzmq_pair.py --size "$size" --seconds "$seconds" "${flag[@]}" | jq -r .mbPerSecond)")
    done
    ms=$(printf '%s\n' "${s[@]}" | median); mz=$(printf '%s\n' "${z[@]}" | median)
    printf "%-10s %-34s %-34s %.2fx\n" "$size" "$ms (${s[*]})" "$mz (${z[*]})" "$(echo "$ms / $mz" | bc -l)"
  done
done
echo "NetMQ alone (single frames, no framing or Arrow; two threads), for reference:"
for size in 65536 1048576; do dotnet "$bench" zmq-throughput --size "$size" --seconds "$seconds" --warmup "$warmup" --raw | jq -c '{size, mbPerSecond}'; done
