#!/usr/bin/env python3
"""gen_unique.py OUT COUNT [BYTES] -- the signatures of COUNT distinct Flagright-like events of
BYTES bytes (default 1024), signed with $BENCH_SECRET, for wrk/unique.lua.

Event i is the template (first line of OUT) with %s replaced by i as twelve digits, twice
(event id and user id), so every body has the same length. The next COUNT lines are the
events' signatures in order. wrk keeps one template and one string of signatures instead of
COUNT bodies: with hundreds of megabytes of bodies in its Lua heap, wrk's garbage collector
paused the load for hundreds of milliseconds and showed up as hookd's p99."""
import hashlib
import hmac
import json
import os
import sys

out, count = sys.argv[1], int(sys.argv[2])
size = int(sys.argv[3]) if len(sys.argv) > 3 else 1024
secret = os.environ["BENCH_SECRET"].encode()
ev = {"id": "bench-%s", "type": "USER_STATE_UPDATED",
      "data": {"userId": "U-%s", "state": "BLOCKED", "pad": ""},
      "createdTimestamp": 1764300000000, "triggeredBy": "SYSTEM"}
# %s stands for 12 digits: 10 more characters per occurrence in the finished body
ev["data"]["pad"] = "x" * max(0, size - len(json.dumps(ev, separators=(",", ":"))) - 20)
template = json.dumps(ev, separators=(",", ":"))
with open(out, "w") as f:
    f.write(template + "\n")
    for i in range(count):
        n = "%012d" % i
        body = (template % (n, n)).encode()
        f.write(hmac.new(secret, body, hashlib.sha256).hexdigest() + "\n")
