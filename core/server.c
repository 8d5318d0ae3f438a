/* server.c -- starting, running and stopping the hookd process. */
#include "server.h"

#include "conf.h"
#include "err.h"
#include "ingress.h"
#include "log.h"
#include "store.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define WATCHDOG_MS 1000

static void io_main(void *arg)
{
    struct hk_io *io = arg;
    uv_run(&io->loop, UV_RUN_DEFAULT);
    hk_task_post(&io->server->control, &io->done);
}

static void io_done_task(struct hk_task *t);

static void report_diags(const struct hk_diags *d, bool to_stderr)
{
    if (!to_stderr) {
        hk_diags_log(d);
        return;
    }
    for (size_t i = 0; i < d->n && i < d->cap; i++)
        fprintf(stderr, "%s\n", d->lines[i] ? d->lines[i] : "(out of memory)");
}

static struct hk_conf *load_conf(const char *dir, bool to_stderr)
{
    struct hk_diags d = {0};
    struct hk_conf *c = NULL;
    if (hk_conf_load(dir, &d, &c) != 0)
        report_diags(&d, to_stderr);
    hk_diags_free(&d);
    return c;
}

static int create_io(struct hk_server *s, unsigned n)
{
    s->io = calloc(n, sizeof *s->io);
    if (!s->io)
        return HK_ENOMEM;
    for (unsigned i = 0; i < n; i++) {
        struct hk_io *io = calloc(1, sizeof *io);
        if (!io)
            return HK_ENOMEM;
        s->io[s->nio++] = io;
        io->server = s;
        io->index = i;
        io->done.run = io_done_task;
        int rc = uv_loop_init(&io->loop);
        if (rc == 0)
            rc = hk_task_queue_init(&io->tasks, &io->loop);
        if (rc)
            return rc;
        io->gen = hk_gen_acquire(s->gen);
    }
    return 0;
}

static void describe(const struct sockaddr *sa, char *out, size_t cap)
{
    char host[INET6_ADDRSTRLEN] = "?";
    const struct sockaddr_in *a4 = (const void *)sa;
    const struct sockaddr_in6 *a6 = (const void *)sa;
    if (sa->sa_family == AF_INET6) {
        inet_ntop(AF_INET6, &a6->sin6_addr, host, sizeof host);
        snprintf(out, cap, "[%s]:%u", host, ntohs(a6->sin6_port));
    } else {
        inet_ntop(AF_INET, &a4->sin_addr, host, sizeof host);
        snprintf(out, cap, "%s:%u", host, ntohs(a4->sin_port));
    }
}

/* Opens one listener on every I/O loop. Port 0 becomes the port the first socket got. */
static int open_listener(struct hk_server *s, const struct hk_listen_conf *lc)
{
    struct sockaddr_storage sa = lc->sa;
    socklen_t len = lc->salen;
    char where[96];
    for (unsigned i = 0; i < s->nio; i++) {
        int fd = hk_listen_socket((struct sockaddr *)&sa, len);
        if (fd < 0) {
            hk_log(HK_LOG_ERROR, "cannot listen", HK_S("address", lc->address),
                   HK_S("error", hk_strerror(fd)),
                   HK_S("fix", "free the port or change \"listen\" in hookd.json"));
            return fd;
        }
        if (i == 0)
            getsockname(fd, (struct sockaddr *)&sa, &len);
        int rc = hk_io_add_listener(s->io[i], fd, lc, &hk_ingress_handler);
        if (rc)
            return rc;
    }
    describe((struct sockaddr *)&sa, where, sizeof where);
    hk_log(HK_LOG_INFO, "listening", HK_S("address", where), HK_I("threads", s->nio),
           HK_S("tls", lc->tls ? "yes" : "no"));
    return 0;
}

/* Refuses to share a port with another process: SO_REUSEPORT would let two hookd bind the
 * same address silently. A plain bind fails if anyone holds the port. */
static int probe_free(const struct hk_listen_conf *lc)
{
    const struct sockaddr_in *a4 = (const void *)&lc->sa;
    if (a4->sin_port == 0)
        return 0;
    int fd = socket(lc->sa.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    int rc = bind(fd, (const struct sockaddr *)&lc->sa, lc->salen) < 0 ? -errno : 0;
    close(fd);
    if (rc)
        hk_log(HK_LOG_ERROR, "cannot listen", HK_S("address", lc->address),
               HK_S("error", hk_strerror(rc)),
               HK_S("fix", "another process uses this address: stop it or change \"listen\""));
    return rc;
}

struct stop_task {
    struct hk_task task;
    struct hk_io *io;
    uint64_t timeout_ms;
};

static void stop_io_task(struct hk_task *t)
{
    struct stop_task *st = (struct stop_task *)t;
    hk_io_stop(st->io, st->timeout_ms);
    free(st);
}

static void begin_stop(struct hk_server *s, const char *why)
{
    if (s->stopping)
        return;
    s->stopping = true;
    hk_log(HK_LOG_INFO, "stopping: no new connections, finishing requests in progress",
           HK_S("signal", why), HK_I("timeout_ms", s->gen->conf->shutdown_timeout_ms));
    for (unsigned i = 0; i < s->nio; i++) {
        struct stop_task *st = calloc(1, sizeof *st);
        if (!st)
            abort(); /* cannot stop cleanly without 40 bytes: nothing better to do */
        st->task.run = stop_io_task;
        st->io = s->io[i];
        st->timeout_ms = (uint64_t)s->gen->conf->shutdown_timeout_ms;
        hk_task_post(&s->io[i]->tasks, &st->task);
    }
    uv_close((uv_handle_t *)&s->sig_term, NULL);
    uv_close((uv_handle_t *)&s->sig_int, NULL);
    uv_close((uv_handle_t *)&s->sig_hup, NULL);
}

static void signal_cb(uv_signal_t *h, int signum)
{
    struct hk_server *s = h->data;
    if (signum == SIGHUP) {
        hk_log(HK_LOG_WARN, "reload requested: not available yet, keeping the configuration");
        return;
    }
    begin_stop(s, signum == SIGTERM ? "SIGTERM" : "SIGINT");
}

static int start_signals(struct hk_server *s)
{
    uv_signal_t *sig[] = {&s->sig_term, &s->sig_int, &s->sig_hup};
    int num[] = {SIGTERM, SIGINT, SIGHUP};
    for (size_t i = 0; i < 3; i++) {
        sig[i]->data = s;
        int rc = uv_signal_init(&s->loop, sig[i]);
        if (rc == 0)
            rc = uv_signal_start(sig[i], signal_cb, num[i]);
        if (rc)
            return rc;
    }
    return 0;
}

/* Runs on the control loop when an I/O loop has ended. After the last one: the workers
 * finish the calls in progress, the store commits their outcomes, and the generations are
 * released -- their instances are finalised by the reap tasks the control queue runs as it
 * closes, which lets the control loop end. */
static void io_done_task(struct hk_task *t)
{
    struct hk_io *done = (struct hk_io *)((char *)t - offsetof(struct hk_io, done));
    struct hk_server *s = done->server;
    if (++s->io_finished < s->nio)
        return;
    for (unsigned i = 0; i < s->nio; i++) {
        struct hk_io *io = s->io[i];
        uv_thread_join(&io->thread);
        hk_gen_release(io->gen);
        uv_loop_close(&io->loop);
        hk_buf_free(&io->scratch);
        free(io);
    }
    free(s->io);
    s->io = NULL;
    uv_close((uv_handle_t *)&s->watchdog, NULL);
    hk_dispatch_stop(&s->dispatch);
    hk_store_stop(s->store);
    hk_dispatch_free(&s->dispatch);
    hk_gen_release(s->gen);
    s->gen = NULL;
    hk_task_queue_close(&s->control);
}

static void watchdog_cb(uv_timer_t *t)
{
    struct hk_server *s = t->data;
    hk_dispatch_watchdog(&s->dispatch);
}

static void warn_conf(const struct hk_conf *c)
{
    for (size_t i = 0; i < c->warnings.n && i < c->warnings.cap; i++)
        hk_log(HK_LOG_WARN, "configuration warning", HK_S("warning", c->warnings.lines[i]));
    if (c->inline_secrets)
        hk_log(HK_LOG_WARN, "secrets are written inline in hookd.json",
               HK_I("count", c->inline_secrets),
               HK_S("fix", "move them to the environment ({\"env\": NAME}) or a file "
                           "({\"file\": PATH}) readable only by hookd"));
}

static int start(struct hk_server *s)
{
    int rc = create_io(s, s->gen->conf->io_threads);
    for (size_t i = 0; rc == 0 && i < s->gen->conf->nlisten; i++)
        rc = probe_free(&s->gen->conf->listen[i]);
    for (size_t i = 0; rc == 0 && i < s->gen->conf->nlisten; i++)
        rc = open_listener(s, &s->gen->conf->listen[i]);
    if (rc == 0)
        rc = start_signals(s);
    if (rc == 0 && (rc = uv_timer_init(&s->loop, &s->watchdog)) == 0) {
        s->watchdog.data = s;
        rc = uv_timer_start(&s->watchdog, watchdog_cb, WATCHDOG_MS, WATCHDOG_MS);
    }
    for (unsigned i = 0; rc == 0 && i < s->nio; i++)
        rc = uv_thread_create(&s->io[i]->thread, io_main, s->io[i]);
    return rc;
}

static void describe_durability(const struct hk_store_conf *c)
{
    static const char *const names[] = {"fsync", "os", "off"};
    if (c->durability == HK_DURABLE_OFF)
        hk_log(HK_LOG_WARN,
               "store durability is off: events are kept in memory only and are "
               "lost when hookd stops",
               HK_S("fix", "set \"store\": {\"durability\": \"fsync\"} to keep them"));
    else
        hk_log(HK_LOG_INFO, "store opened", HK_S("path", c->path),
               HK_S("durability", names[c->durability]));
}

/* Store, dispatch and the first generation; on failure the process exits. */
static int open_core(struct hk_server *s, struct hk_conf *conf)
{
    char err[600];
    struct hk_diags d = {0};
    int rc = hk_store_open(&conf->store, &s->store, err, sizeof err);
    if (rc) {
        hk_log(HK_LOG_ERROR, "cannot open the store", HK_S("error", err));
        hk_conf_free(conf);
        return rc;
    }
    describe_durability(&conf->store);
    if ((rc = hk_dispatch_init(&s->dispatch, s->store)) != 0) {
        hk_conf_free(conf);
        return rc;
    }
    rc = hk_gen_build(conf, ++s->next_gen_number, &s->control, &d, &s->gen);
    hk_diags_log(&d);
    hk_diags_free(&d);
    if (rc == 0)
        rc = hk_dispatch_apply(&s->dispatch, s->gen);
    if (rc == 0)
        rc = hk_store_start(s->store, &s->dispatch);
    return rc;
}

int hk_server_run(const char *confdir)
{
    struct hk_server s;
    memset(&s, 0, sizeof s);
    struct hk_conf *conf = load_conf(confdir, false);
    if (!conf)
        return 1;
    hk_log_configure((enum hk_log_level)conf->log_level, (enum hk_log_format)conf->log_format);
    warn_conf(conf);
    if (uv_loop_init(&s.loop) || hk_task_queue_init(&s.control, &s.loop))
        return 1;
    int rc = open_core(&s, conf);
    if (rc == 0)
        rc = start(&s);
    if (rc) {
        hk_log(HK_LOG_ERROR, "cannot start", HK_S("error", hk_strerror(rc)));
        return 1; /* the process exits; the kernel reclaims sockets and memory */
    }
    hk_log(HK_LOG_INFO, "hookd started", HK_S("config", s.gen->conf->dir),
           HK_S("hash", s.gen->conf->hash), HK_I("generation", s.gen->number));
    uv_run(&s.loop, UV_RUN_DEFAULT); /* until every I/O loop has ended, see io_done_task */
    uv_loop_close(&s.loop);
    hk_store_close(s.store);
    hk_log(HK_LOG_INFO, "hookd stopped");
    return 0;
}

int hk_server_check(const char *confdir)
{
    struct hk_conf *conf = load_conf(confdir, true);
    if (!conf)
        return 1;
    printf("hookd: configuration %s is valid (hash %s): %zu listener(s), %zu source(s), %zu "
           "plugin instance(s)\n",
           conf->dir, conf->hash, conf->nlisten, conf->nsources, conf->ninstances);
    for (size_t i = 0; i < conf->warnings.n && i < conf->warnings.cap; i++)
        printf("hookd: warning: %s\n", conf->warnings.lines[i] ? conf->warnings.lines[i] : "?");
    if (conf->inline_secrets)
        printf("hookd: warning: %u secret(s) written inline; move them to the environment or a "
               "file\n",
               conf->inline_secrets);
    hk_conf_free(conf);
    return 0;
}
