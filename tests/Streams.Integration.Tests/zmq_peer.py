#!/usr/bin/python3
"""An independent ZeroMQ peer (pyzmq on libzmq) for the zmq-pull / zmq-push operators.

Sends BATCHES batches of PER_BATCH raw events in the Streams framing (README, "ZeroMQ wire format") to PUSH_TO,
preceded by one malformed message, then receives them back on PULL_AT and checks every event's bytes and metadata.
Prints a JSON line with what it received.
"""
import json
import struct
import sys

import zmq

push_to, pull_at, batches, per_batch = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
ctx = zmq.Context()
pull = ctx.socket(zmq.PULL)
pull.bind(pull_at)
pull.RCVTIMEO = 60000
push = ctx.socket(zmq.PUSH)
push.connect(push_to)

sent = {}
push.send_multipart([b"not a header", b"", b""])  # must be counted and dropped, not stop the stream
dtype = b"binary/pyzmq"
for b in range(batches):
    metas, payload = [], b""
    for i in range(per_batch):
        ev = b * per_batch + i
        data = ("event-%d;" % ev).encode() * ((ev % 5) + 1)
        metas.append(struct.pack("<QQHHI", ev, ev * 10, 7, 0, len(data)))
        payload += data
        sent[ev] = data
    header = b"SBT1" + struct.pack("<BBHQII", 2, 0, len(dtype), b + 1, per_batch, 0) + dtype
    push.send_multipart([header, b"".join(metas), payload])

got, types = 0, set()
while got < len(sent):
    h, m, p = pull.recv_multipart()
    assert h[:4] == b"SBT1", h[:4]
    kind, _, tl, _bid, n, _flags = struct.unpack("<BBHQII", h[4:24])
    assert kind == 2, kind
    types.add(h[24:24 + tl].decode())
    off = 0
    for i in range(n):
        ev, tick, did, _, ln = struct.unpack("<QQHHI", m[i * 24:(i + 1) * 24])
        assert p[off:off + ln] == sent[ev], "payload of event %d differs" % ev
        assert tick == ev * 10 and did == 7, (ev, tick, did)
        off += ln
        got += 1
print(json.dumps({"received": got, "types": sorted(types)}))
