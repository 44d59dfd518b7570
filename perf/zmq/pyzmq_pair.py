#!/usr/bin/python3
"""Reference for perf/zmq-throughput.sh: a libzmq PUSH/PULL pair (pyzmq, Debian python3-zmq) on tcp://127.0.0.1
moving single-frame messages of --size bytes, sender and receiver on two threads (pyzmq releases the GIL in send and
recv). Prints the same JSON line as the Streams harness."""
import argparse
import json
import os
import subprocess
import sys
import threading
import time

import zmq

ap = argparse.ArgumentParser()
ap.add_argument("--size", type=int, default=65536)
ap.add_argument("--seconds", type=float, default=5)
ap.add_argument("--hwm", type=int, default=1000, help="messages queued per socket (libzmq's default)")
ap.add_argument("--copy", action="store_true",
                help="copy the payload into a new message at every send, as a sender of distinct data must "
                     "(default: send the same buffer without copying, libzmq's best case)")
ap.add_argument("--processes", action="store_true", help="sender in a process of its own (as a coordinator and a worker are)")
ap.add_argument("--send-to", type=int, default=0, help=argparse.SUPPRESS)  # child of --processes
a = ap.parse_args()

ctx = zmq.Context(io_threads=1)
stop = threading.Event()


def send(port):
    push = ctx.socket(zmq.PUSH)
    push.set_hwm(a.hwm)
    push.linger = 0
    push.connect("tcp://127.0.0.1:%d" % port)
    payload = bytes(bytearray(i & 0xFF for i in range(a.size)))
    while not stop.is_set():
        try:
            push.send(payload, copy=a.copy, flags=zmq.NOBLOCK)
        except zmq.Again:
            time.sleep(0.0001)
    push.close()


if a.send_to:
    def orphaned():  # the parent's end of stdin closes when it dies
        sys.stdin.read()
        os._exit(0)
    threading.Thread(target=orphaned, daemon=True).start()
    send(a.send_to)  # until the parent kills this process
    sys.exit(0)

pull = ctx.socket(zmq.PULL)
pull.set_hwm(a.hwm)
port = pull.bind_to_random_port("tcp://127.0.0.1")
count = [0, 0]


def receive():
    pull.RCVTIMEO = 100
    while not stop.is_set():
        try:
            m = pull.recv(copy=False)
        except zmq.Again:
            continue
        count[0] += 1
        count[1] += len(m)


threads = [threading.Thread(target=receive, daemon=True)]
child = None
if a.processes:
    child = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--size", str(a.size), "--hwm", str(a.hwm), "--send-to", str(port)] + (["--copy"] if a.copy else []),
                             stdin=subprocess.PIPE)
else:
    threads.append(threading.Thread(target=send, args=(port,), daemon=True))
for t in threads:
    t.start()
time.sleep(1)
m0, b0, t0 = count[0], count[1], time.perf_counter()
time.sleep(a.seconds)
m1, b1, t1 = count[0], count[1], time.perf_counter()
stop.set()
for t in threads:
    t.join(2)
if child:
    child.kill()
    child.wait()
el = t1 - t0
print(json.dumps({"impl": "pyzmq-libzmq" + ("-copy" if a.copy else ""), "size": a.size, "messagesPerSecond": round((m1 - m0) / el), "mbPerSecond": round((b1 - b0) / el / 1e6, 1)}))
sys.stdout.flush()
os._exit(0)  # the threads still hold sockets; skip a context teardown race
