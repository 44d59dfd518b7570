#!/usr/bin/env bash
# Arrow batches over ZeroMQ on tcp://127.0.0.1: Streams (NetMQ, batch framing, Arrow IPC encode + decode) against a
# libzmq PUSH/PULL pair (pyzmq, Debian python3-zmq) moving single-frame messages of the same size, in the same run.
# Both with the sender on a thread of the receiver's process, then with the sender in a process of its own (as a
# coordinator and its workers, or a zmq-push sink and its peer, are). The reference runs twice: sending one buffer
# over and over without copying (libzmq's best case, the figure's reference) and copying the payload into a new message
# at every send (as a sender of distinct data, like Streams encoding each batch, must). Rounds alternate so that all
# see the same machine; prints medians and their ratios.
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
  printf "%-8s %-30s %-30s %-7s %-30s %s\n" size "streams MB/s (runs)" "libzmq zero-copy (runs)" ratio "libzmq copying (runs)" ratio
  for size in 65536 1048576; do
    s=(); z=(); c=()
    for ((r = 0; r < rounds; r++)); do
      s+=("$(dotnet "$bench" zmq-throughput --size "$size" --seconds "$seconds" --warmup "$warmup" "${flag[@]}" | jq -r .mbPerSecond)")
      z+=("$(/usr/bin/python3 perf/zmq/pyzmq_pair.py --size "$size" --seconds "$seconds" "${flag[@]}" | jq -r .mbPerSecond)")
      c+=("$(/usr/bin/python3 perf/zmq/pyzmq_pair.py --size "$size" --seconds "$seconds" --copy "${flag[@]}" | jq -r .mbPerSecond)")
    done
    ms=$(printf '%s\n' "${s[@]}" | median); mz=$(printf '%s\n' "${z[@]}" | median); mc=$(printf '%s\n' "${c[@]}" | median)
    printf "%-8s %-30s %-30s %-7s %-30s %.2fx\n" "$size" "$ms (${s[*]})" "$mz (${z[*]})" "$(printf %.2fx "$(echo "$ms / $mz" | bc -l)")" "$mc (${c[*]})" "$(echo "$ms / $mc" | bc -l)"
  done
done
echo "NetMQ alone (single frames, no framing or Arrow; two threads), for reference:"
for size in 65536 1048576; do dotnet "$bench" zmq-throughput --size "$size" --seconds "$seconds" --warmup "$warmup" --raw | jq -c '{size, mbPerSecond}'; done
