#!/usr/bin/env bash
# Elastic nodes behind an EJFAT load balancer on one machine: `streams lb`, a control process that owns no data
# (deploy/pipelines/elastic-lb.yaml: its controller starts clas12-node pipelines through the node provider and drains
# them), and a simulated DAQ whose rate steps up and down (deploy/pipelines/clas12-daq-steps-lb.yaml: 300 events/s,
# 2000/s from 15 s, 300/s from 35 s). Nodes join as the rate rises, drain and leave as it falls; at the end the control
# process drains the rest and prints the books of every node, which must balance against what the DAQ sent.
#   bash deploy/lb/elastic-demo.sh [SECONDS] [PROVIDER]
#   PROVIDER local (default) or slurm (pilot jobs on the one-node SLURM of deploy/slurm/local-cluster.sh).
#   STEPS="'0:200', '15:1200', '35:200'" replaces the DAQ's rate steps (a machine busy with other work carries less).
# Everything goes to OUT (default out/elastic-demo): the control process runs there, each node in OUT/out/nodes/ID/.
set -euo pipefail
cd "$(dirname "$0")/../.."
SECONDS_TOTAL=${1:-60}
PROVIDER=${2:-local}
OUT=$(realpath -m "${OUT:-out/elastic-demo}")
STREAMS=${STREAMS:-}
if [[ -z "$STREAMS" ]]; then
  dotnet build engine/Streams.Cli -c Release -nologo -v quiet >/dev/null
  STREAMS="dotnet $PWD/engine/Streams.Cli/bin/Release/net10.0/streams.dll"
fi
CONTROL_FILE=$PWD/deploy/pipelines/elastic-lb.yaml
if [[ $PROVIDER == slurm ]]; then
  CONTROL_FILE=$PWD/deploy/pipelines/elastic-lb-slurm.yaml
  bash deploy/slurm/local-cluster.sh start >/dev/null
  eval "$(bash deploy/slurm/local-cluster.sh env)"
fi
rm -rf "$OUT"; mkdir -p "$OUT"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

# Any free ports: the URI file says where the load balancer listens.
source deploy/lb/common.sh
start_lb 127.0.0.1:0 127.0.0.1:0 127.0.0.1:0 elastic

(cd "$OUT" && exec $STREAMS run "$CONTROL_FILE" --lb "$URI" --prometheus-sd "$OUT/targets.json" --progress log --progress-interval 5 \
  --summary-json "$OUT/control.json" >"$OUT/control.out" 2>"$OUT/control.log") & CTL=$!; pids+=($CTL)
echo "control process started (log: $OUT/control.log); waiting for the first node"
for _ in $(seq 600); do grep -q "1 ready" "$OUT/control.log" 2>/dev/null && break; sleep 0.1; done

DAQ_FILE=deploy/pipelines/clas12-daq-steps-lb.yaml
if [[ -n "${STEPS:-}" ]]; then # e.g. STEPS="'0:200', '15:1200', '35:200'" for a machine that carries less
  DAQ_FILE="$OUT/daq-steps.yaml"
  sed "s/rate-steps: \[[^]]*\]/rate-steps: [$STEPS]/" deploy/pipelines/clas12-daq-steps-lb.yaml >"$DAQ_FILE"
fi
$STREAMS run "$DAQ_FILE" --lb "$URI" --duration "$SECONDS_TOTAL" --progress none --metrics-listen off \
  --summary-json "$OUT/daq.json" >"$OUT/daq.out" 2>"$OUT/daq.log" & DAQ=$!; pids+=($DAQ)
tail -n 0 -f "$OUT/control.log" | grep --line-buffered -E "requested node|releasing node|nodes:" & TAIL=$!; pids+=($TAIL)
wait $DAQ || { echo "the DAQ failed"; tail -5 "$OUT/daq.log"; exit 1; }
sleep 2
kill -TERM $CTL; wait $CTL || { echo "the control process says the books do not balance:"; cat "$OUT/control.out"; tail -5 "$OUT/control.log"; exit 1; }
kill $TAIL 2>/dev/null || true
cat "$OUT/control.out"
python3 - "$OUT/daq.json" "$OUT/control.json" <<'PY'
import json, sys
daq, ctl = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
sent, got = daq["events"]["processed"], ctl["events"]
ok = sent == got["received"] == got["processed"] and got["lost"] == 0
print(f"DAQ sent {sent} events; nodes received {got['received']}, reconstructed {got['processed']}, lost {got['lost']}: "
      + ("books balance: zero lost" if ok else "books do NOT balance"))
sys.exit(0 if ok else 1)
PY
