/* run.c -- one command per event: posix_spawn into its own process group, stdin from the
 * body, output captured, poll() until exit or deadline, then SIGTERM/SIGKILL to the group. */
#define _GNU_SOURCE

#include "run.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define TICK_MS 20 /* how often exit is checked where pidfd_open() is missing */

/* One running command and the ends of its pipes we hold (-1 once closed). */
struct pump {
    const struct hkexec_job *job;
    struct hkexec_outcome *res;
    pid_t pid;
    int in_fd, out_fd, pidfd;
    size_t written;
    bool exited;
};

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

/* stdin, stdout and stderr of the child; a new process group; default signal dispositions
 * (an ignored SIGPIPE would survive exec) and an empty signal mask; nothing else open. */
static int spawn(const struct hkexec_job *job, int in_fd, int out_fd, pid_t *pid)
{
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t at;
    sigset_t none, defaults;
    sigemptyset(&none);
    sigemptyset(&defaults);
    for (int sig = 1; sig < 32; sig++)
        if (sig != SIGKILL && sig != SIGSTOP)
            sigaddset(&defaults, sig);
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in_fd, STDIN_FILENO);
    posix_spawn_file_actions_adddup2(&fa, out_fd, STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&fa, out_fd, STDERR_FILENO);
    posix_spawn_file_actions_addclosefrom_np(&fa, STDERR_FILENO + 1);
    if (job->cwd)
        posix_spawn_file_actions_addchdir_np(&fa, job->cwd);
    posix_spawnattr_init(&at);
    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
                                      POSIX_SPAWN_SETSIGDEF);
    posix_spawnattr_setpgroup(&at, 0);
    posix_spawnattr_setsigmask(&at, &none);
    posix_spawnattr_setsigdefault(&at, &defaults);
    int rc = posix_spawn(pid, job->argv[0], &fa, &at, job->argv, job->envp);
    posix_spawnattr_destroy(&at);
    posix_spawn_file_actions_destroy(&fa);
    return -rc;
}

static int open_pidfd(pid_t pid)
{
#ifdef SYS_pidfd_open
    return (int)syscall(SYS_pidfd_open, pid, 0);
#else
    (void)pid;
    return -1;
#endif
}

/* True once the child has exited; it stays a zombie (WNOWAIT) so that its pid, and so its
 * process group, cannot be reused before we are done signalling them. */
static bool has_exited(pid_t pid)
{
    siginfo_t si;
    memset(&si, 0, sizeof si);
    if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) < 0)
        return errno != EINTR; /* ECHILD: someone else reaped it */
    return si.si_pid == pid;
}

static void feed_stdin(struct pump *p)
{
    const struct hkexec_job *j = p->job;
    while (p->written < j->input_len) {
        ssize_t w = write(p->in_fd, j->input + p->written, j->input_len - p->written);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && errno == EAGAIN)
            return;
        if (w < 0) { /* EPIPE: the command does not read all of it, which is its right */
            close_fd(&p->in_fd);
            return;
        }
        p->written += (size_t)w;
    }
    close_fd(&p->in_fd); /* end of input */
}

static void keep(struct hkexec_outcome *res, const char *s, size_t n)
{
    size_t room = sizeof res->output - res->output_len;
    size_t take = n < room ? n : room;
    memcpy(res->output + res->output_len, s, take);
    res->output_len += take;
    res->output_dropped += n - take;
}

static void read_output(struct pump *p)
{
    char chunk[4096];
    for (;;) {
        ssize_t n = read(p->out_fd, chunk, sizeof chunk);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            return;
        if (n <= 0) {
            close_fd(&p->out_fd);
            return;
        }
        keep(p->res, chunk, (size_t)n);
    }
}

/* Sleeps until a pipe or the child needs attention; false when deadline has passed. */
static bool wait_step(struct pump *p, int64_t deadline)
{
    struct pollfd fds[3];
    nfds_t n = 0;
    int64_t left = deadline - now_ms();
    if (left <= 0)
        return false;
    if (p->in_fd >= 0)
        fds[n++] = (struct pollfd){.fd = p->in_fd, .events = POLLOUT};
    if (p->out_fd >= 0)
        fds[n++] = (struct pollfd){.fd = p->out_fd, .events = POLLIN};
    if (p->pidfd >= 0)
        fds[n++] = (struct pollfd){.fd = p->pidfd, .events = POLLIN};
    else if (left > TICK_MS)
        left = TICK_MS;
    poll(fds, n, (int)left); /* EINTR and friends: look again */
    return true;
}

/* Feeds stdin and reads output until the child has exited (true) or deadline (false). Output
 * still held open by a grandchild after the child's exit is not waited for. */
static bool pump_until_exit(struct pump *p, int64_t deadline)
{
    for (;;) {
        if (p->in_fd >= 0)
            feed_stdin(p);
        if (p->out_fd >= 0)
            read_output(p);
        if (!p->exited && has_exited(p->pid)) {
            p->exited = true;
            if (p->out_fd >= 0)
                read_output(p); /* what it wrote just before exiting */
        }
        if (p->exited)
            return true;
        if (!wait_step(p, deadline))
            return false;
    }
}

/* After a timeout: SIGTERM to the group, up to the grace period for the child to go, then
 * SIGKILL to whatever is left of the group (the child is still unreaped, so the group id
 * cannot have been reused). */
static void terminate_group(struct pump *p)
{
    close_fd(&p->in_fd);
    kill(-p->pid, SIGTERM);
    pump_until_exit(p, now_ms() + HKEXEC_GRACE_MS);
    kill(-p->pid, SIGKILL);
}

static int reap(pid_t pid)
{
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -1;
    return status;
}

static void block_sigpipe(sigset_t *old)
{
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &s, old);
}

/* Discards the SIGPIPE a write to a closed stdin raised in this thread, then unblocks. */
static void restore_sigpipe(const sigset_t *old)
{
    sigset_t s, pending;
    struct timespec zero = {0, 0};
    sigemptyset(&s);
    sigaddset(&s, SIGPIPE);
    if (!sigismember(old, SIGPIPE) && sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE))
        sigtimedwait(&s, NULL, &zero);
    pthread_sigmask(SIG_SETMASK, old, NULL);
}

static void supervise(struct pump *p)
{
    sigset_t old;
    fcntl(p->in_fd, F_SETFL, O_NONBLOCK);
    fcntl(p->out_fd, F_SETFL, O_NONBLOCK);
    p->pidfd = open_pidfd(p->pid);
    block_sigpipe(&old);
    p->res->timed_out = !pump_until_exit(p, now_ms() + p->job->timeout_ms);
    if (p->res->timed_out)
        terminate_group(p);
    p->res->status = reap(p->pid);
    restore_sigpipe(&old);
    close_fd(&p->in_fd);
    close_fd(&p->out_fd);
    close_fd(&p->pidfd);
}

int hkexec_run(const struct hkexec_job *job, struct hkexec_outcome *res)
{
    int in[2] = {-1, -1}, out[2] = {-1, -1}, rc = 0;
    memset(res, 0, sizeof *res);
    if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0) {
        rc = -errno;
        goto err_close;
    }
    struct pump p = {.job = job, .res = res, .in_fd = in[1], .out_fd = out[0], .pidfd = -1};
    rc = spawn(job, in[0], out[1], &p.pid);
    close_fd(&in[0]);
    close_fd(&out[1]);
    if (rc)
        goto err_close;
    supervise(&p);
    return 0;

err_close:
    for (int i = 0; i < 2; i++) {
        close_fd(&in[i]);
        close_fd(&out[i]);
    }
    return rc;
}
