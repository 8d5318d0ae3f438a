/* conn.c -- connection lifecycle: read, parse, time out, answer in order, linger, close. */
#include "net/conn.h"
#include "net/ip_count.h"

#include "base/err.h"
#include "base/log.h"
#include "conf/tls.h"
#include "net/proxy_proto.h"
#include "net/response.h"
#include "net/tls_session.h"

#include <stdlib.h>
#include <string.h>

#define LINGER_MS      2000          /* reading what a refused client still sends */
#define OUT_HIGH_WATER (1024 * 1024) /* stop reading while this much is unsent */

static void process(struct hk_conn *c, const uint8_t *p, size_t n);
static void flush(struct hk_conn *c);

static void handle_closed_cb(uv_handle_t *h)
{
    struct hk_conn *c = h->data;
    if (--c->open_handles == 0 && !c->busy) {
        struct hk_io *io = c->io;
        hk_http_free(&c->http);
        hk_buf_free(&c->pending);
        hk_buf_free(&c->out);
        hk_buf_free(&c->wbuf);
        hk_tls_session_free(c->tls);
        free(c);
        io->nalive--;
        hk_io_conn_gone(io);
    }
}

static void release_gen(struct hk_conn *c)
{
    if (c->gen)
        c->io->owner->release(c->gen);
    c->gen = NULL;
    c->handler_data = NULL;
    c->log_source = NULL;
}

const char *hk_conn_client_subject(const struct hk_conn *c)
{
    return c->tls ? hk_tls_session_subject(c->tls) : NULL;
}

void hk_conn_close(struct hk_conn *c)
{
    if (c->phase == HK_CONN_CLOSED)
        return;
    c->phase = HK_CONN_CLOSED;
    struct hk_io *io = c->io;
    if (c->prev)
        c->prev->next = c->next;
    else
        io->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    else
        io->oldest = c->prev;
    io->nconns--;
    atomic_fetch_sub(io->open_conns, 1);
    if (c->ip_counted)
        hk_ip_count_drop(io->per_ip, &c->peer);
    if (c->handler->on_close)
        c->handler->on_close(c);
    if (!c->busy)
        release_gen(c);
    uv_close((uv_handle_t *)&c->tcp, handle_closed_cb);
    uv_close((uv_handle_t *)&c->timer, handle_closed_cb);
}

static void timeout_cb(uv_timer_t *t);

static void arm_timer(struct hk_conn *c, uint64_t now, uint64_t at)
{
    uv_timer_start(&c->timer, timeout_cb, at - now, 0);
    c->timer_due = at;
}

/* One deadline per connection, its timer re-armed lazily: a request moves the deadline three
 * times (head, body, then idle), and a later deadline is only written down; the timer, when
 * it fires before the deadline, arms itself for the rest (at most a header timeout ahead, so
 * that the next, shorter, deadline seldom needs a restart). Only an earlier deadline than the
 * timer's restarts it. */
static void set_deadline(struct hk_conn *c, uint64_t ms)
{
    uint64_t now = uv_now(&c->io->loop);
    c->deadline = now + ms;
    if (!c->timer_due || c->deadline < c->timer_due)
        arm_timer(c, now, c->deadline);
}

static void clear_deadline(struct hk_conn *c)
{
    c->deadline = 0; /* the timer, if armed, finds none when it fires */
}

static void alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *b)
{
    struct hk_conn *c = h->data;
    (void)suggested;
    b->base = (char *)c->io->readbuf;
    b->len = sizeof c->io->readbuf;
}

static void input(struct hk_conn *c, const uint8_t *p, size_t n);

static void read_cb(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
    struct hk_conn *c = s->data;
    if (n < 0) {
        hk_conn_close(c); /* EOF or reset; an answer in progress is discarded */
        return;
    }
    if (c->phase == HK_CONN_LINGER || n == 0)
        return;
    input(c, (const uint8_t *)b->base, (size_t)n);
    flush(c);
}

static void set_reading(struct hk_conn *c, bool on)
{
    if (c->phase == HK_CONN_CLOSED || on == c->reading)
        return;
    c->reading = on;
    if (on)
        uv_read_start((uv_stream_t *)&c->tcp, alloc_cb, read_cb);
    else
        uv_read_stop((uv_stream_t *)&c->tcp);
}

static void linger(struct hk_conn *c);

static void write_cb(uv_write_t *req, int status)
{
    struct hk_conn *c = req->data;
    c->writing = false;
    c->wbuf.len = 0;
    if (c->phase == HK_CONN_CLOSED)
        return;
    if (status < 0) {
        hk_conn_close(c);
        return;
    }
    flush(c);
}

/* The bytes for the socket: the answers themselves, or the TLS records that carry them
 * (then a close_notify when the connection closes after them). */
static struct hk_buf *wire(struct hk_conn *c)
{
    if (!c->tls)
        return &c->out;
    hk_tls_session_write(c->tls, &c->out); /* a failed session keeps only its alert to send */
    if (c->close_after_write)
        hk_tls_session_close(c->tls);
    return hk_tls_session_output(c->tls);
}

static void flush(struct hk_conn *c)
{
    if (c->writing || c->phase == HK_CONN_CLOSED)
        return;
    struct hk_buf *w = wire(c);
    if (w->len) {
        uv_buf_t b = uv_buf_init((char *)w->data, (unsigned)w->len);
        int n = uv_try_write((uv_stream_t *)&c->tcp, &b, 1);
        if (n < 0 && n != UV_EAGAIN) {
            hk_conn_close(c);
            return;
        }
        hk_buf_consume(w, n > 0 ? (size_t)n : 0);
    }
    if (w->len) {
        struct hk_buf t = c->wbuf; /* swap: w keeps collecting while wbuf is written */
        c->wbuf = *w;
        *w = t;
        w->len = 0;
        uv_buf_t b = uv_buf_init((char *)c->wbuf.data, (unsigned)c->wbuf.len);
        c->wreq.data = c;
        c->writing = true;
        if (uv_write(&c->wreq, (uv_stream_t *)&c->tcp, &b, 1, write_cb) < 0) {
            c->writing = false;
            hk_conn_close(c);
        }
        return;
    }
    if (c->close_after_write)
        linger(c);
    else if (c->phase != HK_CONN_BUSY)
        set_reading(c, true);
}

static void shutdown_cb(uv_shutdown_t *req, int status)
{
    struct hk_conn *c = req->data;
    if (status < 0 && c->phase != HK_CONN_CLOSED)
        hk_conn_close(c);
}

/* Half-close and drain for a moment, so a client still sending its body receives the answer
 * instead of a reset. */
static void linger(struct hk_conn *c)
{
    if (c->phase == HK_CONN_LINGER || c->phase == HK_CONN_CLOSED)
        return;
    c->phase = HK_CONN_LINGER;
    c->shutdown_req.data = c;
    if (uv_shutdown(&c->shutdown_req, (uv_stream_t *)&c->tcp, shutdown_cb) < 0) {
        hk_conn_close(c);
        return;
    }
    set_reading(c, true);
    set_deadline(c, LINGER_MS);
}

static void respond_error(struct hk_conn *c, int status, const char *reason)
{
    hk_log(HK_LOG_DEBUG, "request refused", HK_S("peer", c->peer_text), HK_I("status", status),
           HK_S("reason", reason));
    struct hk_response r = {.status = status, .close = true};
    hk_response_error_body(&r);
    hk_conn_respond(c, &r);
}

static void timeout_cb(uv_timer_t *t)
{
    struct hk_conn *c = t->data;
    uint64_t now = uv_now(&c->io->loop);
    c->timer_due = 0;
    if (!c->deadline)
        return;
    if (now < c->deadline) {
        uint64_t step = c->limits.header_timeout_ms;
        arm_timer(c, now, c->deadline - now < step ? c->deadline : now + step);
        return;
    }
    c->deadline = 0;
    switch (c->phase) {
    case HK_CONN_HEAD:
    case HK_CONN_BODY:
        c->busy = true; /* the timeout answers the request */
        respond_error(c, 408, "request not received in time");
        flush(c);
        break;
    default:
        hk_conn_close(c);
        break;
    }
}

void hk_conn_give_grace(struct hk_conn *c, uint64_t ms)
{
    set_deadline(c, ms < c->limits.header_timeout_ms ? ms : c->limits.header_timeout_ms);
}

static void start_request(struct hk_conn *c)
{
    c->phase = HK_CONN_HEAD;
    c->body_len = 0;
    c->started_ms = uv_now(&c->io->loop);
    set_deadline(c, c->limits.header_timeout_ms);
}

static bool on_head(struct hk_conn *c)
{
    struct hk_request *req = &c->http.req;
    c->gen = c->io->owner->acquire(c->io->gen);
    c->phase = HK_CONN_BODY;
    set_deadline(c, c->limits.body_timeout_ms);
    c->busy = true; /* an answer from on_head is accepted */
    if (!c->handler->on_head(c, req))
        return false;
    c->busy = false;
    if (req->expect_continue)
        hk_buf_puts(&c->out, "HTTP/1.1 100 Continue\r\n\r\n");
    return true;
}

static void on_message(struct hk_conn *c)
{
    c->phase = HK_CONN_BUSY;
    c->busy = true;
    c->body_len = c->http.req.body.len;
    clear_deadline(c);
    c->handler->on_request(c, &c->http.req);
}

/* Feeds bytes to the parser until they run out or a request is answered asynchronously. The
 * parser is called again after a head even with no bytes left: a request without a body is
 * complete right after its head. */
static void process(struct hk_conn *c, const uint8_t *p, size_t n)
{
    c->in_process = true;
    while (c->phase != HK_CONN_CLOSED && c->phase != HK_CONN_LINGER && !c->close_after_write) {
        if (c->phase == HK_CONN_BUSY) {
            if (n) {
                hk_buf_append(&c->pending, p, n); /* pipelined: wait for the answer */
                set_reading(c, false);
            }
            break;
        }
        if (c->phase == HK_CONN_IDLE) {
            if (n == 0)
                break;
            start_request(c);
        }
        size_t used = 0;
        enum hk_http_event ev = hk_http_feed(&c->http, p, n, &used);
        p += used;
        n -= used;
        if (ev == HK_HTTP_NEED_MORE)
            break;
        if (ev == HK_HTTP_HEAD && !on_head(c))
            break;
        if (ev == HK_HTTP_MESSAGE)
            on_message(c);
        if (ev == HK_HTTP_ERROR) {
            c->busy = true;
            respond_error(c, c->http.error_status, c->http.error_reason);
        }
    }
    c->in_process = false;
    if (c->out.len >= OUT_HIGH_WATER)
        set_reading(c, false);
}

/* A listener with "proxy_protocol" first reads the PROXY header that tells the client's
 * address; a connection that does not start with a valid one is closed without an answer. */
static bool proxy_header(struct hk_conn *c, const uint8_t **p, size_t *n)
{
    size_t used = 0;
    bool local = false;
    struct hk_addr src;
    if (hk_buf_append(&c->pending, *p, *n)) {
        hk_conn_close(c);
        return false;
    }
    int rc = hk_proxy_parse(c->pending.data, c->pending.len, &used, &src, &local);
    if (rc == HK_PROXY_NEED_MORE && c->pending.len < HK_PROXY_MAX_HEADER)
        return false;
    if (rc != 0) {
        hk_log(HK_LOG_WARN, "connection without a valid PROXY protocol header closed",
               HK_S("peer", c->peer_text));
        hk_conn_close(c);
        return false;
    }
    c->await_proxy = false;
    if (!local) {
        c->peer = src;
        hk_addr_format(&c->peer, c->peer_text, sizeof c->peer_text);
    }
    hk_buf_consume(&c->pending, used);
    return true;
}

static void tls_established(struct hk_conn *c)
{
    char about[HK_WHY_MAX];
    const char *subject = hk_tls_session_subject(c->tls);
    hk_tls_session_describe(c->tls, about, sizeof about);
    hk_log(HK_LOG_DEBUG, "TLS established", HK_S("peer", c->peer_text), HK_S("session", about),
           HK_S("client_cert", subject ? subject : "-"));
    /* The handshake is over: now the request must come. */
    set_deadline(c, c->limits.header_timeout_ms);
}

/* The alert mbedTLS wrote goes out, then the connection closes. */
static void tls_failed(struct hk_conn *c)
{
    char why[HK_WHY_MAX];
    hk_tls_session_error(c->tls, why, sizeof why);
    hk_log(HK_LOG_INFO,
           hk_tls_session_established(c->tls) ? "TLS connection failed" : "TLS handshake failed",
           HK_S("peer", c->peer_text), HK_S("reason", why));
    c->close_after_write = true;
}

/* On a TLS connection the bytes read are records: the handshake runs first, then the
 * plaintext they carry goes to the parser, one record at a time. */
static void tls_input(struct hk_conn *c, const uint8_t *p, size_t n)
{
    uint8_t *plain = c->io->plainbuf;
    size_t len = 0;
    if (hk_tls_session_feed(c->tls, p, n)) {
        hk_conn_close(c);
        return;
    }
    while (c->phase != HK_CONN_CLOSED && c->phase != HK_CONN_LINGER) {
        switch (hk_tls_session_read(c->tls, plain, sizeof c->io->plainbuf, &len)) {
        case HK_TLS_DATA:
            process(c, plain, len);
            break;
        case HK_TLS_ESTABLISHED:
            tls_established(c);
            break;
        case HK_TLS_NEED_MORE:
            return;
        case HK_TLS_CLOSED:
            hk_conn_close(c); /* like an EOF: an answer in progress is discarded */
            return;
        case HK_TLS_ERROR:
            tls_failed(c);
            return;
        }
    }
}

/* What came off the socket, after the PROXY header: plaintext, or TLS records. */
static void transport_input(struct hk_conn *c, const uint8_t *p, size_t n)
{
    if (c->tls)
        tls_input(c, p, n);
    else
        process(c, p, n);
}

static void input(struct hk_conn *c, const uint8_t *p, size_t n)
{
    if (c->await_proxy) {
        if (!proxy_header(c, &p, &n))
            return;
        struct hk_buf rest = c->pending; /* what followed the header */
        memset(&c->pending, 0, sizeof c->pending);
        if (rest.len)
            transport_input(c, rest.data, rest.len);
        hk_buf_free(&rest);
        return;
    }
    transport_input(c, p, n);
}

/* After an asynchronous answer: parse what was pipelined meanwhile, then read on. */
static void resume(struct hk_conn *c)
{
    if (c->pending.len && c->phase == HK_CONN_IDLE) {
        struct hk_buf b = c->pending;
        memset(&c->pending, 0, sizeof c->pending);
        process(c, b.data, b.len);
        hk_buf_free(&b);
    }
    flush(c);
}

void hk_conn_respond(struct hk_conn *c, const struct hk_response *r)
{
    if (!c->busy)
        return; /* already answered (e.g. by a timeout) */
    c->busy = false;
    if (c->phase == HK_CONN_CLOSED) {
        release_gen(c);
        if (c->open_handles == 0) {
            c->open_handles = 1;
            handle_closed_cb((uv_handle_t *)&c->tcp); /* frees it */
        }
        return;
    }
    bool complete = c->phase == HK_CONN_BUSY && c->http.head_done;
    bool close = r->close || c->io->stopping || !complete || !c->http.req.keep_alive;
    c->last_status = r->status;
    c->served = true;
    hk_response_write(c, r, close);
    release_gen(c);
    if (close) {
        c->close_after_write = true;
        c->phase = HK_CONN_BODY; /* not IDLE: no new request is read */
        clear_deadline(c);
    } else {
        hk_http_next(&c->http);
        c->phase = HK_CONN_IDLE;
        set_deadline(c, c->limits.idle_timeout_ms);
    }
    if (!c->in_process)
        resume(c);
}

/* Accepts into a bare handle and closes it: the connection is refused. */
static void refuse(struct hk_listener *l)
{
    union {
        uv_tcp_t tcp;
        uv_pipe_t pipe;
    } *t = malloc(sizeof *t);
    if (!t || hk_io_stream_init(l, t) != 0) {
        free(t);
        return;
    }
    uv_accept((uv_stream_t *)&l->tcp, (uv_stream_t *)t);
    uv_close((uv_handle_t *)t, (uv_close_cb)free);
}

/* A connection on l's loop for a listener configured as lc, with its TLS session if lc has
 * TLS. */
static struct hk_conn *conn_new(struct hk_listener *l, const struct hk_listen_conf *lc)
{
    struct hk_conn *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    if ((lc->tls && hk_tls_session_new(lc->tls, &c->tls) != 0) ||
        hk_io_stream_init(l, &c->tcp) != 0) {
        hk_tls_session_free(c->tls);
        free(c);
        return NULL;
    }
    return c;
}

/* The oldest connection of this loop that waits for a request, or NULL: walked from the
 * oldest end, so under a flood of idle connections the first one looked at is it. A loop only
 * ever closes its own connections. */
static struct hk_conn *oldest_idle(struct hk_io *io)
{
    for (struct hk_conn *c = io->oldest; c; c = c->prev)
        if (c->phase == HK_CONN_IDLE && !c->busy && !c->via_unix && c->pending.len == 0)
            return c;
    return NULL;
}

/* Room for one more connection under max_connections (and what the open-file limit allows):
 * at the limit, the oldest idle keep-alive connection of this loop is closed to make it, as
 * nginx reuses keep-alive connections, so that idle connections held by one party do not
 * shut genuine senders out. False when there is no room and nothing idle to close. */
static bool make_room(struct hk_io *io, const struct hk_conf *conf)
{
    unsigned cap = conf->limits.max_connections;
    if (io->conn_cap && *io->conn_cap && *io->conn_cap < cap)
        cap = *io->conn_cap;
    if (atomic_load(io->open_conns) < cap)
        return true;
    struct hk_conn *idle = oldest_idle(io);
    uint64_t held;
    if (hk_log_every_due(&io->full_log, uv_now(&io->loop), &held))
        hk_log(HK_LOG_WARN,
               idle ? "max_connections reached: closing the oldest idle connection for a new one"
                    : "max_connections reached and no idle connection to close: refusing",
               HK_I("max_connections", cap), HK_I("not_logged_since_last", (int64_t)held),
               HK_S("fix", "raise limits.max_connections (and the open-file limit), or cap "
                           "limits.max_connections_per_ip"));
    if (!idle)
        return false;
    hk_conn_close(idle);
    return true;
}

/* limits.max_connections_per_ip: the peer's connections across every loop; addresses in the
 * top-level trusted_proxies are exempt (they carry many clients). */
static bool per_ip_allowed(struct hk_conn *c, const struct hk_conf *conf)
{
    unsigned max = conf->limits.max_connections_per_ip;
    if (max == 0 || c->via_unix || !c->io->per_ip ||
        (conf->trusted && hk_ipset_contains(conf->trusted, &c->peer)))
        return true;
    if (hk_ip_count_take(c->io->per_ip, &c->peer, max)) {
        c->ip_counted = true;
        return true;
    }
    uint64_t held;
    if (hk_log_every_due(&c->io->per_ip_log, uv_now(&c->io->loop), &held))
        hk_log(HK_LOG_WARN, "connection refused: its address holds max_connections_per_ip",
               HK_S("peer", c->peer_text), HK_I("max_connections_per_ip", max),
               HK_I("not_logged_since_last", (int64_t)held),
               HK_S("fix", "raise limits.max_connections_per_ip, or list a proxy in "
                           "trusted_proxies"));
    return false;
}

/* The listener's settings come from the current configuration, so that after a reload a
 * kept socket serves new connections with the new certificates. */
void hk_conn_accept(struct hk_listener *l)
{
    static const struct hk_listen_conf admin = {.admin = true}; /* plain HTTP, no PROXY */
    struct hk_io *io = l->io;
    const struct hk_conf *conf = io->owner->conf(io->gen);
    const struct hk_listen_conf *lc =
        l->admin ? &admin : hk_conf_listener(conf, l->address, l->ordinal);
    if (!lc) { /* the listener is leaving the configuration: its socket is about to close */
        refuse(l);
        return;
    }
    if (!l->admin && !make_room(io, conf)) { /* the admin API always gets in */
        refuse(l);
        return;
    }
    atomic_fetch_add(io->open_conns, 1);
    struct hk_conn *c = conn_new(l, lc);
    if (!c) {
        atomic_fetch_sub(io->open_conns, 1);
        refuse(l);
        return;
    }
    uv_tcp_t *t = &c->tcp;
    if (uv_accept((uv_stream_t *)&l->tcp, (uv_stream_t *)t) != 0) {
        atomic_fetch_sub(io->open_conns, 1);
        hk_tls_session_free(c->tls);
        uv_close((uv_handle_t *)t, (uv_close_cb)free); /* tcp is c's first member */
        return;
    }
    c->io = io;
    c->handler = l->handler;
    c->handler_ctx = l->handler_ctx;
    c->await_proxy = lc->proxy_protocol;
    c->tcp.data = c;
    c->limits = conf->limits;
    uv_timer_init(&io->loop, &c->timer);
    c->timer.data = c;
    c->open_handles = 2;
    c->via_unix = l->unix_socket;
    if (c->via_unix) {
        snprintf(c->peer_text, sizeof c->peer_text, "unix");
    } else {
        struct sockaddr_storage ss;
        int len = sizeof ss;
        if (uv_tcp_getpeername(t, (struct sockaddr *)&ss, &len) == 0)
            hk_addr_from_sockaddr((struct sockaddr *)&ss, &c->peer);
        hk_addr_format(&c->peer, c->peer_text, sizeof c->peer_text);
        uv_tcp_nodelay(t, 1);
    }
    hk_http_init(&c->http, &c->limits);
    c->next = io->conns;
    if (io->conns)
        io->conns->prev = c;
    else
        io->oldest = c;
    io->conns = c;
    io->nconns++;
    io->nalive++;
    c->phase = HK_CONN_IDLE;
    if (!l->admin && !per_ip_allowed(c, conf)) {
        hk_conn_close(c);
        return;
    }
    /* A new connection must start talking soon; a TLS one must finish its handshake. */
    set_deadline(c, c->tls ? hk_tls_server_handshake_ms(lc->tls) : c->limits.header_timeout_ms);
    set_reading(c, true);
}
