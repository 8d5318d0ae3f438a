/* remote.h -- hookd's side of an instance that runs in a worker process (isolation:
 * process; the worker is daemon/worker.c). One remote is one worker process serving one
 * call at a time, so a lane runs one remote per worker thread: a crash or a kill ends the
 * calls of that process only. The plugin's code never runs in hookd. */
#ifndef HK_REMOTE_H
#define HK_REMOTE_H

#include "plugin/instance.h"
#include "plugin/wire.h"

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct hk_remote;

/* How a call ended. */
enum hk_remote_end {
    HK_REMOTE_ANSWERED, /* handle() returned: see result and error */
    HK_REMOTE_CRASHED,  /* the worker died inside handle(): an interrupted attempt */
    HK_REMOTE_TIMED_OUT /* past timeout_ms: the worker was killed */
};

/* Starts `exe worker` with a socket on fd 3, sends init and waits up to timeout_ms for the
 * worker's HELLO. 0 with *out set and *hello filled (its strings borrowed from the remote,
 * valid until it is stopped); otherwise a negative code with the reason in err (the HELLO's
 * own message when the plugin did not start). Any thread. */
int hk_remote_start(const char *exe, const struct hk_wire_init *init, int64_t timeout_ms,
                    struct hk_remote **out, struct hk_wire_hello *hello, char *err, size_t cap);
/* Hands pe to the worker and waits for handle()'s result, timeout_ms at most. ANSWERED sets
 * *result and error (cap bytes); CRASHED and TIMED_OUT leave the remote dead (stop it, start
 * another) and write what happened into error. The thread that started the remote only. */
enum hk_remote_end hk_remote_call(struct hk_remote *r, const struct hk_plugin_event *pe,
                                  int64_t timeout_ms, hookd_result *result, char *error,
                                  size_t cap);
/* The metrics the worker sent with its last answer (names borrowed until the next call):
 * each counter's total and each gauge's value in that worker since it started. */
const struct hk_wire_result *hk_remote_last(const struct hk_remote *r);
/* The worker's process id (for logs and tests). */
pid_t hk_remote_pid(const struct hk_remote *r);
/* Ends the worker: closes its socket (it runs fini() and exits), waits grace_ms, then kills
 * it; reaps it and frees r. NULL is ignored. */
void hk_remote_stop(struct hk_remote *r, int64_t grace_ms);

#endif
