/* io.h -- I/O threads: one libuv loop each, accepting and serving connections.
 *
 * Every I/O thread has its own listening socket per listener address, all bound with
 * SO_REUSEPORT so the kernel spreads connections across them. A thread only touches its own
 * connections; other threads talk to it by posting tasks (task.h). */
#ifndef HK_IO_H
#define HK_IO_H

#include "base/buf.h"
#include "base/counters.h"
#include "base/log.h"
#include "base/task.h"
#include "conf/conf.h"
#include "net/tls_session.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <uv.h>

#define HK_READ_BUF 65536
#define HK_IO_MAX   65 /* I/O threads (io_threads is at most 64) plus the admin thread */

struct hk_server;
struct hk_conn;
struct hk_conn_handler;
struct hk_gen; /* the owner's generation: net holds references to it, never looks inside */

/* What net asks of the owner of the loops (the daemon) about its generations. */
struct hk_io_owner {
    /* Another reference to g (any thread). */
    struct hk_gen *(*acquire)(struct hk_gen *g);
    /* Gives one back. */
    void (*release)(struct hk_gen *g);
    /* The configuration g serves: listeners, limits, the access log; valid while g is. */
    const struct hk_conf *(*conf)(const struct hk_gen *g);
};

struct hk_ip_count;

struct hk_listener {
    union {
        uv_tcp_t tcp;   /* tcp.data is the listener */
        uv_pipe_t pipe; /* a Unix socket (the admin socket): pipe.data is the listener */
    };
    bool unix_socket;
    struct hk_io *io;
    char *address; /* owned; with ordinal, the key that ties it to the configuration */
    unsigned ordinal;
    bool admin; /* the admin listener: its settings are fixed, not looked up in "listen" */
    const struct hk_conn_handler *handler;
    void *handler_ctx; /* the owner's, for the handler: see hk_io_add_listener */
    bool closing;
    struct hk_log_every accept_log; /* failed accepts, at most one line a second */
    /* Out of descriptors, the listener pauses: its handle is closed (which ends libuv's
     * accept loop) and spare_fd keeps the socket, and its backlog, until resume fires.
     * reserve_fd is one descriptor held back so that the socket can still be kept then. */
    uv_timer_t resume;
    int spare_fd, reserve_fd;
    bool paused, handle_open;
    unsigned open_handles; /* the stream handle and the timer: freed when both closed */
    struct hk_listener *next;
};

struct hk_io {
    uv_loop_t loop;
    uv_thread_t thread;
    struct hk_server *server;       /* the owner's: net never looks inside */
    atomic_uint *open_conns;        /* shared by every loop: open connections, counted against
                                     * max_connections */
    const unsigned *conn_cap;       /* shared: the connections the open-file limit allows */
    struct hk_ip_count *per_ip;     /* shared: connections per client address */
    struct hk_log_every full_log;   /* "max_connections reached", at most once a second */
    struct hk_log_every per_ip_log; /* "max_connections_per_ip reached", likewise */
    struct hk_log_every rate_log;   /* a source's rate limit reached, likewise */
    unsigned index;
    struct hk_task_queue tasks;
    struct hk_task done; /* posted to the control loop when this loop has ended */
    struct hk_gen *gen;  /* this loop's reference to the current generation (owner's) */
    const struct hk_io_owner *owner;
    struct hk_listener *listeners;
    struct hk_conn *conns;  /* every open connection, newest first, for draining */
    struct hk_conn *oldest; /* the list's last: where make_room looks for an idle one */
    size_t nconns;          /* open connections */
    size_t nalive;          /* allocated ones: closed ones may still await an answer */
    bool stopping;
    bool finished;
    uv_timer_t stop_timer;
    uv_prepare_t log_flush;             /* writes the log lines of a loop turn together */
    struct hk_buf scratch;              /* reusable buffer for building answers on this thread */
    struct hk_counters counters;        /* written by this thread only, read by /metrics */
    char date[40];                      /* cached "Date" header value */
    uint64_t date_at;                   /* uv_now when date was formatted */
    uint8_t readbuf[HK_READ_BUF];       /* one read at a time per loop, shared by its connections */
    uint8_t plainbuf[HK_TLS_PLAIN_MAX]; /* one decrypted TLS record at a time, likewise */
};

/* Initialises io's loop and what it runs besides connections: its task queue, and the log
 * lines of each loop turn written together before the loop waits (run the loop with
 * hk_io_run). */
int hk_io_loop_init(struct hk_io *io);
/* Runs io's loop on the calling thread until it has stopped (hk_io_stop). */
void hk_io_run(struct hk_io *io);

/* Opens a listening socket for addr with SO_REUSEPORT (and IPV6_V6ONLY for IPv6). Returns
 * the fd, or a negated errno. Any thread. */
int hk_listen_socket(const struct sockaddr *sa, socklen_t len);
/* Adopts fd as a listener of lc on io's loop (before the loop runs, or on its thread),
 * whose connections are served by handler with handler_ctx (borrowed: it must outlive the
 * listener). Ownership of fd passes to io, also on error; lc's address and settings are
 * copied. */
int hk_io_add_listener(struct hk_io *io, int fd, const struct hk_listen_conf *lc,
                       const struct hk_conn_handler *handler, void *handler_ctx);
/* Initialises handle (a uv_tcp_t, or a uv_pipe_t on a Unix-socket listener) as a stream of
 * l's kind on l's loop: the listener's own, and each connection it accepts. */
int hk_io_stream_init(const struct hk_listener *l, void *handle);
/* The listening socket of l (its kept duplicate while l is paused), or -1. */
int hk_io_listener_fd(const struct hk_listener *l);
/* Closes the listener of that address, if any (io thread only). */
void hk_io_close_listener(struct hk_io *io, const char *address);
/* Stops accepting, lets in-flight requests finish (bounded by timeout_ms), closes idle
 * connections; the loop then ends by itself (io thread only). */
void hk_io_stop(struct hk_io *io, uint64_t timeout_ms);
/* Called by conn.c when a connection's memory is gone; a stopping loop ends after the last. */
void hk_io_conn_gone(struct hk_io *io);
/* The Date header value for now (io thread only). */
const char *hk_io_date(struct hk_io *io);

#endif
