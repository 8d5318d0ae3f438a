"""A source's rate limit against the real daemon (issue #15): genuine requests over it get 429
with Retry-After and are counted; forged ones do not use the allowance up; other sources are
not affected."""
import re
import urllib.request

from harness import Client, base_config, event_body, request, signed_post, flagright_sig


def test_over_the_rate_limit_is_429_with_retry_after(make_hookd):
    conf = base_config()
    conf["sources"][0]["rate_limit"] = {"per_s": 1, "burst": 3}
    other = dict(conf["sources"][0], name="other", path="/webhooks/other")
    del other["rate_limit"]
    conf["sources"].append(other)
    d = make_hookd(conf)
    c = Client(d.port)
    # Forged requests first: refused with 401, and they take nothing from the allowance.
    for i in range(10):
        body = event_body("forged-%d" % i)
        raw = request("POST", "/webhooks/flagright", body,
                      {"Content-Type": "application/json",
                       "x-flagright-signature": flagright_sig(body, "not-the-secret")})
        assert c.exchange(raw).status == 401
    answers = [c.exchange(signed_post(event_body("rl-%d" % i))) for i in range(6)]
    statuses = [r.status for r in answers]
    assert statuses[:3] == [200, 200, 200]  # the burst
    assert 429 in statuses[3:], statuses    # then about one a second
    limited = [r for r in answers if r.status == 429][0]
    assert int(limited.headers["retry-after"]) >= 1
    assert limited.json() == {"status": "rate_limited"}
    # Another source keeps its own pace.
    r = c.exchange(signed_post(event_body("other-1"), path="/webhooks/other"))
    assert r.status == 200
    metrics = urllib.request.urlopen("http://127.0.0.1:%d/metrics" % d.admin_port).read().decode()
    n = statuses.count(429)
    assert 'hookd_events_total{source="flagright",outcome="rate_limited"} %d' % n in metrics
    d.wait_log(r'msg="rate limit reached: answered 429" source=flagright')
