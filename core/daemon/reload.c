/* reload.c -- reloading the configuration without dropping a request (see reload.h). */
#include "daemon/reload.h"

#include "base/clock.h"
#include "daemon/notify.h"
#include "daemon/upgrade.h"
#include "base/err.h"
#include "base/link.h"
#include "base/log.h"
#include "daemon/server.h"
#include "deliver/dispatch.h"
#include "ingress/ingress.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PROBE_OUTPUT_MAX   8192
#define PROBE_TIMEOUT_MS   120000
#define PROBE_EOF_GRACE_MS 1000

struct hk_reload_waiter {
    struct hk_task task;
    struct hk_reload_waiter *next;
    void (*done)(void *user, const struct hk_reload_status *st);
    void *user;
    struct hk_task_queue *reply_to;
    struct hk_reload_status st;
};

/* The probe: `hookd -t -c DIR` in a child process. It ends when the child has exited and
 * its output has been read to the end (or PROBE_EOF_GRACE_MS after the exit, should some
 * grandchild keep the pipe open). */
struct hk_probe {
    uv_process_t proc;
    uv_pipe_t out;
    uv_timer_t timer;
    struct hk_server *s;
    struct hk_buf text;
    int64_t exit_status;
    int term_signal;
    int open_handles;
    bool exited, eof, closing;
};

static void run_reload(struct hk_server *s);

/* ---- status ---- */

void hk_reload_status_now(struct hk_server *s, struct hk_reload_status *out)
{
    pthread_mutex_lock(&s->reload_mu);
    *out = s->reload;
    pthread_mutex_unlock(&s->reload_mu);
}

static void notify_cb(struct hk_task *t)
{
    struct hk_reload_waiter *w = HK_CONTAINER_OF(t, struct hk_reload_waiter, task);
    w->done(w->user, &w->st);
    free(w);
}

static void finish(struct hk_server *s, bool ok, const char *message)
{
    pthread_mutex_lock(&s->reload_mu);
    struct hk_reload_status *st = &s->reload;
    st->in_progress = false;
    st->ok = ok;
    st->time_ms = hk_wall_ms();
    st->generation = s->gen->number;
    snprintf(st->hash, sizeof st->hash, "%s", s->gen->conf->hash);
    snprintf(st->message, sizeof st->message, "%s", message);
    struct hk_reload_waiter *w = s->reload_waiters;
    s->reload_waiters = NULL;
    bool again = s->reload_pending;
    s->reload_pending = false;
    for (struct hk_reload_waiter *x = w; x; x = x->next)
        x->st = *st;
    pthread_mutex_unlock(&s->reload_mu);
    atomic_fetch_add(ok ? &s->reloads_ok : &s->reloads_failed, 1);
    hk_notify_reloaded(s->gen->number, ok, s->gen->conf->hash);
    if (ok)
        hk_log(HK_LOG_INFO, "reloaded", HK_I("generation", s->gen->number),
               HK_S("hash", s->gen->conf->hash));
    else
        hk_log(HK_LOG_ERROR, "reload failed: the previous configuration keeps serving",
               HK_S("problem", message), HK_I("generation", s->gen->number));
    while (w) {
        struct hk_reload_waiter *next = w->next;
        w->task.run = notify_cb;
        hk_task_post(w->reply_to, &w->task);
        w = next;
    }
    if (again && !s->stopping)
        run_reload(s);
}

/* ---- the swap on every I/O thread ---- */

struct hk_swap {
    struct hk_task task;
    struct hk_io *io;
    struct hk_gen *gen; /* one reference, handed to the I/O thread */
    int fds[HK_LISTEN_MAX];
    const struct hk_listen_conf *add[HK_LISTEN_MAX];
    size_t nadd;
    char *remove[HK_LISTEN_MAX];
    size_t nremove;
};

static void swap_cb(struct hk_task *t)
{
    struct hk_swap *sw = HK_CONTAINER_OF(t, struct hk_swap, task);
    struct hk_io *io = sw->io;
    struct hk_gen *old = io->gen;
    io->gen = sw->gen;
    for (size_t i = 0; i < sw->nremove; i++) {
        hk_io_close_listener(io, sw->remove[i]);
        free(sw->remove[i]);
    }
    for (size_t i = 0; i < sw->nadd; i++)
        if (io->stopping)
            close(sw->fds[i]);
        else
            hk_io_add_listener(io, sw->fds[i], sw->add[i], &hk_ingress_handler, io->server->store);
    hk_gen_release(old);
    free(sw);
}

static const struct hk_listen_conf *find_listen(const struct hk_conf *c, const char *address)
{
    for (size_t i = 0; i < c->nlisten; i++)
        if (strcmp(c->listen[i].address, address) == 0)
            return &c->listen[i];
    return NULL;
}

/* Sockets for the listeners the new configuration adds, one per source I/O thread. */
static int open_added(struct hk_server *s, const struct hk_conf *old, const struct hk_conf *nc,
                      struct hk_swap **sw, char *err, size_t cap)
{
    int fds[HK_IO_MAX];
    for (size_t k = 0; k < nc->nlisten; k++) {
        const struct hk_listen_conf *lc = &nc->listen[k];
        if (find_listen(old, lc->address))
            continue;
        int rc = hk_server_probe_free(lc);
        if (rc == 0)
            rc = hk_server_listen_fds(lc, s->nio, fds, "listening");
        if (rc) {
            snprintf(err, cap, "cannot listen on %s: %s: free the address or change \"listen\"",
                     lc->address, hk_strerror(rc));
            return rc;
        }
        for (unsigned i = 0; i < s->nio; i++) {
            sw[i]->fds[sw[i]->nadd] = fds[i];
            sw[i]->add[sw[i]->nadd++] = lc;
        }
        hk_log(HK_LOG_INFO, "listener added", HK_S("address", lc->address));
    }
    return 0;
}

static void close_fds(struct hk_swap **sw, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        for (size_t k = 0; k < sw[i]->nadd; k++)
            close(sw[i]->fds[k]);
}

static void plan_removed(struct hk_server *s, const struct hk_conf *old, const struct hk_conf *nc,
                         struct hk_swap **sw)
{
    for (size_t k = 0; k < old->nlisten; k++) {
        if (find_listen(nc, old->listen[k].address))
            continue;
        hk_log(HK_LOG_INFO, "listener removed", HK_S("address", old->listen[k].address));
        for (unsigned i = 0; i < s->nio; i++)
            sw[i]->remove[sw[i]->nremove++] = strdup(old->listen[k].address);
    }
}

/* ---- building and swapping ---- */

static int needs_restart(const struct hk_conf *a, const struct hk_conf *b, char *err, size_t cap)
{
    if (a->io_threads != b->io_threads)
        snprintf(err, cap, "io_threads changed from %u to %u: restart hookd to apply it",
                 a->io_threads, b->io_threads);
    else if (a->check_threads != b->check_threads)
        snprintf(err, cap, "check_threads changed from %u to %u: restart hookd to apply it",
                 a->check_threads, b->check_threads);
    else if (strcmp(a->store.path, b->store.path) || a->store.durability != b->store.durability)
        snprintf(err, cap, "the store (path or durability) changed: restart hookd to apply it");
    else if ((a->admin_address == NULL) != (b->admin_address == NULL) ||
             (a->admin_address && strcmp(a->admin_address, b->admin_address)))
        snprintf(err, cap, "the admin address changed: restart hookd to apply it");
    else if ((a->admin_socket == NULL) != (b->admin_socket == NULL) ||
             (a->admin_socket && strcmp(a->admin_socket, b->admin_socket)))
        snprintf(err, cap, "the admin socket changed: restart hookd to apply it");
    else
        return 0;
    return HK_ECONF;
}

static void swap_in(struct hk_server *s, struct hk_gen *gen, struct hk_swap **sw)
{
    pthread_mutex_lock(&s->gen_mu);
    struct hk_gen *old = s->gen;
    s->gen = gen;
    pthread_mutex_unlock(&s->gen_mu);
    hk_log_configure((enum hk_log_level)gen->conf->log_level,
                     (enum hk_log_format)gen->conf->log_format);
    hk_dispatch_apply(&s->dispatch, gen); /* cannot fail: build() reserved its lanes */
    for (unsigned i = 0; i < s->nio_all; i++) {
        sw[i]->io = s->io[i];
        sw[i]->gen = hk_gen_acquire(gen);
        sw[i]->task.run = swap_cb;
        hk_task_post(&s->io[i]->tasks, &sw[i]->task);
    }
    s->drain_check_gen = old->number;
    hk_gen_release(old);
}

static void drain_cb(uv_timer_t *t)
{
    struct hk_server *s = t->data;
    /* Removed instances that drain hold old generations: the watchdog ends them on time. */
    size_t draining = hk_dispatch_end_drains(&s->dispatch, hk_mono_ms());
    unsigned live = hk_gen_live();
    if (live > 1 && draining == 0)
        hk_log(HK_LOG_WARN,
               "an old generation is still in use after the drain timeout: a "
               "handler is still running; its plugin stays loaded until it returns",
               HK_I("old_generation", (int64_t)s->drain_check_gen), HK_I("live_generations", live),
               HK_I("drain_timeout_ms", s->gen->conf->reload_drain_timeout_ms));
}

static void build(struct hk_server *s)
{
    char err[2048] = "";
    struct hk_diags d = {0};
    struct hk_conf *conf = NULL;
    struct hk_gen *gen = NULL;
    struct hk_swap *sw[HK_IO_MAX] = {0};
    int rc = hk_conf_load(s->confdir, &d, &conf);
    if (rc == 0 && (rc = needs_restart(s->gen->conf, conf, err, sizeof err)) != 0)
        hk_conf_free(conf);
    else if (rc == 0)
        rc = hk_gen_build(conf, s->next_gen_number + 1, &s->control, &d, &gen);
    for (unsigned i = 0; rc == 0 && i < s->nio_all; i++)
        rc = (sw[i] = calloc(1, sizeof *sw[i])) ? 0 : HK_ENOMEM;
    if (rc == 0 && (rc = hk_dispatch_reserve(&s->dispatch, gen)) != 0)
        snprintf(err, sizeof err,
                 "no memory for the queues of the new plugin instances: the running "
                 "configuration keeps serving; free memory and reload again");
    if (rc == 0 && (rc = open_added(s, s->gen->conf, gen->conf, sw, err, sizeof err)) != 0)
        close_fds(sw, s->nio);
    if (rc) {
        char *joined = hk_diags_join(&d);
        finish(s, false, joined ? joined : err[0] ? err : hk_strerror(rc));
        free(joined);
        hk_diags_free(&d);
        for (unsigned i = 0; i < HK_IO_MAX; i++)
            free(sw[i]);
        if (gen)
            hk_gen_release(gen); /* finalises what init()ed, on this thread */
        return;
    }
    hk_diags_free(&d);
    hk_conf_log_warnings(gen->conf);
    s->next_gen_number++;
    plan_removed(s, s->gen->conf, gen->conf, sw);
    swap_in(s, gen, sw);
    uv_timer_start(&s->drain_timer, drain_cb, (uint64_t)gen->conf->reload_drain_timeout_ms, 0);
    finish(s, true, "reloaded");
}

/* ---- the probe ---- */

/* hookd is stopping: nobody is answered (the admin loop that asked is going away) and
 * nothing is built. */
static void drop_waiters(struct hk_server *s)
{
    pthread_mutex_lock(&s->reload_mu);
    struct hk_reload_waiter *w = s->reload_waiters;
    s->reload_waiters = NULL;
    s->reload.in_progress = false;
    pthread_mutex_unlock(&s->reload_mu);
    while (w) {
        struct hk_reload_waiter *next = w->next;
        free(w);
        w = next;
    }
}

/* The check's own info and debug log lines ("plugin loaded ...") say nothing about what
 * failed: only its problems, and log lines of warnings and errors, make the message. */
static void drop_chatter(char *text)
{
    char *out = text;
    for (char *line = text; *line;) {
        char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line) + 1 : strlen(line);
        bool chatter = strncmp(line, "ts=", 3) == 0 && (memmem(line, len, " level=info ", 12) ||
                                                        memmem(line, len, " level=debug ", 13));
        chatter |=
            strncmp(line, "{\"ts\"", 5) == 0 && (memmem(line, len, "\"level\":\"info\"", 14) ||
                                                 memmem(line, len, "\"level\":\"debug\"", 15));
        if (!chatter) {
            memmove(out, line, len);
            out += len;
        }
        line += len;
    }
    *out = 0;
}

static void probe_closed_cb(uv_handle_t *h)
{
    struct hk_probe *p = h->data;
    if (--p->open_handles)
        return;
    struct hk_server *s = p->s;
    s->probe = NULL;
    if (s->stopping) {
        drop_waiters(s);
        hk_buf_free(&p->text);
        free(p);
        return;
    }
    if (s->upgrade_probe) { /* a SIGUSR2: the new binary checked the configuration */
        s->upgrade_probe = false;
        hk_buf_append(&p->text, "", 1);
        drop_chatter((char *)p->text.data);
        hk_upgrade_checked(s, p->exit_status == 0 && p->term_signal == 0,
                           (const char *)p->text.data);
        hk_buf_free(&p->text);
        free(p);
        return;
    }
    if (p->exit_status == 0 && p->term_signal == 0) {
        hk_buf_free(&p->text);
        free(p);
        build(s);
        return;
    }
    char msg[2048];
    hk_buf_append(&p->text, "", 1);
    drop_chatter((char *)p->text.data);
    if (p->term_signal)
        snprintf(msg, sizeof msg,
                 "checking the configuration crashed (signal %d): a plugin most "
                 "likely crashed in init(); run hookd -t -c %s to see which. %s",
                 p->term_signal, s->confdir, (const char *)p->text.data);
    else
        snprintf(msg, sizeof msg, "%s", (const char *)p->text.data);
    for (char *c = msg; *c; c++)
        if (*c == '\n')
            *c = ' ';
    finish(s, false, msg);
    hk_buf_free(&p->text);
    free(p);
}

static void close_probe(struct hk_probe *p)
{
    if (p->closing)
        return;
    p->closing = true;
    uv_close((uv_handle_t *)&p->proc, probe_closed_cb);
    uv_close((uv_handle_t *)&p->out, probe_closed_cb);
    uv_close((uv_handle_t *)&p->timer, probe_closed_cb);
}

static void probe_grace_over_cb(uv_timer_t *t)
{
    close_probe(t->data);
}

static void probe_exit_cb(uv_process_t *proc, int64_t status, int sig)
{
    struct hk_probe *p = proc->data;
    p->exit_status = status;
    p->term_signal = sig;
    p->exited = true;
    if (p->eof)
        close_probe(p);
    else /* what it wrote last may still be in the pipe */
        uv_timer_start(&p->timer, probe_grace_over_cb, PROBE_EOF_GRACE_MS, 0);
}

static void probe_alloc_cb(uv_handle_t *h, size_t size, uv_buf_t *b)
{
    static char buf[4096]; /* control thread only */
    (void)h;
    (void)size;
    *b = uv_buf_init(buf, sizeof buf);
}

static void probe_read_cb(uv_stream_t *st, ssize_t n, const uv_buf_t *b)
{
    struct hk_probe *p = st->data;
    if (n > 0 && p->text.len < PROBE_OUTPUT_MAX)
        hk_buf_append(&p->text, b->base, (size_t)n);
    if (n < 0) { /* the end of its output, or an error reading it */
        p->eof = true;
        uv_read_stop(st);
        if (p->exited)
            close_probe(p);
    }
}

static void probe_timeout_cb(uv_timer_t *t)
{
    struct hk_probe *p = t->data;
    uv_process_kill(&p->proc, SIGKILL);
}

int hk_reload_probe(struct hk_server *s)
{
    struct hk_probe *p = calloc(1, sizeof *p);
    if (!p)
        return HK_ENOMEM;
    p->s = s;
    p->proc.data = p->out.data = p->timer.data = p;
    char *args[] = {s->exe, "-t", "-c", s->confdir, NULL};
    /* hookd -t lists problems on stderr: that is the message a failed reload reports. */
    uv_stdio_container_t stdio[3] = {
        {.flags = UV_IGNORE},
        {.flags = UV_IGNORE},
        {.flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE, .data.stream = (uv_stream_t *)&p->out}};
    uv_pipe_init(&s->loop, &p->out, 0);
    uv_process_options_t o = {
        .exit_cb = probe_exit_cb, .file = s->exe, .args = args, .stdio_count = 3, .stdio = stdio};
    int rc = uv_spawn(&s->loop, &p->proc, &o);
    p->open_handles = 3;
    uv_timer_init(&s->loop, &p->timer);
    s->probe = p;
    if (rc) { /* the process handle must be closed all the same */
        hk_log(HK_LOG_ERROR, "cannot run hookd -t to check the configuration",
               HK_S("error", uv_strerror(rc)));
        p->exit_status = 1;
        hk_buf_puts(&p->text, "cannot run hookd -t to check the configuration");
        close_probe(p);
        return 0;
    }
    uv_read_start((uv_stream_t *)&p->out, probe_alloc_cb, probe_read_cb);
    uv_timer_start(&p->timer, probe_timeout_cb, PROBE_TIMEOUT_MS, 0);
    return 0;
}

static void run_reload(struct hk_server *s)
{
    pthread_mutex_lock(&s->reload_mu);
    s->reload.in_progress = true;
    pthread_mutex_unlock(&s->reload_mu);
    hk_notify_reloading();
    hk_log(HK_LOG_INFO, "reloading", HK_S("config", s->confdir));
    if (hk_reload_probe(s) != 0)
        finish(s, false, "out of memory");
}

void hk_reload_stop(struct hk_server *s)
{
    if (s->probe && !s->probe->exited && !s->probe->closing)
        uv_process_kill(&s->probe->proc, SIGKILL); /* its exit then closes it */
}

void hk_reload_signal(struct hk_server *s)
{
    if (s->stopping)
        return;
    pthread_mutex_lock(&s->reload_mu);
    bool busy = s->reload.in_progress;
    if (busy)
        s->reload_pending = true; /* coalesce: one more reload after this one */
    pthread_mutex_unlock(&s->reload_mu);
    if (!busy)
        run_reload(s);
}

struct request_task {
    struct hk_task task;
    struct hk_server *s;
    struct hk_reload_waiter *w;
};

static void request_cb(struct hk_task *t)
{
    struct request_task *r = HK_CONTAINER_OF(t, struct request_task, task);
    struct hk_server *s = r->s;
    pthread_mutex_lock(&s->reload_mu);
    r->w->next = s->reload_waiters;
    s->reload_waiters = r->w;
    pthread_mutex_unlock(&s->reload_mu);
    free(r);
    hk_reload_signal(s);
}

void hk_reload_request(struct hk_server *s, struct hk_task_queue *reply_to,
                       void (*done)(void *user, const struct hk_reload_status *st), void *user)
{
    struct request_task *r = calloc(1, sizeof *r);
    struct hk_reload_waiter *w = calloc(1, sizeof *w);
    if (!r || !w) {
        free(r);
        free(w);
        return; /* the admin request then waits for its connection timeout */
    }
    w->done = done;
    w->user = user;
    w->reply_to = reply_to;
    r->s = s;
    r->w = w;
    r->task.run = request_cb;
    hk_task_post(&s->control, &r->task);
}
