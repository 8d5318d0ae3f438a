/* inherit.c -- listening sockets passed at start (inherit.h). */
#include "daemon/inherit.h"

#include "base/log.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#define INHERIT_MAX 256

static struct passed {
    int fd;
    struct sockaddr_storage sa;
    bool taken;
} passed[INHERIT_MAX];
static int npassed;

int hk_inherit_collect(void)
{
    int n = sd_listen_fds(1);
    for (int i = 0; i < n && npassed < INHERIT_MAX; i++) {
        int fd = SD_LISTEN_FDS_START + i;
        socklen_t len = sizeof passed[npassed].sa;
        if (getsockname(fd, (struct sockaddr *)&passed[npassed].sa, &len) != 0 ||
            sd_is_socket(fd, AF_UNSPEC, SOCK_STREAM, 1) <= 0) {
            hk_log(HK_LOG_WARN,
                   "a passed file descriptor is not a listening stream socket: "
                   "closed",
                   HK_I("fd", fd));
            close(fd);
            continue;
        }
        fcntl(fd, F_SETFD, FD_CLOEXEC);
        passed[npassed++].fd = fd;
    }
    if (npassed)
        hk_log(HK_LOG_INFO, "listening sockets passed in", HK_I("count", npassed));
    return npassed;
}

static bool same(const struct sockaddr_storage *a, const struct sockaddr_storage *b,
                 const char *path)
{
    if (path)
        return b->ss_family == AF_UNIX &&
               strcmp(((const struct sockaddr_un *)b)->sun_path, path) == 0;
    if (!a || a->ss_family != b->ss_family)
        return false;
    if (a->ss_family == AF_INET) {
        const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;
        return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
    }
    const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;
    return a->ss_family == AF_INET6 && x->sin6_port == y->sin6_port &&
           memcmp(&x->sin6_addr, &y->sin6_addr, sizeof x->sin6_addr) == 0;
}

bool hk_inherit_has(const struct sockaddr_storage *sa, const char *path)
{
    for (int i = 0; i < npassed; i++)
        if (!passed[i].taken && same(sa, &passed[i].sa, path))
            return true;
    return false;
}

int hk_inherit_take(const struct sockaddr_storage *sa, const char *path)
{
    for (int i = 0; i < npassed; i++)
        if (!passed[i].taken && same(sa, &passed[i].sa, path)) {
            passed[i].taken = true;
            return passed[i].fd;
        }
    return -1;
}

void hk_inherit_close_unused(void)
{
    for (int i = 0; i < npassed; i++) {
        if (passed[i].taken)
            continue;
        char where[INET6_ADDRSTRLEN + 16] = "?";
        const struct sockaddr_storage *sa = &passed[i].sa;
        if (sa->ss_family == AF_INET)
            inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, where, sizeof where);
        else if (sa->ss_family == AF_INET6)
            inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, where, sizeof where);
        else if (sa->ss_family == AF_UNIX)
            snprintf(where, sizeof where, "%s", ((const struct sockaddr_un *)sa)->sun_path);
        hk_log(HK_LOG_WARN,
               "a passed listening socket matches no listener of the configuration: "
               "closed",
               HK_S("address", where), HK_I("fd", passed[i].fd),
               HK_S("fix", "add it to \"listen\", or stop passing it (the socket unit)"));
        close(passed[i].fd);
        passed[i].taken = true;
    }
}
