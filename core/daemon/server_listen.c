/* server_listen.c -- listening sockets for every I/O thread, at start and at reload. */
#include "daemon/server.h"

#include "base/err.h"
#include "base/log.h"
#include "ingress/ingress.h"
#include "ops/admin.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <sys/socket.h>
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
    if (a4->sin_port == 0)
        return 0; /* a fresh port: nobody can hold it */
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
    for (unsigned i = 0; i < n; i++) {
        int fd = hk_listen_socket((struct sockaddr *)&sa, len);
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
           HK_S("tls", lc->tls ? "yes" : "no"));
    return 0;
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
    if (rc || !c->admin_address)
        return rc;
    struct hk_listen_conf admin = {
        .address = c->admin_address, .sa = c->admin_sa, .salen = c->admin_salen, .admin = true};
    rc = hk_server_probe_free(&admin);
    if (rc == 0)
        rc = hk_server_listen_fds(&admin, 1, fds, "admin listening");
    return rc ? rc : hk_io_add_listener(s->io[s->nio], fds[0], &admin, &hk_admin_handler, &s->ops);
}
