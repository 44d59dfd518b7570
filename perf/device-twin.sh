#!/usr/bin/env bash
# The twin's calibration table on the lent 16-core machine (no .NET SDK there: a self-contained publish carried in
# .devcarry, made as perf/device-scaling.sh's header says): 8 and 16 workers (the paper's 16 and 32 need 32 cores), and 1 and 2 as
# on the 2-core machine, 0.2..0.9 traffic intensity.
#   bash perf/device-twin.sh OUT_DIR
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-/tmp/device-twin}
mkdir -p "$out" /tmp/streams-pub
[ -x /tmp/streams-pub/pub/streams ] || tar -C /tmp/streams-pub -xJf .devcarry/streams-linux-x64.tar.xz
streams=/tmp/streams-pub/pub/streams
export DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=${DOTNET_SYSTEM_GLOBALIZATION_INVARIANT:-1}
seconds=${SECONDS_PER_POINT:-6}
"$streams" twin calibrate --workers 8 16 --rho 0.2 0.4 0.6 0.8 0.9 --seconds "$seconds" -o "$out/calibration-8-16.csv" | tee "$out/calibration-8-16.txt"
"$streams" twin calibrate --workers 1 2 --rho 0.2 0.4 0.6 0.8 0.9 --seconds "$seconds" -o "$out/calibration-1-2.csv" | tee "$out/calibration-1-2.txt"
