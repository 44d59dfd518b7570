# Shared by the load-balancer demos (sourced): `start_lb CONTROL DATA SYNC NAME` starts `streams lb` with one reserved
# instance NAME (ports as HOST:PORT, port 0 for any free one), writes OUT/lb.uri, lb.json, lb.out, lb.log, adds its
# pid to pids, and sets LB (its pid) and URI. Needs STREAMS and OUT.
start_lb() {
  $STREAMS lb --control "$1" --data "$2" --sync "$3" --admin-token demo-admin \
    --reserve "$4" --uri-file "$OUT/lb.uri" --metrics-listen off --status-interval 2 --summary-json "$OUT/lb.json" \
    >"$OUT/lb.out" 2>"$OUT/lb.log" & LB=$!; pids+=($LB)
  for _ in $(seq 100); do [[ -s "$OUT/lb.uri" ]] && break; sleep 0.1; done
  [[ -s "$OUT/lb.uri" ]] || { echo "streams lb did not start:"; cat "$OUT/lb.log"; exit 1; }
  URI=$(cat "$OUT/lb.uri")
  echo "load balancer: $URI"
}
