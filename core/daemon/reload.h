/* reload.h -- SIGHUP and POST /reload: a new generation built whole, swapped atomically.
 *
 * A reload first runs `hookd -t` on the configuration directory in a child process, so a
 * plugin that crashes in init() is reported instead of taking the daemon down; then it
 * loads the configuration and builds a new generation (every instance initialised) beside
 * the current one. Anything failing leaves the current generation serving, finalises what
 * was built, logs the fix and records the failure. Otherwise listeners added or removed are
 * opened or closed (unchanged ones keep their sockets), every I/O thread and every lane
 * switches to the new generation, and the old one is finalised once its last delivery in
 * progress returns. Several SIGHUPs during a reload run one more reload after it. Changes
 * that need a restart (io_threads, the store, the admin address) fail the reload. */
#ifndef HK_RELOAD_H
#define HK_RELOAD_H

#include "base/task.h"
#include "ops/reload_status.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

struct hk_server;

/* hookd is stopping: a configuration check in progress is killed, and the reload it was for
 * neither builds nor answers anyone (control thread). */
void hk_reload_stop(struct hk_server *s);
/* Starts a reload, or queues one if a reload is running (control thread). */
void hk_reload_signal(struct hk_server *s);
/* Starts or queues a reload from any thread; done(user, status) runs on reply_to's loop
 * when the reload it joined has ended. */
void hk_reload_request(struct hk_server *s, struct hk_task_queue *reply_to, hk_reload_done_fn *done,
                       void *user);
/* Runs `hookd -t` with the binary now at hookd's path, as a reload's first step does; its
 * result goes to hk_upgrade_checked when s->upgrade_probe is set. 0 or HK_ENOMEM. Control
 * thread. */
int hk_reload_probe(struct hk_server *s);
/* The current status, copied into out; any thread. */
void hk_reload_status_now(struct hk_server *s, struct hk_reload_status *out);

#endif
