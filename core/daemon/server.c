/* server.c -- starting, running and stopping the hookd process.
 *
 * Threads: the control loop (this thread: signals, reloads, finalising generations), one
 * I/O loop per io_threads (sources), one admin I/O loop, the store's writer, and each
 * plugin instance's workers. Stopping (SIGTERM/SIGINT) closes the listeners, lets requests
 * in progress finish (bounded by shutdown_timeout_ms), then lets the workers finish the calls
 * in progress, commits their outcomes, and finalises every instance. */
#include "daemon/server.h"

#include "daemon/fd_limit.h"
#include "daemon/inherit.h"
#include "daemon/notify.h"
#include "daemon/upgrade.h"
#include "net/ip_count.h"

#include "base/err.h"
#include "base/link.h"
#include "base/log.h"
#include "base/sha256.h"
#include "conf/conf.h"
#include "daemon/crash.h"
#include "daemon/runtime_dir.h"
#include "store/sqlite/sqlite.h"
#include "store/store.h"

#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define WATCHDOG_MS 1000

static void io_done_cb(struct hk_task *t);

static void io_main_cb(void *arg)
{
    struct hk_io *io = arg;
    char name[16];
    snprintf(name, sizeof name, io->index < io->server->nio ? "hookd-io-%u" : "hookd-admin",
             io->index);
    pthread_setname_np(pthread_self(), name);
    hk_io_run(io);
    hk_task_post(&io->server->control, &io->done);
}

struct hk_gen *hk_server_gen(struct hk_server *s)
{
    pthread_mutex_lock(&s->gen_mu);
    struct hk_gen *g = hk_gen_acquire(s->gen);
    pthread_mutex_unlock(&s->gen_mu);
    return g;
}

static struct hk_conf *load_conf(const char *dir)
{
    struct hk_diags d = {0};
    struct hk_conf *c = NULL;
    if (hk_conf_load(dir, &d, &c) != 0)
        hk_diags_log(&d);
    hk_diags_free(&d);
    return c;
}

static const struct hk_conf *gen_conf(const struct hk_gen *g)
{
    return g->conf;
}

static const struct hk_io_owner io_owner = {
    .acquire = hk_gen_acquire, .release = hk_gen_release, .conf = gen_conf};

/* ---- what the admin API sees (ops/host.h) ---- */

static struct hk_gen *ops_gen(void *self)
{
    return hk_server_gen(self);
}

static void ops_reload(void *self, struct hk_task_queue *reply_to, hk_reload_done_fn *done,
                       void *user)
{
    hk_reload_request(self, reply_to, done, user);
}

static void ops_reload_status(void *self, struct hk_reload_status *out)
{
    hk_reload_status_now(self, out);
}

static void fill_ops_host(struct hk_server *s)
{
    s->ops = (struct hk_ops_host){.store = s->store,
                                  .dispatch = &s->dispatch,
                                  .io = s->io,
                                  .nio = s->nio_all,
                                  .nconns = &s->nconns,
                                  .reloads_ok = &s->reloads_ok,
                                  .reloads_failed = &s->reloads_failed,
                                  .self = s,
                                  .gen = ops_gen,
                                  .reload = ops_reload,
                                  .reload_status = ops_reload_status};
}

static int create_io(struct hk_server *s, unsigned n, bool admin)
{
    s->io = calloc(n + admin, sizeof *s->io);
    if (!s->io)
        return HK_ENOMEM;
    for (unsigned i = 0; i < n + admin; i++) {
        struct hk_io *io = calloc(1, sizeof *io);
        if (!io)
            return HK_ENOMEM;
        s->io[s->nio_all++] = io;
        io->server = s;
        io->open_conns = &s->nconns;
        io->conn_cap = &s->conn_cap;
        io->per_ip = s->per_ip;
        io->owner = &io_owner;
        io->index = i;
        io->done.run = io_done_cb;
        int rc = hk_io_loop_init(io);
        if (rc)
            return rc;
        io->gen = hk_gen_acquire(s->gen);
    }
    s->nio = n;
    return 0;
}

struct stop_task {
    struct hk_task task;
    struct hk_io *io;
    uint64_t timeout_ms;
};

static void stop_io_cb(struct hk_task *t)
{
    struct stop_task *st = HK_CONTAINER_OF(t, struct stop_task, task);
    hk_io_stop(st->io, st->timeout_ms);
    free(st);
}

void hk_server_begin_stop(struct hk_server *s, const char *why)
{
    if (s->stopping)
        return;
    s->stopping = true;
    if (!s->upgrading) /* an upgrade said RELOADING: the same process carries on */
        hk_notify_stopping(why);
    hk_log(HK_LOG_INFO, "stopping: no new connections, finishing requests in progress",
           HK_S("signal", why), HK_I("timeout_ms", s->gen->conf->shutdown_timeout_ms));
    for (unsigned i = 0; i < s->nio_all; i++) {
        struct stop_task *st = calloc(1, sizeof *st);
        if (!st)
            abort(); /* cannot stop cleanly without 40 bytes: nothing better to do */
        st->task.run = stop_io_cb;
        st->io = s->io[i];
        st->timeout_ms = (uint64_t)s->gen->conf->shutdown_timeout_ms;
        hk_task_post(&s->io[i]->tasks, &st->task);
    }
    uv_close((uv_handle_t *)&s->sig_term, NULL);
    uv_close((uv_handle_t *)&s->sig_int, NULL);
    uv_close((uv_handle_t *)&s->sig_hup, NULL);
    uv_close((uv_handle_t *)&s->sig_usr2, NULL);
    hk_reload_stop(s);
}

static void signal_cb(uv_signal_t *h, int signum)
{
    struct hk_server *s = h->data;
    if (signum == SIGHUP)
        hk_reload_signal(s);
    else if (signum == SIGUSR2)
        hk_upgrade_signal(s);
    else
        hk_server_begin_stop(s, signum == SIGTERM ? "SIGTERM" : "SIGINT");
}

static int start_signals(struct hk_server *s)
{
    uv_signal_t *sig[] = {&s->sig_term, &s->sig_int, &s->sig_hup, &s->sig_usr2};
    int num[] = {SIGTERM, SIGINT, SIGHUP, SIGUSR2};
    for (size_t i = 0; i < 4; i++) {
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
static void io_done_cb(struct hk_task *t)
{
    struct hk_io *done = HK_CONTAINER_OF(t, struct hk_io, done);
    struct hk_server *s = done->server;
    if (++s->io_finished < s->nio_all)
        return;
    for (unsigned i = 0; i < s->nio_all; i++) {
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
    uv_close((uv_handle_t *)&s->drain_timer, NULL);
    uv_close((uv_handle_t *)&s->alive, NULL);
    hk_dispatch_stop(&s->dispatch, s->gen->conf->shutdown_timeout_ms);
    hk_store_stop(s->store);
    hk_dispatch_free(&s->dispatch);
    if (s->dispatch.abandoned)
        hk_gen_acquire(s->gen); /* its instances are still in use: never finalise them */
    hk_gen_release(s->gen);
    s->gen = NULL;
    hk_task_queue_close(&s->control);
}

static void watchdog_cb(uv_timer_t *t)
{
    struct hk_server *s = t->data;
    hk_dispatch_watchdog(&s->dispatch);
}

/* systemd's watchdog: a keep-alive from the control loop at half the interval it asked for. */
static void alive_cb(uv_timer_t *t)
{
    (void)t;
    hk_notify_alive();
}

static int start_timers(struct hk_server *s)
{
    int rc = uv_timer_init(&s->loop, &s->watchdog);
    if (rc == 0)
        rc = uv_timer_init(&s->loop, &s->drain_timer);
    if (rc == 0)
        rc = uv_timer_init(&s->loop, &s->alive);
    s->watchdog.data = s->drain_timer.data = s->alive.data = s;
    uint64_t every = hk_notify_watchdog_ms() / 2;
    if (rc == 0 && every)
        rc = uv_timer_start(&s->alive, alive_cb, every, every);
    return rc ? rc : uv_timer_start(&s->watchdog, watchdog_cb, WATCHDOG_MS, WATCHDOG_MS);
}

/* libuv sizes its thread pool from the environment when the pool is first used, which is
 * after this: the loops are not running yet. */
static void size_check_pool(unsigned n)
{
    char v[16];
    snprintf(v, sizeof v, "%u", n);
    setenv("UV_THREADPOOL_SIZE", v, 1);
}

/* SIGHUP, SIGTERM and SIGINT are blocked from the first line of hk_server_run, before any
 * thread exists, so every thread inherits the block and none dies of a signal's default
 * action while hookd starts. Once the handlers are in place and every thread is created, the
 * control thread alone unblocks them: a signal that came during start-up is delivered then,
 * and acted on as soon as the control loop runs (a SIGHUP reloads, a SIGTERM stops). */
static void hold_signals(int how)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGUSR2);
    pthread_sigmask(how, &set, NULL);
}

static int start(struct hk_server *s)
{
    const struct hk_conf *c = s->gen->conf;
    size_check_pool(c->check_threads);
    s->conn_cap = hk_fd_limit_raise(c);
    s->per_ip = hk_ip_count_new();
    int rc =
        s->per_ip ? create_io(s, c->io_threads, c->admin_address || c->admin_socket) : HK_ENOMEM;
    if (rc == 0)
        fill_ops_host(s);
    if (rc == 0)
        rc = start_signals(s);
    if (rc == 0)
        rc = hk_server_open_listeners(s);
    hk_inherit_close_unused();
    if (rc == 0)
        rc = start_timers(s);
    for (unsigned i = 0; rc == 0 && i < s->nio_all; i++)
        rc = uv_thread_create(&s->io[i]->thread, io_main_cb, s->io[i]);
    if (rc == 0)
        hold_signals(SIG_UNBLOCK);
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

/* The record of handle() calls in progress lives beside the store; what a previous run left
 * in it were its interrupted deliveries (deliver/inflight.h). A store in memory forgets
 * everything at the end anyway: it has no record. */
static int recover(struct hk_server *s, const struct hk_store_conf *c)
{
    int64_t *prev = NULL;
    size_t n = 0;
    char err[600], path[PATH_MAX];
    if (c->durability != HK_DURABLE_OFF) {
        snprintf(path, sizeof path, "%s.inflight", c->path);
        int rc = hk_inflight_open(path, &s->inflight, &prev, &n, err, sizeof err);
        if (rc) {
            hk_log(HK_LOG_ERROR, "cannot open the store", HK_S("error", err));
            return rc;
        }
    }
    int rc = hk_store_recover(s->store, prev, n);
    free(prev);
    return rc;
}

/* Store, dispatch and the first generation. */
static int open_core(struct hk_server *s, struct hk_conf *conf)
{
    char err[600];
    struct hk_diags d = {0};
    int rc = hk_sqlite_open(&conf->store, &s->store, err, sizeof err);
    if (rc) {
        hk_log(HK_LOG_ERROR, "cannot open the store", HK_S("error", err));
        hk_conf_free(conf);
        return rc;
    }
    describe_durability(&conf->store);
    if ((rc = recover(s, &conf->store)) != 0 ||
        (rc = hk_dispatch_init(&s->dispatch, s->store, s->inflight)) != 0) {
        hk_conf_free(conf);
        return rc;
    }
    rc = hk_gen_build(conf, ++s->next_gen_number, &s->control, &d, &s->gen);
    hk_diags_log(&d);
    hk_diags_free(&d);
    if (rc == 0)
        rc = hk_dispatch_apply(&s->dispatch, s->gen);
    struct hk_store_lanes lanes;
    hk_dispatch_store_lanes(&s->dispatch, &lanes);
    if (rc == 0)
        rc = hk_store_start(s->store, &lanes);
    return rc;
}

static int init_server(struct hk_server *s, const struct hk_conf *conf)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[n > 0 ? n : 0] = 0;
    s->exe = strdup(exe);
    s->confdir = strdup(conf->dir);
    if (!s->exe || !s->confdir || pthread_mutex_init(&s->gen_mu, NULL) ||
        pthread_mutex_init(&s->reload_mu, NULL) || uv_loop_init(&s->loop) ||
        hk_task_queue_init(&s->control, &s->loop))
        return HK_ENOMEM;
    return 0;
}

/* A failed start: the store's writer and the plugin workers may already run and point into
 * s, which lives on this stack; stop them before it goes away. */
static void abandon_start(struct hk_server *s)
{
    if (s->store && s->gen) {
        hk_dispatch_stop(&s->dispatch, s->gen->conf->shutdown_timeout_ms);
        hk_store_stop(s->store);
    }
}

static void record_start(struct hk_server *s)
{
    pthread_mutex_lock(&s->reload_mu); /* the admin loop may already be asked for it */
    s->reload.generation = s->gen->number;
    snprintf(s->reload.hash, sizeof s->reload.hash, "%s", s->gen->conf->hash);
    snprintf(s->reload.message, sizeof s->reload.message, "started");
    pthread_mutex_unlock(&s->reload_mu);
    hk_notify_ready(s->gen->number, s->gen->conf->hash);
    hk_log(HK_LOG_INFO, "hookd started", HK_S("config", s->confdir),
           HK_S("hash", s->gen->conf->hash), HK_I("generation", s->gen->number),
           HK_I("io_threads", s->nio), HK_I("check_threads", s->gen->conf->check_threads),
           HK_S("sha256", hk_sha256_accelerated() ? "sha-ni" : "portable"));
}

int hk_server_run(const char *confdir)
{
    struct hk_server s;
    memset(&s, 0, sizeof s);
    hold_signals(SIG_BLOCK);
    /* SIGUSR1 asks the log plugin to reopen its files (logrotate); with no log instance it
     * must not end hookd, which is its default action. The plugin's handler replaces this. */
    signal(SIGUSR1, SIG_IGN);
    hk_crash_handlers_install();
    hk_inherit_collect(); /* before anything could open a descriptor at 3 and up */
    struct hk_conf *conf = load_conf(confdir);
    if (!conf || hk_runtime_dir_create() != 0)
        return 1;
    hk_log_configure((enum hk_log_level)conf->log_level, (enum hk_log_format)conf->log_format);
    hk_conf_log_warnings(conf);
    int rc = init_server(&s, conf);
    if (rc == 0)
        rc = open_core(&s, conf);
    if (rc == 0)
        rc = start(&s);
    if (rc) {
        hk_log(HK_LOG_ERROR, "cannot start", HK_S("error", hk_strerror(rc)));
        abandon_start(&s);
        return 1; /* the process exits; the kernel reclaims sockets and memory */
    }
    record_start(&s);
    hk_upgrade_note_start();
    uv_run(&s.loop, UV_RUN_DEFAULT); /* until every I/O loop has ended, see io_done_cb */
    uv_loop_close(&s.loop);
    if (s.dispatch.abandoned) {
        hk_inflight_clear(s.inflight); /* a graceful stop: nothing was interrupted by a crash */
        /* A plugin thread still runs inside its handle(): leave without running exit-time
         * code under its feet. The store has committed; the delivery will be redone. */
        hk_runtime_dir_remove();
        if (s.upgrading) {
            hk_upgrade_exec(&s); /* returns only if no binary could be run */
            _exit(1);
        }
        hk_server_remove_admin_socket(&s);
        hk_log(HK_LOG_INFO, "hookd stopped", HK_S("note", "a handler call was abandoned"));
        _exit(0);
    }
    hk_inflight_close(s.inflight); /* a graceful stop: nothing was interrupted by a crash */
    hk_store_close(s.store);
    if (s.upgrading) {
        hk_upgrade_exec(&s); /* returns only if no binary could be run */
        return 1;
    }
    hk_server_remove_admin_socket(&s);
    hk_ip_count_free(s.per_ip);
    free(s.exe);
    free(s.confdir);
    hk_log(HK_LOG_INFO, "hookd stopped");
    return 0;
}
