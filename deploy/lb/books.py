#!/usr/bin/env python3
"""The books of a run behind a load balancer, across processes: events sent (the last line of `streams send`, or the
--summary-json of a DAQ pipeline whose ejfat-sender sent them) against events received and processed by each node
(their --summary-json), with every loss by reason. Exit 1 unless they balance.
   python3 deploy/lb/books.py SEND_OUTPUT|DAQ.json NODE.json..."""
import json, re, sys

if sys.argv[1].endswith(".json"):
    daq = json.load(open(sys.argv[1]))["events"]
    if daq["failed"] or daq["discarded"] or daq["inFlight"]:
        sys.exit(f"{sys.argv[1]}: the DAQ itself lost events: {daq}")
    sent = daq["processed"]
else:
    m = re.findall(r"sent (\d+) events", open(sys.argv[1]).read())
    if not m:
        sys.exit(f"{sys.argv[1]}: no 'sent N events' line")
    sent = int(m[-1])
received = processed = 0
lost = {}
print(f"{'node':<12} {'received':>10} {'processed':>10} {'failed':>7} {'lost (receiver)':>16}")
for path in sys.argv[2:]:
    s = json.load(open(path))
    e, ej = s["events"], s.get("ejfat", {})
    node_lost = {f"receiver {k}": v for k, v in ej.get("eventsLost", {}).items()}
    node_lost["pipeline failed"] = e["failed"]
    # The receiver's lost events are counted as discarded in the node's books too: only the rest is new here.
    node_lost["pipeline discarded (other)"] = e["discarded"] - sum(node_lost[k] for k in node_lost if k.startswith("receiver"))
    for k, v in node_lost.items():
        lost[k] = lost.get(k, 0) + v
    received += ej.get("eventsCompleted", e["received"])
    processed += e["processed"]
    name = path.rsplit("/", 1)[-1].removesuffix(".json")
    print(f"{name:<12} {ej.get('eventsCompleted', e['received']):>10} {e['processed']:>10} {e['failed']:>7} {sum(v for k, v in node_lost.items() if k.startswith('receiver')):>16}")
unaccounted = sent - received - lost.get("receiver timeout", 0) - lost.get("receiver memoryCap", 0) - lost.get("receiver incompleteAtStop", 0)
print(f"sent {sent}, received by nodes {received}, processed {processed}; "
      f"lost: {', '.join(f'{k} {v}' for k, v in lost.items() if v) or 'none'}; never arrived (LB or kernel drop) {unaccounted}")
ok = unaccounted == 0 and all(v == 0 for v in lost.values())
print("books balance: zero lost" if ok else "books do NOT balance")
sys.exit(0 if ok else 1)
