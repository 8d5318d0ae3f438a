#!/usr/bin/env python3
"""gen_unique.py OUT COUNT [BYTES] -- COUNT distinct Flagright-like events of about BYTES
bytes (default 1024), one "signature<TAB>body" line each, signed with $BENCH_SECRET."""
import hashlib
import hmac
import json
import os
import sys

out, count = sys.argv[1], int(sys.argv[2])
size = int(sys.argv[3]) if len(sys.argv) > 3 else 1024
secret = os.environ["BENCH_SECRET"].encode()
with open(out, "w") as f:
    for i in range(count):
        ev = {"id": "bench-%012d" % i, "type": "USER_STATE_UPDATED",
              "data": {"userId": "U-%d" % i, "state": "BLOCKED", "pad": ""},
              "createdTimestamp": 1764300000000, "triggeredBy": "SYSTEM"}
        body = json.dumps(ev, separators=(",", ":"))
        ev["data"]["pad"] = "x" * max(0, size - len(body))
        body = json.dumps(ev, separators=(",", ":")).encode()
        f.write(hmac.new(secret, body, hashlib.sha256).hexdigest() + "\t" + body.decode() + "\n")
