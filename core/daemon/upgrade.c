/* upgrade.c -- SIGUSR2: handing the listeners to a new binary (upgrade.h). */
#include "daemon/upgrade.h"

#include "base/log.h"
#include "daemon/notify.h"
#include "daemon/reload.h"
#include "daemon/server.h"
#include "daemon/version.h"
#include "net/io.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define UPGRADE_ENV "HOOKD_UPGRADED"

void hk_upgrade_signal(struct hk_server *s)
{
    if (s->stopping || s->upgrading)
        return;
    pthread_mutex_lock(&s->reload_mu);
    bool busy = s->reload.in_progress;
    s->reload.in_progress = true; /* no reload while the new binary is checked */
    pthread_mutex_unlock(&s->reload_mu);
    if (busy) {
        hk_log(HK_LOG_WARN, "upgrade not started: a reload is in progress",
               HK_S("fix", "send SIGUSR2 again once the reload has ended"));
        return;
    }
    hk_notify_reloading();
    hk_log(HK_LOG_INFO, "upgrade: the binary now at hookd's path checks the configuration",
           HK_S("binary", s->exe));
    s->upgrade_probe = true;
    if (hk_reload_probe(s) != 0)
        hk_upgrade_checked(s, false, "out of memory");
}

/* A duplicate of every listening socket of every loop, without FD_CLOEXEC: exec keeps them.
 * The loops' lists change only in a reload, and none runs now (reload.in_progress). */
static void keep_listeners(struct hk_server *s)
{
    s->nhandover = 0;
    for (unsigned i = 0; i < s->nio_all; i++)
        for (struct hk_listener *l = s->io[i]->listeners; l; l = l->next) {
            int fd = hk_io_listener_fd(l);
            if (s->nhandover < sizeof s->handover / sizeof s->handover[0] && fd >= 0 &&
                (fd = fcntl(fd, F_DUPFD, 3)) >= 0)
                s->handover[s->nhandover++] = fd;
        }
}

void hk_upgrade_checked(struct hk_server *s, bool ok, const char *problems)
{
    if (!ok || s->stopping) {
        pthread_mutex_lock(&s->reload_mu);
        s->reload.in_progress = false;
        pthread_mutex_unlock(&s->reload_mu);
        if (!s->stopping)
            hk_log(HK_LOG_ERROR,
                   "upgrade refused: the new binary's check failed; this hookd keeps serving",
                   HK_S("binary", s->exe), HK_S("problem", problems && *problems ? problems : "?"),
                   HK_S("fix", "run the new binary with -t -c on the configuration directory"));
        hk_notify_reloaded(s->gen->number, false, s->gen->conf->hash);
        return;
    }
    keep_listeners(s);
    s->upgrading = true;
    hk_log(HK_LOG_INFO, "upgrade: stopping to hand the listeners to the new binary",
           HK_I("sockets", s->nhandover));
    hk_server_begin_stop(s, "SIGUSR2 upgrade");
}

/* Runs path with the kept sockets at 3, 4, ... as LISTEN_FDS for this very process. */
static void exec_with_sockets(struct hk_server *s, const char *path)
{
    char fds[16], pid[24];
    snprintf(fds, sizeof fds, "%u", s->nhandover);
    snprintf(pid, sizeof pid, "%ld", (long)getpid());
    setenv("LISTEN_FDS", fds, 1);
    setenv("LISTEN_PID", pid, 1);
    setenv(UPGRADE_ENV, "1", 1);
    char *argv[] = {s->exe, "-c", s->confdir, NULL};
    execv(path, argv);
}

void hk_upgrade_exec(struct hk_server *s)
{
    unsigned n = s->nhandover;
    int high[sizeof s->handover / sizeof s->handover[0]];
    /* Out of the way of 3..3+n first, then into place (dup2 leaves them open across exec). */
    for (unsigned i = 0; i < n; i++) {
        high[i] = fcntl(s->handover[i], F_DUPFD, (int)(3 + n));
        close(s->handover[i]);
    }
    for (unsigned i = 0; i < n; i++) {
        dup2(high[i], (int)(3 + i));
        close(high[i]);
    }
    hk_log(HK_LOG_INFO, "upgrade: running the new binary", HK_S("binary", s->exe),
           HK_I("sockets", n));
    exec_with_sockets(s, s->exe);
    hk_log(HK_LOG_ERROR, "upgrade: cannot run the new binary: running the old one again",
           HK_S("binary", s->exe), HK_S("error", strerror(errno)));
    exec_with_sockets(s, "/proc/self/exe");
    hk_log(HK_LOG_ERROR, "upgrade: cannot run the old binary either: hookd stops",
           HK_S("error", strerror(errno)),
           HK_S("fix", "start hookd again (systemd restarts it: Restart=on-failure)"));
}

void hk_upgrade_note_start(void)
{
    if (!getenv(UPGRADE_ENV))
        return;
    unsetenv(UPGRADE_ENV);
    hk_log(HK_LOG_INFO, "upgraded: this binary took over the listeners",
           HK_S("version", HOOKD_VERSION));
}
