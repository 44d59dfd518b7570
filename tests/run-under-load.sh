#!/usr/bin/env bash
# Runs the whole test suite N times in a row (default 3) while one core is kept busy by stress-ng, as a loaded CI
# machine would be; prints each run's "N passed, N failed" line and fails if any run failed. Installs stress-ng
# (Debian package) when missing. Usage: bash tests/run-under-load.sh [N]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
sudo=""; [ "$(id -u)" -eq 0 ] || sudo=sudo
command -v stress-ng >/dev/null || $sudo apt-get install -y -qq stress-ng >/dev/null
stress-ng --cpu 1 --timeout 0 --quiet &
load=$!
trap 'kill $load 2>/dev/null || true' EXIT
status=0
for i in $(seq 1 "$runs"); do
  start=$(date +%s)
  if line=$(bash tests/run-all.sh 2>&1 | tee "/tmp/streams-under-load-$i.log" | tail -n 1); then :; else status=1; fi
  grep -q ' 0 failed$' <<<"$line" || status=1
  echo "run $i/$runs under load: $line ($(( $(date +%s) - start )) s; log /tmp/streams-under-load-$i.log)"
done
exit $status
