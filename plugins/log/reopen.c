/* reopen.c -- a chaining SIGUSR1 handler that counts reopen requests. */
#define _POSIX_C_SOURCE 200809L

#include "reopen.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>

_Static_assert(ATOMIC_INT_LOCK_FREE == 2, "the handler needs a lock-free counter");

static atomic_uint generation;
static struct sigaction previous; /* written once, before the handler can run */
static pthread_once_t once = PTHREAD_ONCE_INIT;
static int install_rc;

static void usr1_cb(int sig, siginfo_t *info, void *uctx)
{
    int saved = errno;
    atomic_fetch_add_explicit(&generation, 1, memory_order_relaxed);
    if (previous.sa_flags & SA_SIGINFO) {
        if (previous.sa_sigaction)
            previous.sa_sigaction(sig, info, uctx);
    } else if (previous.sa_handler != SIG_DFL && previous.sa_handler != SIG_IGN) {
        previous.sa_handler(sig);
    }
    errno = saved;
}

static void install(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = usr1_cb;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&sa.sa_mask);
    /* read the previous handler first, so it is in place before ours can run */
    install_rc =
        sigaction(SIGUSR1, NULL, &previous) == 0 && sigaction(SIGUSR1, &sa, NULL) == 0 ? 0 : -errno;
}

int hklog_reopen_install(void)
{
    pthread_once(&once, install);
    return install_rc;
}

unsigned hklog_reopen_generation(void)
{
    return atomic_load_explicit(&generation, memory_order_relaxed);
}
