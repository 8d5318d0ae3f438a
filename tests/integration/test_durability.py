"""The durable store against the real daemon: kill -9 loses nothing answered, a duplicate
storm is delivered once, retries back off into dead letters that the CLI replays, and a full
disk or a failed fsync means 503, never a 2xx for what was not stored."""
import json
import os
import random
import re
import sqlite3
import subprocess
import threading
import time
import urllib.error
import urllib.request
import uuid

import pytest

from harness import (HOOKD, SANITIZED, SECRET, Client, base_config, db_rows, fixture,
                     flagright_sig, signed_post, wait_for)


def body_for(eid, pad=0):
    return json.dumps({"id": eid, "type": "CASE_CLOSED", "data": {"pad": "x" * pad},
                       "createdTimestamp": 1}).encode()


def stored_ids(db):
    return {r[0] for r in db_rows(db, "SELECT event_id FROM events")}


def load(port, stop, answered, prefix, conns=8):
    """Keep-alive clients posting distinct events until stop is set or hookd goes away."""
    def worker(k):
        i = 0
        try:
            c = Client(port, timeout=5)
        except OSError:
            return
        while not stop.is_set() and i < 100000:
            eid = "%s-%d-%d" % (prefix, k, i)
            try:
                c.send(signed_post(body_for(eid)))
                r = c.read_response()
            except (OSError, ConnectionError):
                return
            if r.status == 200:
                answered.append(eid)
            i += 1
    threads = [threading.Thread(target=worker, args=(k,)) for k in range(conns)]
    for t in threads:
        t.start()
    return threads


def test_kill_9_loses_nothing_answered(make_hookd, tmp_path):
    rec = tmp_path / "seen.txt"
    plugins = {"10-rec.json": {"plugin": fixture("recorder"), "name": "rec",
                               "concurrency": 4, "config": {"path": str(rec)}}}
    d = make_hookd(base_config(log={"level": "info", "access": False}), plugins)
    answered = []
    rng = random.Random(7)
    for round_ in range(4):
        stop = threading.Event()
        before = len(answered)
        threads = load(d.port, stop, answered, "r%d" % round_)
        wait_for(lambda: len(answered) > before, 30, "round %d to be answered" % round_)
        time.sleep(rng.uniform(0.3, 1.2))
        d.kill9()  # no chance to finish anything
        stop.set()
        for t in threads:
            t.join(10)
        d.start()  # same directory, same store, a new port
    db = d.dir / "var" / "hookd.db"
    assert len(answered) > 200
    missing = set(answered) - stored_ids(db)
    assert not missing, "answered 200 but not stored: %s" % sorted(missing)[:10]
    # Every answered event is delivered at least once (redeliveries after a crash are fine).
    def all_seen():
        seen = {l.split()[1] for l in rec.read_text().splitlines()} if rec.exists() else set()
        return set(answered) <= seen
    wait_for(all_seen, 60, "every answered event to be delivered")
    pending = db_rows(db, "SELECT count(*) FROM deliveries WHERE state != 'done'")[0][0]
    wait_for(lambda: db_rows(db, "SELECT count(*) FROM deliveries WHERE state != 'done'")[0][0] == 0,
             60, "every delivery to be done (%d pending)" % pending)


def test_duplicate_storm_delivers_once(make_hookd, tmp_path):
    rec = tmp_path / "seen.txt"
    plugins = {"10-a.json": {"plugin": fixture("recorder"), "name": "a",
                             "config": {"path": str(rec)}},
               "20-b.json": {"plugin": fixture("recorder"), "name": "b",
                             "config": {"path": str(rec)}}}
    d = make_hookd(base_config(log={"level": "info", "access": False}), plugins)
    raw = signed_post(body_for("storm-1"))
    statuses = []

    def worker():
        c = Client(d.port)
        for _ in range(50):
            r = c.exchange(raw)
            statuses.append((r.status, r.json()["status"]))
    threads = [threading.Thread(target=worker) for _ in range(20)]  # 1,000 requests at once
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(statuses) == 1000
    assert all(s == 200 for s, _ in statuses)
    assert sum(1 for _, what in statuses if what == "accepted") == 1
    assert sum(1 for _, what in statuses if what == "duplicate") == 999
    wait_for(lambda: rec.exists() and len(rec.read_text().splitlines()) >= 2)
    time.sleep(0.5)  # anything extra would show up now
    lines = rec.read_text().splitlines()
    assert sorted(l.split()[0] for l in lines) == ["a", "b"]


def cli(d, *args):
    p = subprocess.run([HOOKD, *args, "--admin", "127.0.0.1:%d" % d.admin_port],
                       capture_output=True, text=True, timeout=30)
    return p.returncode, p.stdout + p.stderr


def test_retry_backoff_dead_letter_and_replay(make_hookd, tmp_path):
    rec = tmp_path / "seen.txt"
    retry = {"initial_ms": 50, "max_ms": 400, "max_attempts": 6}
    plugins = {"10-flaky.json": {"plugin": fixture("retry_twice"), "name": "flaky",
                                 "retry": retry},
               "20-broken.json": {"plugin": fixture("permanent"), "name": "broken"}}
    d = make_hookd(base_config(), plugins)
    db = d.dir / "var" / "hookd.db"
    assert Client(d.port).exchange(signed_post(body_for("r-1"))).status == 200
    wait_for(lambda: db_rows(db, "SELECT state, attempts FROM deliveries WHERE instance = 'flaky'")
             == [("done", 3)], what="flaky to succeed on attempt 3")
    # Two retries were scheduled, each within its bound, and the bound doubled.
    sched = re.findall(r'msg="retry scheduled" instance=flaky id=r-1 attempt=(\d+) '
                       r'delay_ms=(\d+) bound_ms=(\d+)', d.log())
    assert [int(a) for a, _, _ in sched] == [1, 2]
    assert [int(b) for _, _, b in sched] == [50, 100]
    assert all(1 <= int(x) <= int(b) for _, x, b in sched)
    # PERMANENT goes straight to the dead letters, with the plugin's reason.
    wait_for(lambda: db_rows(db, "SELECT state FROM deliveries WHERE instance = 'broken'")
             == [("dead",)], what="a dead letter")
    rc, out = cli(d, "dlq", "list", "--instance", "broken")
    assert rc == 0 and "broken" in out and "r-1" in out, out
    rc, out = cli(d, "dlq", "replay", "--instance", "broken", "--dry-run")
    assert rc == 0 and '"count": 1' in out and '"dry_run": true' in out
    # Fix the plugin (same instance name, now a recorder) and replay: it is delivered.
    d.write_config(plugins={"10-flaky.json": plugins["10-flaky.json"],
                            "20-broken.json": {"plugin": fixture("recorder"), "name": "broken",
                                               "config": {"path": str(rec)}}})
    rc, out = cli(d, "reload")
    assert rc == 0 and '"result": "ok"' in out, out
    rc, out = cli(d, "dlq", "replay", "--instance", "broken")
    assert rc == 0 and '"count": 1' in out, out
    wait_for(lambda: rec.exists() and "broken r-1 CASE_CLOSED 2" in rec.read_text(),
             what="the replayed delivery")
    rc, out = cli(d, "dlq", "list")
    assert rc == 0 and "(0)" in out


def test_max_attempts_dead_letter(make_hookd):
    plugins = {"10-flaky.json": {"plugin": fixture("retry_twice"), "name": "flaky",
                                 "retry": {"initial_ms": 10, "max_ms": 20, "max_attempts": 2}}}
    d = make_hookd(base_config(), plugins)
    db = d.dir / "var" / "hookd.db"
    Client(d.port).exchange(signed_post(body_for("m-1")))
    wait_for(lambda: db_rows(db, "SELECT state, attempts FROM deliveries") == [("dead", 2)])
    why = db_rows(db, "SELECT last_error FROM deliveries")[0][0]
    assert why.startswith("gave up after 2 attempts (max_attempts)")


def test_unrouted_event_replayed_once_subscribed(make_hookd, tmp_path):
    rec = tmp_path / "seen.txt"
    d = make_hookd(base_config())
    assert Client(d.port).exchange(signed_post(body_for("u-1"))).json()["status"] == "accepted"
    rc, out = cli(d, "dlq", "list", "--unrouted")
    assert rc == 0 and "u-1" in out
    d.write_config(plugins={"10-rec.json": {"plugin": fixture("recorder"), "name": "rec",
                                            "config": {"path": str(rec)}}})
    assert cli(d, "reload")[0] == 0
    rc, out = cli(d, "dlq", "replay", "--unrouted")
    assert rc == 0 and '"count": 1' in out, out
    wait_for(lambda: rec.exists() and "rec u-1 CASE_CLOSED" in rec.read_text())


@pytest.mark.skipif(os.geteuid() != 0, reason="mounting a small tmpfs needs root (CI runs as root)")
def test_full_disk_means_503_then_recovery(make_hookd, tmp_path):
    mnt = tmp_path / "small"
    mnt.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mnt)], check=True)
    try:
        conf = base_config(store={"path": str(mnt / "hookd.db")},
                           log={"level": "info", "access": False})
        d = make_hookd(conf)
        c = Client(d.port)
        answers = []
        for i in range(400):  # 400 x 8 KiB does not fit in 1 MiB
            eid = "full-%d" % i
            r = c.exchange(signed_post(body_for(eid, pad=8000)))
            answers.append((eid, r.status, r.headers.get("retry-after")))
            if r.status == 503 and len([a for a in answers if a[1] == 503]) >= 5:
                break
        refused = [a for a in answers if a[1] == 503]
        assert refused, "the disk never filled up"
        assert all(a[2] for a in refused)  # Retry-After
        accepted = {a[0] for a in answers if a[1] == 200}
        assert accepted <= stored_ids(mnt / "hookd.db")  # every 2xx is stored
        assert not ({a[0] for a in refused} & stored_ids(mnt / "hookd.db"))
        assert "the disk is full" in d.log()
        # Space comes back: a bigger tmpfs over the same files (remount keeps the data).
        subprocess.run(["mount", "-o", "remount,size=64m", str(mnt)], check=True)
        wait_for(lambda: Client(d.port).exchange(signed_post(body_for(str(uuid.uuid4()))))
                 .status == 200, 30, "writes to work again")
        assert "store writes again" in d.log()
        d.stop()
    finally:
        subprocess.run(["umount", "-l", str(mnt)])


def ready(d):
    try:
        return urllib.request.urlopen("http://127.0.0.1:%d/readyz" % d.admin_port).status == 200
    except urllib.error.HTTPError:
        return False


def test_failed_fsync_stops_acknowledging(make_hookd, tmp_path):
    """When fdatasync fails (EIO, injected by an LD_PRELOAD shim while a flag file exists),
    the commit it should have made durable is answered 503, and so is everything after it,
    even once fsync works again: after a failed fsync the kernel may have dropped the dirty
    pages, so only a restart (which reads the store again) may acknowledge anything."""
    flag = tmp_path / "fail-fsync"
    env = {"LD_PRELOAD": fixture("fail_fsync"), "HK_FAIL_FSYNC": str(flag)}
    if SANITIZED:  # the shim is preloaded ahead of the sanitizer's runtime
        env["ASAN_OPTIONS"] = os.environ.get("ASAN_OPTIONS", "") + ":verify_asan_link_order=0"
    conf = base_config(store={"path": "var/hookd.db", "durability": "fsync"},
                       log={"level": "info", "access": False})
    d = make_hookd(conf, env=env, sub="fsync")
    c = Client(d.port)
    assert c.exchange(signed_post(body_for("before"))).status == 200
    assert ready(d)
    flag.touch()
    r = c.exchange(signed_post(body_for("during")))
    assert r.status == 503 and r.headers.get("retry-after")
    assert "fsync of the store's WAL failed" in d.log()
    assert not ready(d)
    flag.unlink()
    r = c.exchange(signed_post(body_for("after")))
    assert r.status == 503, "acknowledged after a failed fsync without a restart"
    assert not ready(d)
    d.stop()
    ids = stored_ids(d.dir / "var" / "hookd.db")
    assert "before" in ids and "after" not in ids  # "during" may be there: it was refused
    d.start()
    c = Client(d.port)
    assert c.exchange(signed_post(body_for("after"))).status == 200
    assert ready(d)


def test_retention_prunes_delivered_events_but_keeps_dead_letters(make_hookd, tmp_path):
    rec = tmp_path / "seen.txt"
    conf = base_config(store={"dedup_window": "2s", "prune_interval": "1s"})
    plugins = {"10-rec.json": {"plugin": fixture("recorder"), "name": "rec",
                               "config": {"path": str(rec)}},
               "20-dead.json": {"plugin": fixture("permanent"), "name": "dead",
                                "events": ["CASE_OPENED"]}}
    d = make_hookd(conf, plugins)
    db = d.dir / "var" / "hookd.db"
    c = Client(d.port)
    assert c.exchange(signed_post(body_for("keep-me"))).json()["status"] == "accepted"
    dead = json.dumps({"id": "dead-1", "type": "CASE_OPENED", "data": {},
                       "createdTimestamp": 1}).encode()
    assert c.exchange(signed_post(dead)).json()["status"] == "accepted"
    assert c.exchange(signed_post(body_for("keep-me"))).json()["status"] == "duplicate"
    # Once older than the window and delivered, the event is pruned: the same id is new again.
    wait_for(lambda: "keep-me" not in stored_ids(db), 30, "the delivered event to be pruned")
    assert "dead-1" in stored_ids(db)  # dead letters stay until replayed or purged
    assert c.exchange(signed_post(body_for("keep-me"))).json()["status"] == "accepted"
    assert "pruned events older than the dedup window" in d.log()


def test_wal_is_checkpointed_and_stays_bounded(make_hookd):
    """The WAL is copied into the database and reused, not grown without end: a read left
    open on the writer's connection once kept every event in the WAL (the database stayed
    at one page while the WAL grew by ~4 KiB per event)."""
    conf = base_config(store={"path": "var/hookd.db", "durability": "fsync"},
                       log={"level": "info", "access": False})
    d = make_hookd(conf)
    errors = []

    def send(k):
        try:
            c = Client(d.port)
            for i in range(200):  # ~2 pages each: 8 x 200 events pass several checkpoints
                r = c.exchange(signed_post(body_for("wal-%d-%d" % (k, i), pad=6000)))
                assert r.status == 200, r.status
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)
    threads = [threading.Thread(target=send, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    db = d.dir / "var" / "hookd.db"
    wal = d.dir / "var" / "hookd.db-wal"
    checkpoint_bytes = 1000 * 4096  # WAL_CHECKPOINT_PAGES in core/store/sqlite/schema.c
    assert db.stat().st_size > checkpoint_bytes, "nothing was checkpointed into the database"
    # At most a checkpoint's worth plus the batch that reached it; over 13 MB (two pages or
    # more for each of the 1,600 events) if the WAL were never restarted.
    assert wal.stat().st_size < 2 * checkpoint_bytes
    assert len(stored_ids(db)) == 1600


def test_operator_output_is_readable_and_keeps_no_credentials(make_hookd):
    """hookd status is a few lines for a person (--json: one document); dlq list keeps each
    dead letter on one line; dlq show never prints a signature or a credential, and the store
    keeps neither (issue #16, item 10)."""
    plugins = {"20-broken.json": {"plugin": fixture("permanent"), "name": "broken",
                                  "config": {"message": "downstream said no:\nHTTP 422\n"}}}
    d = make_hookd(base_config(), plugins)
    rc, out = cli(d, "status")
    assert rc == 0, out
    lines = out.splitlines()
    assert lines[0] == "hookd at 127.0.0.1:%d: ready, generation 1" % d.admin_port, out
    assert "last reload    none since hookd started" in lines, out
    rc, out = cli(d, "status", "--json")
    doc = json.loads(out)  # one document, not two back to back
    assert doc["ready"]["status"] == "ready" and doc["reload"]["result"] is None
    assert cli(d, "reload")[0] == 0
    rc, out = cli(d, "status")
    assert re.search(r"^last reload    ok at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ: reloaded$", out,
                     re.M), out

    body = body_for("cred-1")
    raw = signed_post(body, extra={"Authorization": "Bearer top-secret-token",
                                   "X-Request-Source": "flagright-eu"})
    assert Client(d.port).exchange(raw).status == 200
    db = d.dir / "var" / "hookd.db"
    wait_for(lambda: db_rows(db, "SELECT state FROM deliveries") == [("dead",)])
    stored = db_rows(db, "SELECT headers FROM events")[0][0]
    assert "x-request-source: flagright-eu" in stored.lower()  # facts about the event stay
    assert "signature" not in stored.lower() and "top-secret-token" not in stored
    rc, out = cli(d, "dlq", "list")
    assert rc == 0
    row = [l for l in out.splitlines() if "cred-1" in l]
    assert len(row) == 1 and row[0].endswith("downstream said no: HTTP 422"), out
    delivery = row[0].split()[0]
    rc, out = cli(d, "dlq", "show", delivery)
    assert rc == 0 and "cred-1" in out
    assert flagright_sig(body, SECRET) not in out and "top-secret-token" not in out


def test_dlq_show_masks_signatures_a_store_of_an_earlier_version_kept(make_hookd):
    """A store written before signatures were left out still holds them: show masks them."""
    plugins = {"20-broken.json": {"plugin": fixture("permanent"), "name": "broken"}}
    d = make_hookd(base_config(), plugins)
    body = body_for("old-1")
    assert Client(d.port).exchange(signed_post(body)).status == 200
    db = d.dir / "var" / "hookd.db"
    wait_for(lambda: db_rows(db, "SELECT state FROM deliveries") == [("dead",)])
    d.stop()
    sig = flagright_sig(body, SECRET)
    con = sqlite3.connect(str(db))
    con.execute("UPDATE events SET headers = headers || ?",
                ("x-flagright-signature: %s\ncookie: session=abc\n" % sig,))
    con.commit()
    con.close()
    d.start()
    rc, out = cli(d, "dlq", "show", "1")
    assert rc == 0 and "old-1" in out, out
    assert sig not in out and "session=abc" not in out
    assert "x-flagright-signature: [redacted]" in out and "cookie: [redacted]" in out


def test_a_resend_after_a_restart_is_answered_from_memory_again(make_hookd):
    """Senders resend for days: a resend of an event committed before a restart is found in
    the store once, then remembered (with the original's receive time), so further resends do
    not reach the writer."""
    d = make_hookd(base_config())
    body = body_for("resent-1")
    assert Client(d.port).exchange(signed_post(body)).json()["status"] == "accepted"
    d.stop()
    d.start()  # the table of recent events starts empty

    def writer_ops():
        text = urllib.request.urlopen("http://127.0.0.1:%d/metrics" % d.admin_port).read()
        return int(re.search(rb"^hookd_store_batch_size_sum (\d+)$", text, re.M).group(1))

    for _ in range(3):
        r = Client(d.port).exchange(signed_post(body))
        assert r.json()["status"] == "duplicate"
    assert writer_ops() == 1  # only the first resend asked the store
