/* server.h -- the hookd process: control loop, I/O threads, current generation. */
#ifndef HK_SERVER_H
#define HK_SERVER_H

#include "base/task.h"
#include "daemon/reload.h"
#include "deliver/dispatch.h"
#include "deliver/gen.h"
#include "net/io.h"
#include "ops/host.h"

#include <pthread.h>

#include <stdatomic.h>
#include <stdbool.h>
#include <uv.h>

struct hk_server {
    uv_loop_t loop;               /* the control loop, on the main thread */
    struct hk_task_queue control; /* tasks for the control loop (generation reaping, ...) */
    uv_signal_t sig_term, sig_int, sig_hup, sig_usr2;
    bool upgrade_probe; /* the running probe checks a new binary for SIGUSR2 */
    bool upgrading;     /* stopping to exec the new binary with the listeners */
    int handover[256];  /* the listeners' sockets kept for the new binary (not CLOEXEC) */
    unsigned nhandover;
    struct hk_io **io;      /* source I/O threads, then the admin thread if there is one */
    unsigned nio;           /* source I/O threads */
    unsigned nio_all;       /* with the admin thread */
    pthread_mutex_t gen_mu; /* guards gen for readers on other threads (hk_server_gen) */
    struct hk_gen *gen;     /* the current generation; changed on the control thread */
    uint64_t next_gen_number;
    atomic_uint nconns;         /* open connections on every loop, for max_connections */
    unsigned conn_cap;          /* connections the open-file limit allows (0: unknown) */
    struct hk_ip_count *per_ip; /* owned: connections per client address, every loop */
    unsigned io_finished;       /* I/O loops that have ended (control thread) */
    bool stopping;
    uv_timer_t watchdog;    /* reports handlers overrunning their timeout */
    uv_timer_t drain_timer; /* reports an old generation that does not drain */
    uv_timer_t alive;       /* systemd's watchdog keep-alive (WatchdogSec=) */
    uint64_t drain_check_gen;
    char *confdir;             /* owned; absolute */
    char *exe;                 /* owned; this executable, to run `hookd -t` for a reload */
    char *admin_socket;        /* owned; the admin socket's path while hookd made it, or NULL */
    pthread_mutex_t reload_mu; /* guards reload, reload_waiters, reload_pending */
    struct hk_reload_status reload;
    struct hk_reload_waiter *reload_waiters;
    bool reload_pending;
    struct hk_probe *probe; /* the running `hookd -t` of a reload, or NULL (control thread) */
    _Atomic uint64_t reloads_ok, reloads_failed;
    struct hk_store *store;
    struct hk_dispatch dispatch;
    struct hk_inflight *inflight; /* handle() calls in progress, beside the store; or NULL */
    struct hk_ops_host ops;       /* what the admin API sees of this server */
};

/* The current generation with a reference the caller releases; any thread. */
struct hk_gen *hk_server_gen(struct hk_server *s);
/* Fails (with a logged reason) when another process holds lc's address. */
int hk_server_probe_free(const struct hk_listen_conf *lc);
/* Opens n listening sockets for lc (one per I/O thread; port 0 becomes one port for all)
 * and logs `what` with the address. 0, or an error with nothing left open. */
int hk_server_listen_fds(const struct hk_listen_conf *lc, unsigned n, int *fds, const char *what);
/* Opens every listener of the current generation, and the admin listener. */
int hk_server_open_listeners(struct hk_server *s);
/* Stops as SIGTERM does (why: "SIGTERM", "SIGUSR2 upgrade", ...). Control thread. */
void hk_server_begin_stop(struct hk_server *s, const char *why);
/* Removes the admin socket's file, if hookd made one (at a clean stop). */
void hk_server_remove_admin_socket(struct hk_server *s);

/* Loads confdir, opens listeners and runs until SIGTERM/SIGINT; returns the exit status. */
int hk_server_run(const char *confdir);
/* Same checks as a start without serving: config, secrets, certificates, plugins (init and
 * fini). Prints every problem to stderr; returns the exit status (0 or 1). */
int hk_server_check(const char *confdir);

#endif
