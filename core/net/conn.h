/* conn.h -- one client connection: reading, parsing, timeouts, answering, closing.
 *
 * A connection lives on one I/O loop and is only touched by that loop's thread. Requests on
 * a keep-alive connection are answered strictly in order: while one is being processed
 * (perhaps asynchronously, waiting for the store), reading stops and pipelined bytes wait in
 * the connection's own buffer. */
#ifndef HK_CONN_H
#define HK_CONN_H

#include "base/addr.h"
#include "base/buf.h"
#include "net/http.h"
#include "net/io.h"

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

struct hk_conn;
struct hk_tls_session;

/* What a listener does with requests (ingress.c for sources, admin.c for the admin API). */
struct hk_conn_handler {
    /* Head complete (io thread). Return true to read the body, or answer with
     * hk_conn_respond and return false: the connection then closes after the answer. */
    bool (*on_head)(struct hk_conn *c, struct hk_request *req);
    /* Whole request (io thread). Answer with hk_conn_respond, now or later on this thread. */
    void (*on_request)(struct hk_conn *c, struct hk_request *req);
    /* The connection is going away; release what the handler attached to it. May be NULL. */
    void (*on_close)(struct hk_conn *c);
};

/* IDLE: between requests; HEAD/BODY: receiving a request; BUSY: the request is being
 * answered; LINGER: answer sent with a close, draining what the client still sends so it
 * reads the answer instead of a reset; CLOSED: handles are closing. */
enum hk_conn_phase {
    HK_CONN_IDLE,
    HK_CONN_HEAD,
    HK_CONN_BODY,
    HK_CONN_BUSY,
    HK_CONN_LINGER,
    HK_CONN_CLOSED
};

struct hk_conn {
    union {
        uv_tcp_t tcp;   /* tcp.data and timer.data are the connection */
        uv_pipe_t pipe; /* on a Unix-socket listener: its peer is local (see via_unix) */
    };
    uv_timer_t timer;   /* fires at or before deadline (see set_deadline in conn.c) */
    uint64_t deadline;  /* loop time by which the current phase must end; 0: none */
    uint64_t timer_due; /* loop time the timer is armed for; 0: not armed */
    struct hk_io *io;
    const struct hk_conn_handler *handler;
    void *handler_ctx;           /* borrowed from the listener: the handler's own context */
    struct hk_conn *prev, *next; /* io->conns */
    struct hk_addr peer;         /* TCP peer, or the PROXY protocol's source */
    char peer_text[HK_ADDR_STRLEN];
    struct hk_http http;
    enum hk_conn_phase phase;
    struct hk_tls_session *tls; /* owned; NULL on a plain listener */
    struct hk_buf pending;      /* received (plaintext), not yet parsed (while a request is busy) */
    struct hk_buf out;          /* answers waiting to be written (plaintext) */
    struct hk_buf wbuf;         /* bytes being written to the socket */
    uv_write_t wreq;
    bool writing;
    bool close_after_write;
    bool reading;
    bool await_proxy;      /* the PROXY protocol header has not been read yet */
    bool via_unix;         /* came in on a Unix socket: the file's mode let the peer in */
    bool ip_counted;       /* counted in io->per_ip: dropped when it closes */
    bool served;           /* at least one answer was written on it */
    bool busy;             /* a request is being answered; memory stays until it is */
    bool in_process;       /* inside the parse loop: answers then are synchronous */
    unsigned open_handles; /* tcp, timer: freed when both have closed and !busy */
    uv_shutdown_t shutdown_req;
    struct hk_limits limits;  /* copied at accept: a reload does not change open ones */
    uint64_t started_ms;      /* uv_now when the current request began */
    size_t body_len;          /* of the current request, for the access line */
    struct hk_gen *gen;       /* the generation the current request is served by, or NULL */
    const void *handler_data; /* the handler's per-request state */
    const char *log_source;   /* source name for the access line, or NULL */
    int last_status;
};

/* An answer. body is JSON unless content_type says otherwise (may be NULL); extra_headers are
 * complete "Name: value\r\n" lines (may be NULL). Everything is copied. */
struct hk_response {
    int status;
    const char *content_type; /* NULL: application/json */
    const char *body;
    size_t body_len;
    const char *extra_headers;
    bool close;
};

/* Accepts one connection from a listener (io thread). */
void hk_conn_accept(struct hk_listener *l);
/* Answers the current request (io thread). Then the connection reads on, or closes when
 * r->close is set, the client asked for it, or hookd is stopping. Calling it on a
 * connection that has closed meanwhile only releases the request. */
void hk_conn_respond(struct hk_conn *c, const struct hk_response *r);
/* Closes c now (io thread). */
void hk_conn_close(struct hk_conn *c);
/* The subject of the client certificate that came with this TLS connection and verified
 * against the listener's client_ca, or NULL. Borrowed: valid while c is. */
const char *hk_conn_client_subject(const struct hk_conn *c);

/* hookd is stopping: a connection that has not been answered yet keeps ms to send its first
 * request (which is then answered, with Connection: close) before it is closed, so one
 * accepted an instant before the stop, its request on the way, is not dropped. */
void hk_conn_give_grace(struct hk_conn *c, uint64_t ms);

#endif
