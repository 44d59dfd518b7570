#!/usr/bin/env python3
"""The books of a run behind a load balancer, across processes: events sent (the last line of `streams send`, or the
--summary-json of a DAQ pipeline whose ejfat-sender sent them) against events received and processed by each node
(their --summary-json), with every loss by reason. Exit 1 unless they balance.
With --lb LB.json (`streams lb --summary-json`), the load balancer's own books join in: the events its Sync packets
announce, the datagrams it received, dropped by reason and forwarded, and what every member last reported.
   python3 deploy/lb/books.py [--lb LB.json] SEND_OUTPUT|DAQ.json NODE.json..."""
import json, re, sys

lb = None
if len(sys.argv) > 2 and sys.argv[1] == "--lb":
    lb = json.load(open(sys.argv[2]))
    del sys.argv[1:3]

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
if lb is not None:
    for inst in lb["instances"]:
        b, d = inst["books"], inst["datagrams"]
        drops = ", ".join(f"{k} {v}" for k, v in d["dropped"].items() if v) or "none"
        print(f"load balancer {inst['id']} '{inst['name']}': senders announced {b['eventsSent']} events (Sync); "
              f"datagrams received {d['received']}, dropped {drops}, forwarded {d['forwarded']}; "
              f"members reported {b['eventsReassembledByMembers']} reassembled, {b['lostInReassembly']} lost in reassembly, "
              f"{b['lostQueueFull']} to full queues")
        for m in inst["members"]:
            r = m["reported"] or {}
            print(f"  member {m['name']:<16} {m['state']:<12} forwarded {m['forwardedPackets']:>9} datagrams; reported {r.get('eventsReassembled', 0)} reassembled")
        if b["eventsSent"] != sent:
            print(f"  (the Sync packets announce {b['eventsSent']} events, the sender says {sent})")
        ok = ok and b["eventsSent"] == sent and b["eventsReassembledByMembers"] == received and all(v == 0 for v in d["dropped"].values())
print("books balance: zero lost" if ok else "books do NOT balance")
sys.exit(0 if ok else 1)
