/* server_listen.c -- listening sockets for every I/O thread, at start and at reload. */
#include "daemon/server.h"

#include "base/err.h"
#include "base/log.h"
#include "daemon/inherit.h"
#include "ingress/ingress.h"
#include "ops/admin.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static void describe(const struct sockaddr *sa, char *out, size_t cap)
{
    char host[INET6_ADDRSTRLEN] = "?";
    const struct sockaddr_in *a4 = (const void *)sa;
    const struct sockaddr_in6 *a6 = (const void *)sa;
    if (sa->sa_family == AF_INET6) {
        inet_ntop(AF_INET6, &a6->sin6_addr, host, sizeof host);
        snprintf(out, cap, "[%s]:%u", host, ntohs(a6->sin6_port));
    } else {
        inet_ntop(AF_INET, &a4->sin_addr, host, sizeof host);
        snprintf(out, cap, "%s:%u", host, ntohs(a4->sin_port));
    }
}

int hk_server_probe_free(const struct hk_listen_conf *lc)
{
    const struct sockaddr_in *a4 = (const void *)&lc->sa;
    if (a4->sin_port == 0 || hk_inherit_has(&lc->sa, NULL))
        return 0; /* a fresh port nobody can hold, or the socket is ours already */
    int fd = socket(lc->sa.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    /* A bind without SO_REUSEPORT fails if another socket listens on the port: without this,
     * a second hookd would silently share the address with the first. SO_REUSEADDR lets the
     * connections a stopped hookd closed itself (TIME_WAIT, up to a minute) not count. */
    int one = 1;
    int rc = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
                     bind(fd, (const struct sockaddr *)&lc->sa, lc->salen) < 0
                 ? -errno
                 : 0;
    close(fd);
    if (rc)
        hk_log(HK_LOG_ERROR, "cannot listen", HK_S("address", lc->address),
               HK_S("error", hk_strerror(rc)),
               HK_S("fix", "another process uses this address: stop it or change \"listen\""));
    return rc;
}

int hk_server_listen_fds(const struct hk_listen_conf *lc, unsigned n, int *fds, const char *what)
{
    struct sockaddr_storage sa = lc->sa;
    socklen_t len = lc->salen;
    char where[96];
    bool inherited = false;
    for (unsigned i = 0; i < n; i++) {
        /* A socket passed in (systemd, or hookd before an upgrade) keeps the port without a
         * moment closed; a loop it does not cover shares the first one. */
        int fd = hk_inherit_take(&sa, NULL);
        if (fd >= 0)
            inherited = true;
        else if (!inherited)
            fd = hk_listen_socket((struct sockaddr *)&sa, len);
        else if ((fd = fcntl(fds[0], F_DUPFD_CLOEXEC, 0)) < 0)
            fd = -errno;
        if (fd < 0) {
            hk_log(HK_LOG_ERROR, "cannot listen", HK_S("address", lc->address),
                   HK_S("error", hk_strerror(fd)),
                   HK_S("fix", "free the port or change the address in hookd.json"));
            while (i)
                close(fds[--i]);
            return fd;
        }
        if (i == 0) /* port 0: every thread listens on the port the first socket got */
            getsockname(fd, (struct sockaddr *)&sa, &len);
        fds[i] = fd;
    }
    describe((struct sockaddr *)&sa, where, sizeof where);
    hk_log(HK_LOG_INFO, what, HK_S("address", where), HK_I("threads", n),
           HK_S("tls", lc->tls ? "yes" : "no"), HK_S("passed_in", inherited ? "yes" : "no"));
    return 0;
}

/* A path where a socket is, that nobody answers on: left by a hookd that did not stop
 * cleanly. Anything else (a live socket, a file of another kind) is not hookd's to remove. */
static bool stale_socket(const char *path, const struct sockaddr_un *un)
{
    struct stat st;
    if (lstat(path, &st) != 0 || !S_ISSOCK(st.st_mode))
        return false;
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    bool answered = fd >= 0 && connect(fd, (const struct sockaddr *)un, sizeof *un) == 0;
    if (fd >= 0)
        close(fd);
    return !answered;
}

static int admin_socket_ready(struct hk_server *s, int fd, const char *path)
{
    s->admin_socket = strdup(path);
    hk_log(HK_LOG_INFO, "admin listening", HK_S("socket", path));
    return hk_io_add_listener(s->io[s->nio], fd,
                              &(struct hk_listen_conf){.address = path, .admin = true},
                              &hk_admin_handler, &s->ops);
}

/* The admin API's Unix socket at path, mode 0600: only hookd's user (and root) may connect,
 * so what comes through it needs no token. */
static int open_admin_socket(struct hk_server *s, const char *path)
{
    struct sockaddr_un un = {.sun_family = AF_UNIX};
    snprintf(un.sun_path, sizeof un.sun_path, "%s", path); /* its length was checked */
    int fd = hk_inherit_take(NULL, path);
    if (fd >= 0)
        return admin_socket_ready(s, fd, path);
    if (stale_socket(path, &un))
        unlink(path);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    int rc = fd < 0 ? -errno : 0;
    if (rc == 0 && bind(fd, (const struct sockaddr *)&un, sizeof un) != 0)
        rc = -errno;
    /* Before listen(), nobody can connect: the mode is right before the first peer. */
    if (rc == 0 && (chmod(path, 0600) != 0 || listen(fd, 64) != 0))
        rc = -errno;
    if (rc) {
        hk_log(HK_LOG_ERROR, "cannot open the admin socket", HK_S("path", path),
               HK_S("error", hk_strerror(rc)),
               HK_S("fix", rc == -EADDRINUSE ? "another process answers on it: stop it, or "
                                               "choose another admin.socket"
                                             : "create its directory, writable by hookd's user"));
        if (fd >= 0)
            close(fd);
        return rc;
    }
    return admin_socket_ready(s, fd, path);
}

int hk_server_open_listeners(struct hk_server *s)
{
    const struct hk_conf *c = s->gen->conf;
    int fds[HK_IO_MAX], rc = 0;
    for (size_t i = 0; rc == 0 && i < c->nlisten; i++)
        rc = hk_server_probe_free(&c->listen[i]);
    for (size_t k = 0; rc == 0 && k < c->nlisten; k++) {
        rc = hk_server_listen_fds(&c->listen[k], s->nio, fds, "listening");
        for (unsigned i = 0; rc == 0 && i < s->nio; i++)
            rc = hk_io_add_listener(s->io[i], fds[i], &c->listen[k], &hk_ingress_handler, s->store);
    }
    if (rc == 0 && c->admin_socket)
        rc = open_admin_socket(s, c->admin_socket);
    if (rc || !c->admin_address)
        return rc;
    struct hk_listen_conf admin = {
        .address = c->admin_address, .sa = c->admin_sa, .salen = c->admin_salen, .admin = true};
    rc = hk_server_probe_free(&admin);
    if (rc == 0)
        rc = hk_server_listen_fds(&admin, 1, fds, "admin listening");
    return rc ? rc : hk_io_add_listener(s->io[s->nio], fds[0], &admin, &hk_admin_handler, &s->ops);
}

void hk_server_remove_admin_socket(struct hk_server *s)
{
    if (s->admin_socket)
        unlink(s->admin_socket);
    free(s->admin_socket);
    s->admin_socket = NULL;
}
