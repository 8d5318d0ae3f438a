/* worker.h -- `hookd worker`: one plugin instance in a process of its own (isolation:
 * process). hookd starts its own binary in this mode with a stream socket on fd 3 and never
 * forks its threaded self. The worker reads INIT (plugin/wire.h), loads only that plugin,
 * runs init() and answers HELLO; then it answers each EVENT with handle()'s RESULT and the
 * instance's metrics, one at a time, until hookd closes the socket: then fini() and exit 0.
 * Its log lines go to stderr, which it shares with hookd. If the plugin crashes, the worker
 * dies with it and hookd sees the socket close. */
#ifndef HK_WORKER_H
#define HK_WORKER_H

#define HK_WORKER_FD 3

/* The worker's main: 0 after a clean end, 1 when it could not start (the HELLO said why). */
int hk_worker_main(int fd);

#endif
