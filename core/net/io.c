/* io.c -- listening sockets and the per-thread accept path. */
#include "net/io.h"

#include "base/err.h"
#include "base/log.h"
#include "net/conn.h"

#include <fcntl.h>
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

#define ACCEPT_PAUSE_MS 250  /* how long a listener out of descriptors stops accepting */
#define STOP_GRACE_MS   1000 /* a fresh connection's time for its first request at a stop */

static void connection_cb(uv_stream_t *s, int status);
static void listener_closed_cb(uv_handle_t *h);

static int open_reserve(void)
{
    return open("/dev/null", O_RDONLY | O_CLOEXEC);
}

int hk_io_stream_init(const struct hk_listener *l, void *handle)
{
    return l->unix_socket ? uv_pipe_init(&l->io->loop, handle, 0)
                          : uv_tcp_init(&l->io->loop, handle);
}

static int listen_on(struct hk_listener *l, int fd)
{
    int rc = hk_io_stream_init(l, &l->tcp);
    l->tcp.data = l; /* the same place in both */
    if (rc == 0)
        rc = l->unix_socket ? uv_pipe_open(&l->pipe, fd) : uv_tcp_open(&l->tcp, fd);
    if (rc == 0)
        rc = uv_listen((uv_stream_t *)&l->tcp, LISTEN_BACKLOG, connection_cb);
    l->handle_open = true;
    return rc;
}

/* A handle of the listener finished closing; the last one frees it. */
static void listener_closed_cb(uv_handle_t *h)
{
    struct hk_listener *l = h->data;
    if (--l->open_handles)
        return;
    if (l->spare_fd >= 0)
        close(l->spare_fd);
    if (l->reserve_fd >= 0)
        close(l->reserve_fd);
    free(l->address);
    free(l);
}

static void resume_cb(uv_timer_t *t)
{
    struct hk_listener *l = t->data;
    if (l->closing || !l->paused)
        return;
    if (l->reserve_fd < 0 && (l->reserve_fd = open_reserve()) < 0) {
        uv_timer_start(&l->resume, resume_cb, ACCEPT_PAUSE_MS, 0); /* still none to spare */
        return;
    }
    int fd = l->spare_fd;
    l->spare_fd = -1;
    l->paused = false;
    l->open_handles++; /* the stream handle again */
    int rc = listen_on(l, fd);
    if (rc)
        hk_log(HK_LOG_ERROR, "cannot accept on the listener again", HK_S("listener", l->address),
               HK_S("error", uv_strerror(rc)), HK_S("fix", "restart hookd"));
}

static void paused_cb(uv_handle_t *h)
{
    struct hk_listener *l = h->data;
    if (!l->closing)
        uv_timer_start(&l->resume, resume_cb, ACCEPT_PAUSE_MS, 0);
    listener_closed_cb(h); /* counts the stream handle's close; frees l if it is closing */
}

/* Out of descriptors: libuv would call again at once for the same waiting connection, and
 * the loop would spin. Closing the handle ends that at once; a duplicate of the socket
 * (made with the reserve descriptor's room) keeps it listening, its backlog intact, and the
 * listener accepts again ACCEPT_PAUSE_MS later, when descriptors may have been freed. */
static void pause_accepting(struct hk_listener *l)
{
    uv_os_fd_t fd;
    if (l->paused || !l->handle_open || uv_fileno((const uv_handle_t *)&l->tcp, &fd) != 0)
        return;
    if (l->reserve_fd >= 0) {
        close(l->reserve_fd);
        l->reserve_fd = -1;
    }
    if ((l->spare_fd = fcntl(fd, F_DUPFD_CLOEXEC, 0)) < 0)
        return;
    l->paused = true;
    l->handle_open = false;
    uv_close((uv_handle_t *)&l->tcp, paused_cb);
}

static void connection_cb(uv_stream_t *s, int status)
{
    struct hk_listener *l = s->data;
    if (status < 0) {
        bool out_of_fds = status == UV_EMFILE || status == UV_ENFILE;
        uint64_t held;
        if (hk_log_every_due(&l->accept_log, uv_now(&l->io->loop), &held))
            hk_log(HK_LOG_WARN,
                   out_of_fds ? "accept failed: out of file descriptors, not accepting for a "
                                "moment"
                              : "accept failed",
                   HK_S("listener", l->address), HK_S("error", uv_strerror(status)),
                   HK_I("not_logged_since_last", (int64_t)held),
                   HK_S("fix", out_of_fds ? "raise the open-file limit (LimitNOFILE, ulimit -n) "
                                            "or lower limits.max_connections"
                                          : "see the error"));
        if (out_of_fds)
            pause_accepting(l);
        return;
    }
    hk_conn_accept(l);
}

int hk_io_listener_fd(const struct hk_listener *l)
{
    uv_os_fd_t fd = -1;
    if (l->paused)
        return l->spare_fd;
    return uv_fileno((const uv_handle_t *)&l->tcp, &fd) == 0 ? fd : -1;
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
    l->spare_fd = -1;
    l->reserve_fd = open_reserve();
    struct sockaddr_storage ss;
    socklen_t sslen = sizeof ss;
    l->unix_socket =
        getsockname(fd, (struct sockaddr *)&ss, &sslen) == 0 && ss.ss_family == AF_UNIX;
    uv_timer_init(&io->loop, &l->resume);
    l->resume.data = l;
    l->open_handles = 2;
    int rc = listen_on(l, fd);
    if (rc) { /* both handles were initialised: close them, which frees l */
        hk_log(HK_LOG_ERROR, "cannot listen", HK_S("address", lc->address),
               HK_S("error", uv_strerror(rc)));
        l->closing = true;
        uv_close((uv_handle_t *)&l->resume, listener_closed_cb);
        uv_close((uv_handle_t *)&l->tcp, listener_closed_cb);
        return rc;
    }
    l->next = io->listeners;
    io->listeners = l;
    return 0;
}

void hk_io_close_listener(struct hk_io *io, const char *address)
{
    for (struct hk_listener **p = &io->listeners; *p; p = &(*p)->next) {
        struct hk_listener *l = *p;
        if (address && strcmp(l->address, address) != 0)
            continue;
        *p = l->next;
        l->closing = true;
        uv_close((uv_handle_t *)&l->resume, listener_closed_cb);
        if (l->handle_open) /* paused: its stream handle is closed, or closing (paused_cb) */
            uv_close((uv_handle_t *)&l->tcp, listener_closed_cb);
        return;
    }
}

static void log_flush_cb(uv_prepare_t *p)
{
    (void)p;
    hk_log_flush();
}

int hk_io_loop_init(struct hk_io *io)
{
    int rc = uv_loop_init(&io->loop);
    if (rc == 0)
        rc = hk_task_queue_init(&io->tasks, &io->loop);
    if (rc == 0)
        rc = uv_prepare_init(&io->loop, &io->log_flush);
    if (rc == 0) {
        uv_prepare_start(&io->log_flush, log_flush_cb);
        uv_unref((uv_handle_t *)&io->log_flush); /* the loop does not live for it */
    }
    return rc;
}

void hk_io_run(struct hk_io *io)
{
    hk_log_hold(true);
    uv_run(&io->loop, UV_RUN_DEFAULT);
    hk_log_hold(false);
}

/* The last connection of a stopping loop is gone: close what keeps the loop alive. */
static void finish(struct hk_io *io)
{
    if (io->finished)
        return;
    io->finished = true;
    uv_timer_stop(&io->stop_timer);
    uv_close((uv_handle_t *)&io->stop_timer, NULL);
    uv_close((uv_handle_t *)&io->log_flush, NULL);
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
    /* Idle keep-alive connections close now (their clients resend on a new one); one that
     * was just accepted may have its first request on the way: it gets a moment. */
    for (struct hk_conn *c = io->conns, *next; c; c = next) {
        next = c->next;
        if (c->phase == HK_CONN_IDLE && c->served)
            hk_conn_close(c);
        else if (c->phase == HK_CONN_IDLE)
            hk_conn_give_grace(c, STOP_GRACE_MS);
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
