/* feed.c -- hookd-plugin-run: turning JSON lines into deliveries. */
#include "plugin_run.h"

#include "base/clock.h"
#include "base/err.h"
#include "base/errmsg.h"
#include "plugin/isolated.h"
#include "plugin/remote.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define CRASHED  3     /* beside hookd_result: an isolated instance's worker died */
#define START_MS 30000 /* a worker's init() and HELLO, at the most */
#define STOP_MS  5000

static struct hk_remote *worker; /* an isolated instance's, started when first needed */

static const char *result_name(int r)
{
    switch (r) {
    case CRASHED:
        return "CRASHED";
    case HOOKD_OK:
        return "OK";
    case HOOKD_RETRY:
        return "RETRY";
    case HOOKD_PERMANENT:
        return "PERMANENT";
    }
    return "INVALID";
}

/* Fills the envelope fields of ev from the parsed line; false (with a message) if the line
 * lacks them. Strings point into root. */
static bool envelope(const struct pr_opts *o, json_t *root, hookd_event *ev, size_t lineno)
{
    json_t *id = json_object_get(root, o->id_field);
    json_t *type = json_object_get(root, o->type_field);
    json_t *created = json_object_get(root, o->created_field);
    if (!json_is_string(id) || !json_is_string(type)) {
        fprintf(stderr,
                "%s:%zu: no string \"%s\" and \"%s\" members: give each event an id and a "
                "type, or name other members with --id-field and --type-field\n",
                o->events, lineno, o->id_field, o->type_field);
        return false;
    }
    ev->id = json_string_value(id);
    ev->type = json_string_value(type);
    ev->created_ms = json_is_integer(created) ? json_integer_value(created) : 0;
    return true;
}

/* One call in the instance's worker process, started when there is none. */
static int call_worker(struct hk_instance *inst, struct hk_plugin_event *pe)
{
    static struct hk_wire_hello hello;
    char err[HK_ERRMSG_MAX], *json = NULL;
    struct hk_wire_init init;
    hookd_result r = HOOKD_RETRY;
    int rc = worker ? 0 : hk_isolated_init_msg(inst->conf, &init, &json);
    if (rc == 0 && !worker)
        rc = hk_remote_start(hk_isolated_exe(), &init, START_MS, &worker, &hello, err, sizeof err);
    free(json);
    if (rc) {
        fprintf(stderr, "hookd-plugin-run: the worker did not start: %s\n", err);
        return CRASHED;
    }
    enum hk_remote_end end =
        hk_remote_call(worker, pe, inst->conf->timeout_ms, &r, err, sizeof err);
    if (end == HK_REMOTE_ANSWERED)
        return r;
    fprintf(stderr, "hookd-plugin-run: event %s: %s\n", pe->ev.id, err);
    hk_remote_stop(worker, 0);
    worker = NULL;
    return end == HK_REMOTE_CRASHED ? CRASHED : HOOKD_RETRY;
}

static int deliver(const struct pr_opts *o, struct hk_instance *inst, struct hk_plugin_event *pe)
{
    int r = HOOKD_RETRY;
    for (uint32_t attempt = 1; attempt <= o->attempts && r == HOOKD_RETRY; attempt++) {
        pe->ev.attempt = attempt;
        pe->ev.deadline_ms = hk_mono_ms() + inst->conf->timeout_ms;
        r = inst->conf->isolated ? call_worker(inst, pe)
                                 : (int)hk_instance_handle(inst, pe, NULL, 0);
    }
    return r;
}

void pr_feed_end(void)
{
    hk_remote_stop(worker, STOP_MS);
    worker = NULL;
}

static void count(struct pr_counts *c, int r)
{
    if (r == CRASHED)
        c->crashed++;
    else if (r == HOOKD_OK)
        c->ok++;
    else if (r == HOOKD_RETRY)
        c->retry++;
    else
        c->permanent++; /* an invalid result is treated as a failure too */
}

/* One line: parse, deliver, print. The body is the line itself, as received. */
static void feed_line(const struct pr_opts *o, struct hk_instance *inst, char *line, size_t len,
                      size_t lineno, FILE *out, struct pr_counts *c)
{
    json_error_t e;
    json_t *root = json_loadb(line, len, 0, &e);
    struct hk_plugin_event pe = {
        .ev = {.struct_size = sizeof(hookd_event),
               .source = o->source,
               .received_ms = hk_wall_ms(),
               .body = (const uint8_t *)line,
               .body_len = len},
        .headers = o->headers,
        .nheaders = o->nheaders,
        .headers_text = (const char *)o->headers_text.data,
    };
    if (!json_is_object(root)) {
        fprintf(stderr, "%s:%zu: not a JSON object (%s): write one event per line\n", o->events,
                lineno, root ? "another JSON value" : e.text);
        c->bad_lines++;
    } else if (!envelope(o, root, &pe.ev, lineno)) {
        c->bad_lines++;
    } else if (!hk_instance_wants(inst, pe.ev.type, o->source)) {
        fprintf(out, "%s %s SKIPPED\n", pe.ev.id, pe.ev.type); /* hookd would not deliver it */
        fflush(out);
    } else {
        int r = deliver(o, inst, &pe);
        fprintf(out, "%s %s %s\n", pe.ev.id, pe.ev.type, result_name(r));
        fflush(out);
        count(c, r);
    }
    json_decref(root);
}

static bool blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!strchr(" \t\r\n", s[i]))
            return false;
    return true;
}

int pr_feed(const struct pr_opts *o, struct hk_instance *inst, FILE *in, FILE *out,
            struct pr_counts *counts)
{
    char *line = NULL;
    size_t cap = 0, lineno = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, in)) >= 0) {
        lineno++;
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            line[--n] = 0;
        if (!blank(line, (size_t)n))
            feed_line(o, inst, line, (size_t)n, lineno, out, counts);
    }
    int rc = ferror(in) ? HK_EIO : 0;
    free(line);
    return rc;
}
