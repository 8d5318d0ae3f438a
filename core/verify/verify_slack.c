/* verify_slack.c -- Slack: X-Slack-Signature: v0=<hex HMAC-SHA256 of "v0:" ts ":" body>, with
 * ts from X-Slack-Request-Timestamp, which must be within tolerance_s (default 300 s) of now.
 * The key is the app's signing secret's bytes.
 *
 * Slack sends three kinds of request to one app, and the defaults cover what can be reached:
 *  - Events API: JSON {"type":"event_callback","event_id":"Ev..","event_time":<s>,
 *    "event":{"type":"app_mention",..}}. event_id stays the same when Slack retries (it adds
 *    X-Slack-Retry-Num), so it is the id; event.type is the type. Top-level-only events
 *    ("url_verification", "app_rate_limited") have no event object: "/type" gives theirs.
 *  - Slash commands: a form with command=/deploy and trigger_id. The command is the type and
 *    trigger_id the id (slash commands are never retried, so any unique value will do).
 *  - Interactivity (buttons, modals, shortcuts): a form with one field, payload=<JSON>. Its
 *    type and ids are inside that JSON, which the candidate syntax cannot reach; such a
 *    source sets its own id/type, or hookd stores these events as invalid (never dropped).
 * The creation time is event_time (seconds) or, for forms, the signed request timestamp.
 *
 * When an app's Request URL is set, Slack first sends a signed url_verification request and
 * enables the URL only if the answer holds its "challenge": slack_handshake answers it (it is
 * not an event and is not stored). */
#include "verify/verify.h"

#include "base/err.h"
#include "base/json_scan.h"

#include <string.h>

#define SIGNATURE_HEADER "x-slack-signature"
#define TIMESTAMP_HEADER "x-slack-request-timestamp"
#define SIGNATURE_PREFIX "v0="
#define BASE_PREFIX      "v0:"

static int slack_check(const struct hk_verifier *v, const struct hk_verify_req *req)
{
    const struct hk_header *sig = hk_header_find(req->headers, req->nheaders, SIGNATURE_HEADER);
    const struct hk_header *ts = hk_header_find(req->headers, req->nheaders, TIMESTAMP_HEADER);
    size_t plen = strlen(SIGNATURE_PREFIX);
    if (!sig || sig->value_len == 0)
        return HK_EUNSIGNED;
    if (!ts || sig->value_len <= plen || memcmp(sig->value, SIGNATURE_PREFIX, plen) != 0)
        return HK_EAUTH;
    int64_t t;
    /* Checked after the MAC so HK_ESTALE only ever describes a genuine, old request. */
    int fresh = hk_verify_timestamp(v, ts->value, ts->value_len, req->now_s, &t);
    if (fresh == HK_EAUTH)
        return HK_EAUTH;
    const struct hk_span parts[] = {
        {BASE_PREFIX, strlen(BASE_PREFIX)},
        {ts->value, ts->value_len},
        {":", 1},
        {req->body, req->body_len},
    };
    struct hk_macs macs;
    if (hk_verifier_macs(v, parts, sizeof parts / sizeof parts[0], &macs))
        return HK_EAUTH;
    if (!hk_macs_match_hex(&macs, sig->value + plen, sig->value_len - plen))
        return HK_EAUTH;
    return fresh;
}

static bool slack_handshake(const uint8_t *body, size_t len, struct hk_buf *out)
{
    static const char kind[] = "url_verification";
    struct hk_json_want w[] = {{.pointer = "/type"}, {.pointer = "/challenge"}};
    char type[sizeof kind];
    size_t type_len;
    if (hk_json_scan(body, len, w, 2, NULL) != 0 || w[0].kind != HK_JSON_STRING ||
        w[1].kind != HK_JSON_STRING)
        return false;
    if (hk_json_string(body + w[0].off, w[0].len, type, sizeof type, &type_len) != 0 ||
        type_len != sizeof kind - 1 || memcmp(type, kind, type_len) != 0)
        return false;
    /* The challenge's text is a valid JSON string already: it is copied as it came. */
    return hk_buf_puts(out, "{\"challenge\":") == 0 &&
           hk_buf_append(out, body + w[1].off, w[1].len) == 0 && hk_buf_puts(out, "}") == 0;
}

static const char *const slack_keys[] = {"tolerance_s", NULL};
static const char *const slack_signature_headers[] = {SIGNATURE_HEADER, NULL};
static const char *const slack_types[] = {"application/json", "application/x-www-form-urlencoded",
                                          NULL};

const struct hk_scheme hk_scheme_slack = {
    .name = "slack",
    .keys = slack_keys,
    .needs_secrets = true,
    .hash = HK_SHA256,
    .check = slack_check,
    .default_id = "/event_id | form:trigger_id",
    .default_type = "/event/type | /type | form:command",
    .default_created = "/event_time | header:x-slack-request-timestamp",
    .created_scale_ms = 1000,
    .signature_headers = slack_signature_headers,
    .content_types = slack_types,
    .handshake = slack_handshake,
};
