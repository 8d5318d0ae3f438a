/* server.h -- the hookd process: control loop, I/O threads, current generation. */
#ifndef HK_SERVER_H
#define HK_SERVER_H

#include "dispatch.h"
#include "gen.h"
#include "io.h"
#include "task.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <uv.h>

struct hk_server {
    uv_loop_t loop;               /* the control loop, on the main thread */
    struct hk_task_queue control; /* tasks for the control loop (generation reaping, ...) */
    uv_signal_t sig_term, sig_int, sig_hup;
    struct hk_io **io;
    unsigned nio;
    struct hk_gen *gen; /* the current generation (control thread) */
    uint64_t next_gen_number;
    atomic_uint nconns;   /* open connections on every loop, for max_connections */
    unsigned io_finished; /* I/O loops that have ended (control thread) */
    bool stopping;
    uv_timer_t watchdog; /* reports handlers overrunning their timeout */
    struct hk_store *store;
    struct hk_dispatch dispatch;
};

/* Loads confdir, opens listeners and runs until SIGTERM/SIGINT; returns the exit status. */
int hk_server_run(const char *confdir);
/* Same checks as a start without serving: config, secrets, certificates, plugins (init and
 * fini). Prints every problem to stderr; returns the exit status (0 or 1). */
int hk_server_check(const char *confdir);

#endif
