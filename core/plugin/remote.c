/* remote.c -- a worker process seen from hookd (see remote.h). */
#include "plugin/remote.h"

#include "base/buf.h"
#include "base/clock.h"
#include "base/err.h"
#include "base/errmsg.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define WORKER_FD    3
#define READ_CHUNK   65536
#define REAP_STEP_MS 10

extern char **environ;

struct hk_remote {
    pid_t pid;
    int fd;
    bool dead;  /* the worker ended or was killed: no more calls */
    int status; /* its wait status, once reaped */
    bool reaped;
    struct hk_buf in; /* bytes read; the frame being assembled at the front */
    struct hk_buf out;
    struct hk_wire_result last; /* the last answer; its strings point into in */
};

/* Writes the whole of r->out; 0 or a negative code. */
static int send_all(struct hk_remote *r)
{
    size_t at = 0;
    while (at < r->out.len) {
        ssize_t n = send(r->fd, r->out.data + at, r->out.len - at, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        at += (size_t)n;
    }
    r->out.len = 0;
    return 0;
}

/* Reads until a whole frame is at the front of r->in, until deadline (CLOCK_MONOTONIC ms).
 * Its length; 0 when the worker closed the socket; HK_ETIMEDOUT; or another negative code. */
static int64_t read_frame(struct hk_remote *r, int64_t deadline)
{
    for (;;) {
        int64_t n = hk_wire_frame_len(r->in.data, r->in.len);
        if (n < 0 || (n > 0 && (size_t)n <= r->in.len))
            return n;
        int64_t left = deadline - hk_mono_ms();
        struct pollfd p = {.fd = r->fd, .events = POLLIN};
        int ready = left > 0 ? poll(&p, 1, left > INT32_MAX ? INT32_MAX : (int)left) : 0;
        if (ready < 0 && errno == EINTR)
            continue;
        if (ready == 0)
            return HK_ETIMEDOUT;
        if (ready < 0 || hk_buf_reserve(&r->in, READ_CHUNK) != 0)
            return ready < 0 ? -errno : HK_ENOMEM;
        ssize_t got = recv(r->fd, r->in.data + r->in.len, READ_CHUNK, 0);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            return got == 0 ? 0 : -errno;
        r->in.len += (size_t)got;
    }
}

static int spawn(const char *exe, int child_fd, pid_t *pid)
{
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t at;
    sigset_t none;
    sigemptyset(&none);
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, child_fd, WORKER_FD);
    posix_spawnattr_init(&at);
    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK);
    posix_spawnattr_setsigmask(&at, &none); /* hookd blocks some signals in its threads */
    char *argv[] = {(char *)exe, "worker", NULL};
    int rc = posix_spawn(pid, exe, &fa, &at, argv, environ);
    posix_spawnattr_destroy(&at);
    posix_spawn_file_actions_destroy(&fa);
    return -rc;
}

/* Reaps the worker if it has ended; with wait_ms > 0 waits that long for it. */
static void reap(struct hk_remote *r, int64_t wait_ms)
{
    for (int64_t waited = 0; !r->reaped; waited += REAP_STEP_MS) {
        if (waitpid(r->pid, &r->status, WNOHANG) == r->pid || errno == ECHILD)
            r->reaped = true;
        else if (waited >= wait_ms)
            return;
        else
            usleep(REAP_STEP_MS * 1000);
    }
}

static void kill_worker(struct hk_remote *r)
{
    if (!r->reaped)
        kill(r->pid, SIGKILL);
    reap(r, INT64_MAX);
    r->dead = true;
}

/* What the worker's end says, for error texts: "killed by signal 11", "exited with 1". */
static void describe_end(struct hk_remote *r, char *out, size_t cap)
{
    reap(r, 1000);
    if (!r->reaped)
        snprintf(out, cap, "closed its socket");
    else if (WIFSIGNALED(r->status))
        snprintf(out, cap, "was killed by signal %d", WTERMSIG(r->status));
    else
        snprintf(out, cap, "exited with status %d", WEXITSTATUS(r->status));
}

static int await_hello(struct hk_remote *r, int64_t timeout_ms, struct hk_wire_hello *hello,
                       char *err, size_t cap)
{
    int64_t n = read_frame(r, hk_mono_ms() + timeout_ms);
    char end[64];
    if (n == HK_ETIMEDOUT)
        return hk_errmsg(err, cap, HK_ETIMEDOUT,
                         "the worker did not answer within %lld ms: is init() stuck?",
                         (long long)timeout_ms);
    if (n <= 0) {
        describe_end(r, end, sizeof end);
        return hk_errmsg(err, cap, HK_EPLUGIN, "the worker %s before it answered", end);
    }
    if (hk_wire_get_hello(r->in.data, (size_t)n, hello) != 0)
        return hk_errmsg(err, cap, HK_EPARSE, "the worker's first answer was not HELLO");
    /* Its strings point into r->in: the frame stays at the front until the next call. */
    if (!hello->ok)
        return hk_errmsg(err, cap, HK_EPLUGIN, "%.*s", (int)hello->error.n, hello->error.p);
    return 0;
}

int hk_remote_start(const char *exe, const struct hk_wire_init *init, int64_t timeout_ms,
                    struct hk_remote **out, struct hk_wire_hello *hello, char *err, size_t cap)
{
    int sv[2];
    struct hk_remote *r = calloc(1, sizeof *r);
    if (!r)
        return hk_errmsg(err, cap, HK_ENOMEM, "out of memory");
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
        free(r);
        return hk_errmsg(err, cap, -errno, "cannot make the worker's socket: %s", strerror(errno));
    }
    int rc = spawn(exe, sv[1], &r->pid);
    close(sv[1]);
    r->fd = sv[0];
    if (rc) {
        close(r->fd);
        free(r);
        return hk_errmsg(err, cap, rc, "cannot start %s worker: %s", exe, hk_strerror(rc));
    }
    rc = hk_wire_put_init(&r->out, init);
    if (rc == 0 && (rc = send_all(r)) != 0)
        hk_errmsg(err, cap, rc, "cannot reach the worker: %s", hk_strerror(rc));
    if (rc == 0)
        rc = await_hello(r, timeout_ms, hello, err, cap);
    if (rc) {
        hk_remote_stop(r, 0);
        return rc;
    }
    *out = r;
    return 0;
}

static void put_event(struct hk_wire_event *m, const struct hk_plugin_event *pe, int64_t timeout)
{
    const hookd_event *ev = &pe->ev;
    *m = (struct hk_wire_event){.delivery = pe->delivery,
                                .attempt = ev->attempt,
                                .created_ms = ev->created_ms,
                                .received_ms = ev->received_ms,
                                .timeout_ms = timeout,
                                .id = hk_wire_cstr(ev->id),
                                .type = hk_wire_cstr(ev->type),
                                .source = hk_wire_cstr(ev->source),
                                .headers = hk_wire_cstr(pe->headers_text),
                                .body = {(const char *)ev->body, (uint32_t)ev->body_len}};
}

enum hk_remote_end hk_remote_call(struct hk_remote *r, const struct hk_plugin_event *pe,
                                  int64_t timeout_ms, hookd_result *result, char *error, size_t cap)
{
    struct hk_wire_event m;
    char end[64];
    put_event(&m, pe, timeout_ms);
    hk_buf_consume(&r->in, r->in.len); /* the HELLO, or the last RESULT, is read */
    int rc = r->dead ? HK_EPLUGIN : hk_wire_put_event(&r->out, &m);
    if (rc == 0)
        rc = send_all(r);
    struct hk_wire_result *res = &r->last;
    int64_t n = rc ? rc : read_frame(r, hk_mono_ms() + timeout_ms);
    if (n == HK_ETIMEDOUT) {
        kill_worker(r);
        snprintf(error, cap, "handle() ran past timeout_ms (%lld ms): its worker was killed",
                 (long long)timeout_ms);
        return HK_REMOTE_TIMED_OUT;
    }
    if (n <= 0 || hk_wire_get_result(r->in.data, (size_t)n, res) != 0) {
        describe_end(r, end, sizeof end);
        kill_worker(r);
        snprintf(error, cap, "the worker %s while it handled this event", end);
        return HK_REMOTE_CRASHED;
    }
    *result = (hookd_result)res->result;
    snprintf(error, cap, "%.*s", (int)res->error.n, res->error.p);
    return HK_REMOTE_ANSWERED;
}

const struct hk_wire_result *hk_remote_last(const struct hk_remote *r)
{
    return &r->last;
}

pid_t hk_remote_pid(const struct hk_remote *r)
{
    return r->pid;
}

void hk_remote_stop(struct hk_remote *r, int64_t grace_ms)
{
    if (!r)
        return;
    close(r->fd);
    reap(r, grace_ms);
    kill_worker(r);
    hk_buf_free(&r->in);
    hk_buf_free(&r->out);
    free(r);
}
