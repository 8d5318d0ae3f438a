#!/usr/bin/env python3
"""cost_client.py -- sends exactly N signed requests over C keep-alive connections (wrk cannot
stop at a count), each connection waiting for its answer before the next request, and checks
every answer. For bench/cost.sh.

usage: cost_client.py PORT N CONNS CASE
  CASE: dup       the same Flagright event every time (answered "duplicate" after the first)
        distinct  a new event id every request
        large     a 16 KiB event, the same every time
        nginx     an unsigned POST of the 1 KiB body (nginx answers any POST with 200)
The secret is $BENCH_SECRET. Exit status 1 if any answer was not 200.
"""
import hashlib
import hmac
import json
import os
import socket
import sys
import threading


def body_for(case, i):
    pad = "x" * (16 * 1024 if case == "large" else 900)
    eid = "cost-%d" % i if case == "distinct" else "cost-same"
    return json.dumps({"id": eid, "type": "CASE_CLOSED", "createdTimestamp": 1764300000000,
                       "data": {"pad": pad}}, separators=(",", ":")).encode()


def request(case, i, secret):
    body = body_for(case, i)
    head = ("POST /webhooks/flagright HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            "Content-Type: application/json\r\nContent-Length: %d\r\n" % len(body))
    if case != "nginx":
        sig = hmac.new(secret, body, hashlib.sha256).hexdigest()
        head += "x-flagright-signature: %s\r\n" % sig
    return head.encode() + b"\r\n" + body


def read_answer(s, buf):
    while b"\r\n\r\n" not in buf:
        chunk = s.recv(65536)
        if not chunk:
            raise ConnectionError("closed")
        buf += chunk
    head, rest = buf.split(b"\r\n\r\n", 1)
    status = int(head.split(b" ", 2)[1])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        if k.strip().lower() == b"content-length":
            length = int(v)
    while len(rest) < length:
        chunk = s.recv(65536)
        if not chunk:
            raise ConnectionError("closed")
        rest += chunk
    return status, rest[length:]


def main():
    port, n, conns, case = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    secret = os.environ.get("BENCH_SECRET", "bench-secret").encode()
    socks = [socket.create_connection(("127.0.0.1", port)) for _ in range(conns)]
    bad = []
    counter = iter(range(n))
    lock = threading.Lock()

    def run(s):
        buf = b""
        while True:
            with lock:
                i = next(counter, None)
            if i is None:
                return
            s.sendall(request(case, i, secret))
            status, buf = read_answer(s, buf)
            if status != 200:
                bad.append(status)

    threads = [threading.Thread(target=run, args=(s,)) for s in socks]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for s in socks:
        s.close()
    if bad:
        print("cost_client: %d answers were not 200 (%s)" % (len(bad), bad[:5]), file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
