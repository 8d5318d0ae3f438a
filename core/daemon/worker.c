/* worker.c -- the worker process's side of isolation (see worker.h). */
#include "daemon/worker.h"

#include "base/buf.h"
#include "base/clock.h"
#include "base/err.h"
#include "base/errmsg.h"
#include "conf/conf.h"
#include "daemon/crash.h"
#include "daemon/runtime_dir.h"
#include "event/event.h"
#include "plugin/instance.h"
#include "plugin/wire.h"
#include "store/delivery.h"

#include <errno.h>
#include <grp.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#define READ_CHUNK 65536

struct worker {
    int fd;
    struct hk_buf in;  /* bytes read, the frame being assembled at the front */
    struct hk_buf out; /* the frame being written */
    struct hk_instance_conf ic;
    char *name, *so_path;
    json_t *config;
    struct hk_instance *inst;
};

/* Reads until one whole frame is at the front of w->in; its length, or 0 at a clean end of
 * input, or a negative code. */
static int64_t read_frame(struct worker *w)
{
    for (;;) {
        int64_t n = hk_wire_frame_len(w->in.data, w->in.len);
        if (n < 0 || (n > 0 && (size_t)n <= w->in.len))
            return n;
        if (hk_buf_reserve(&w->in, READ_CHUNK) != 0)
            return HK_ENOMEM;
        ssize_t got = read(w->fd, w->in.data + w->in.len, READ_CHUNK);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            return got == 0 && w->in.len == 0 ? 0 : got == 0 ? HK_EPARSE : -errno;
        w->in.len += (size_t)got;
    }
}

static int write_out(struct worker *w)
{
    size_t at = 0;
    while (at < w->out.len) {
        ssize_t n = write(w->fd, w->out.data + at, w->out.len - at);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        at += (size_t)n;
    }
    w->out.len = 0;
    return 0;
}

/* Drops to uid:gid for good (no supplementary groups) before any plugin code runs. */
static int become(uint32_t uid, uint32_t gid)
{
    if (setgroups(0, NULL) != 0 || setgid((gid_t)gid) != 0 || setuid((uid_t)uid) != 0)
        return -errno;
    return 0;
}

/* Lowers a resource limit of this process before any plugin code runs; 0 keeps it. */
static int limit(int resource, uint64_t value)
{
    struct rlimit rl = {.rlim_cur = (rlim_t)value, .rlim_max = (rlim_t)value};
    return value == 0 || setrlimit(resource, &rl) == 0 ? 0 : -errno;
}

/* The instance of INIT: loaded, checked and initialised, or the reason why not in err. */
static int start_instance(struct worker *w, const struct hk_wire_init *m, char *err, size_t cap)
{
    json_error_t je;
    w->name = hk_wire_strdup(m->name);
    w->so_path = hk_wire_strdup(m->so_path);
    w->config = m->config.n ? json_loadb(m->config.p, m->config.n, 0, &je) : NULL;
    if (!w->name || !w->so_path)
        return hk_errmsg(err, cap, HK_ENOMEM, "out of memory");
    if (m->config.n && !json_is_object(w->config))
        return hk_errmsg(err, cap, HK_EINVAL, "instance %s: its config is not a JSON object",
                         w->name);
    w->ic = (struct hk_instance_conf){.file = w->name,
                                      .plugin = w->so_path,
                                      .so_path = w->so_path,
                                      .name = w->name,
                                      .concurrency = 1,
                                      .config = w->config};
    int rc = m->drop ? become(m->uid, m->gid) : 0;
    if (rc)
        return hk_errmsg(err, cap, rc,
                         "instance %s: cannot run as uid %u gid %u: %s: hookd must start as "
                         "root to name a \"user\"",
                         w->name, m->uid, m->gid, hk_strerror(rc));
    rc = hk_runtime_dir_create(); /* after the drop: the plugin's copy is the user's */
    if (rc)
        return hk_errmsg(err, cap, rc, "cannot make the directory for plugin copies");
    if ((rc = limit(RLIMIT_NOFILE, m->open_files)) != 0 ||
        (rc = limit(RLIMIT_AS, m->memory_max)) != 0)
        return hk_errmsg(err, cap, rc, "instance %s: cannot set the worker's limits: %s", w->name,
                         hk_strerror(rc));
    return hk_instance_create(&w->ic, &w->inst, err, cap);
}

static int hello(struct worker *w, int rc, const char *err)
{
    static struct hk_wire_hello h; /* large: not on the stack */
    memset(&h, 0, sizeof h);
    h.ok = rc == 0;
    h.error = hk_wire_cstr(rc ? err : "");
    if (rc == 0) {
        const hookd_plugin *d = w->inst->lib->desc;
        h.flags = d->flags;
        h.plugin = hk_wire_cstr(d->name);
        h.version = hk_wire_cstr(d->version);
        for (const char *const *s = d->subscribe; *s && h.nsubscribe < HK_WIRE_SUBSCRIBE_MAX; s++)
            h.subscribe[h.nsubscribe++] = hk_wire_cstr(*s);
    }
    int w_rc = hk_wire_put_hello(&w->out, &h);
    return w_rc ? w_rc : write_out(w);
}

/* The instance's counters and gauges as they are now. */
static void metrics(const struct hk_instance *inst, struct hk_wire_result *r)
{
    const struct hk_metric_set *s = inst->metrics;
    unsigned n = atomic_load(&s->n);
    for (unsigned i = 0; i < n && r->nmetrics < HK_WIRE_METRICS_MAX; i++)
        r->metrics[r->nmetrics++] =
            (struct hk_wire_metric){hk_wire_cstr(s->metrics[i].name), s->metrics[i].is_gauge,
                                    atomic_load(&s->metrics[i].value)};
}

static int handle(struct worker *w, const uint8_t *p, size_t n)
{
    struct hk_wire_event ev;
    if (hk_wire_get_event(p, n, &ev) != 0)
        return HK_EPARSE;
    char *id = hk_wire_strdup(ev.id), *type = hk_wire_strdup(ev.type),
         *source = hk_wire_strdup(ev.source);
    char *headers = hk_wire_strdup(ev.headers);
    struct hk_event_rec *e = id && type && source && headers
                                 ? hk_event_load(ev.delivery, source, id, type, ev.created_ms,
                                                 ev.received_ms, ev.body.p, ev.body.n, headers)
                                 : NULL;
    free(id);
    free(type);
    free(source);
    free(headers);
    if (!e)
        return HK_ENOMEM;
    struct hk_plugin_event pe = {
        .ev = {.struct_size = sizeof(hookd_event),
               .attempt = ev.attempt,
               .id = e->id,
               .type = e->type,
               .source = e->source,
               .created_ms = e->created_ms,
               .received_ms = e->received_ms,
               .deadline_ms = ev.timeout_ms, /* relative here; made absolute below */
               .body = e->body,
               .body_len = e->body_len},
        .headers = e->headers,
        .nheaders = e->nheaders,
        .delivery = ev.delivery,
    };
    static struct hk_wire_result r;
    char error[HK_ERROR_TEXT_MAX];
    memset(&r, 0, sizeof r);
    pe.ev.deadline_ms += hk_mono_ms();
    r.delivery = ev.delivery;
    r.result = hk_instance_handle(w->inst, &pe, error, sizeof error);
    r.error = hk_wire_cstr(error);
    metrics(w->inst, &r);
    int rc = hk_wire_put_result(&w->out, &r);
    hk_event_release(e);
    return rc ? rc : write_out(w);
}

static void worker_free(struct worker *w)
{
    hk_instance_destroy(w->inst); /* fini() */
    json_decref(w->config);
    free(w->name);
    free(w->so_path);
    hk_buf_free(&w->in);
    hk_buf_free(&w->out);
}

int hk_worker_main(int fd)
{
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISSOCK(st.st_mode)) {
        fprintf(stderr, "hookd worker: hookd starts this mode itself, to run a plugin instance "
                        "in a process of its own; it is not a command to run\n");
        return 2;
    }
    struct worker w = {.fd = fd};
    hk_crash_handlers_install(); /* a crash names its instance and event, here too */
    struct hk_wire_init init;
    char err[HK_ERRMSG_MAX] = "";
    int64_t n = read_frame(&w);
    int rc = n <= 0 ? HK_EPARSE : hk_wire_get_init(w.in.data, (size_t)n, &init);
    if (rc == 0)
        rc = start_instance(&w, &init, err, sizeof err);
    else
        snprintf(err, sizeof err, "the worker's first message was not INIT");
    if (hello(&w, rc, err) != 0 || rc != 0) {
        worker_free(&w);
        return 1;
    }
    hk_buf_consume(&w.in, (size_t)n);
    while ((n = read_frame(&w)) > 0 && handle(&w, w.in.data, (size_t)n) == 0)
        hk_buf_consume(&w.in, (size_t)n);
    worker_free(&w);
    return n == 0 ? 0 : 1;
}
