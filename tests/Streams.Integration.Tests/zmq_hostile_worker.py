#!/usr/bin/python3
"""A hostile worker (pyzmq on libzmq) for a `streams run --listen` coordinator.

Joins with a 20 MB name, sends GARBAGE malformed messages, takes work and answers every batch with junk: a RESULT
of too few frames, or one whose counts disagree. Exits at END (or after 120 s). Prints a JSON line with what it did.
"""
import json
import struct
import sys
import time

import zmq

coordinator, garbage = sys.argv[1], int(sys.argv[2])
ctx = zmq.Context()
s = ctx.socket(zmq.DEALER)
s.linger = 0
s.connect(coordinator)
hello = {"name": "n" * 20_000_000, "host": "h", "pid": 1, "protocol": "streams-workers/2", "version": "pyzmq"}
s.send_multipart([b"HELLO", json.dumps(hello).encode(), b""])
for i in range(garbage):
    s.send_multipart([(b"\xff" * 1000) if i % 2 else b"CREDIT", b"\x01\x02\x03"])

answered, deadline = 0, time.time() + 120
while time.time() < deadline:
    if not s.poll(200):
        continue
    frames = s.recv_multipart()
    command = frames[0]
    if command == b"WELCOME":
        s.send_multipart([b"CREDIT", b"work", struct.pack("<I", 4), struct.pack("<I", 1)])  # stage, credit, threads
    elif command == b"WORK":
        header = frames[2]
        batch_id = struct.unpack("<Q", header[8:16])[0]
        t = b"a/b"
        empty = b"SBT1" + struct.pack("<BBHQII", 2, 0, len(t), batch_id, 0, 0) + t
        two = b"SBT1" + struct.pack("<BBHQII", 2, 0, len(t), batch_id, 2, 0) + t
        if answered % 2:
            s.send_multipart([b"RESULT", empty, b""])  # too few frames
        else:
            s.send_multipart([b"RESULT", two, b"\x00" * 48, b"", struct.pack("<I", 0), b""])  # 2 events, 1 index
        answered += 1
    elif command in (b"END", b"REJECT"):
        break
print(json.dumps({"answered": answered, "last": command.decode(errors="replace")}))
