/* io.c -- listening sockets and the per-thread accept path. */
#include "net/io.h"

#include "base/err.h"
#include "base/log.h"
#include "net/conn.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define LISTEN_BACKLOG  1024
#define DATE_REFRESH_MS 1000

int hk_listen_socket(const struct sockaddr *sa, socklen_t len)
{
    int one = 1;
    int fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
        setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) < 0 ||
        (sa->sa_family == AF_INET6 &&
         setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) < 0) ||
        bind(fd, sa, len) < 0 || listen(fd, LISTEN_BACKLOG) < 0) {
        int rc = -errno;
        close(fd);
        return rc;
    }
    return fd;
}

static void connection_cb(uv_stream_t *s, int status)
{
    struct hk_listener *l = s->data;
    if (status < 0) {
        /* Out of descriptors (EMFILE/ENFILE): libuv accepts and closes what is waiting with
         * its reserve descriptor, so the loop does not spin; the line is written at most once
         * a second, whatever the rate. */
        uint64_t held;
        if (hk_log_every_due(&l->accept_log, uv_now(&l->io->loop), &held))
            hk_log(HK_LOG_WARN, "accept failed", HK_S("listener", l->address),
                   HK_S("error", uv_strerror(status)), HK_I("not_logged_since_last", (int64_t)held),
                   HK_S("fix", status == UV_EMFILE || status == UV_ENFILE
                                   ? "raise the open-file limit (LimitNOFILE, ulimit -n) or "
                                     "lower limits.max_connections"
                                   : "see the error"));
        return;
    }
    hk_conn_accept(l);
}

int hk_io_add_listener(struct hk_io *io, int fd, const struct hk_listen_conf *lc,
                       const struct hk_conn_handler *handler, void *handler_ctx)
{
    struct hk_listener *l = calloc(1, sizeof *l);
    if (!l || !(l->address = strdup(lc->address))) {
        free(l);
        close(fd);
        return HK_ENOMEM;
    }
    l->io = io;
    l->handler = handler;
    l->handler_ctx = handler_ctx;
    l->ordinal = lc->ordinal;
    l->admin = lc->admin;
    struct sockaddr_storage ss;
    socklen_t sslen = sizeof ss;
    l->unix_socket =
        getsockname(fd, (struct sockaddr *)&ss, &sslen) == 0 && ss.ss_family == AF_UNIX;
    int rc =
        l->unix_socket ? uv_pipe_init(&io->loop, &l->pipe, 0) : uv_tcp_init(&io->loop, &l->tcp);
    l->tcp.data = l; /* the same place in both */
    if (rc == 0)
        rc = l->unix_socket ? uv_pipe_open(&l->pipe, fd) : uv_tcp_open(&l->tcp, fd);
    if (rc == 0)
        rc = uv_listen((uv_stream_t *)&l->tcp, LISTEN_BACKLOG, connection_cb);
    if (rc) {
        close(fd);
        free(l->address);
        free(l);
        return rc;
    }
    l->next = io->listeners;
    io->listeners = l;
    return 0;
}

static void listener_closed_cb(uv_handle_t *h)
{
    struct hk_listener *l = h->data;
    free(l->address);
    free(l);
}

void hk_io_close_listener(struct hk_io *io, const char *address)
{
    for (struct hk_listener **p = &io->listeners; *p; p = &(*p)->next) {
        struct hk_listener *l = *p;
        if (address && strcmp(l->address, address) != 0)
            continue;
        *p = l->next;
        uv_close((uv_handle_t *)&l->tcp, listener_closed_cb);
        return;
    }
}

/* The last connection of a stopping loop is gone: close what keeps the loop alive. */
static void finish(struct hk_io *io)
{
    if (io->finished)
        return;
    io->finished = true;
    uv_timer_stop(&io->stop_timer);
    uv_close((uv_handle_t *)&io->stop_timer, NULL);
    hk_task_queue_close(&io->tasks);
}

void hk_io_conn_gone(struct hk_io *io)
{
    if (io->stopping && io->nalive == 0)
        finish(io);
}

static void stop_timer_cb(uv_timer_t *t)
{
    struct hk_io *io = t->data;
    if (io->conns)
        hk_log(HK_LOG_WARN, "shutdown timeout: closing connections with requests in progress",
               HK_I("thread", io->index), HK_I("connections", (int64_t)io->nconns));
    while (io->conns)
        hk_conn_close(io->conns);
    finish(io);
}

void hk_io_stop(struct hk_io *io, uint64_t timeout_ms)
{
    io->stopping = true;
    while (io->listeners)
        hk_io_close_listener(io, NULL);
    for (struct hk_conn *c = io->conns, *next; c; c = next) {
        next = c->next;
        if (c->phase == HK_CONN_IDLE)
            hk_conn_close(c);
    }
    io->stop_timer.data = io;
    uv_timer_init(&io->loop, &io->stop_timer);
    uv_timer_start(&io->stop_timer, stop_timer_cb, timeout_ms, 0);
    hk_io_conn_gone(io);
}

const char *hk_io_date(struct hk_io *io)
{
    uint64_t now = uv_now(&io->loop);
    if (!io->date[0] || now - io->date_at >= DATE_REFRESH_MS) {
        time_t t = time(NULL);
        struct tm tm;
        gmtime_r(&t, &tm);
        strftime(io->date, sizeof io->date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
        io->date_at = now;
    }
    return io->date;
}
