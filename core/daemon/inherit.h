/* inherit.h -- listening sockets handed to hookd when it starts, by systemd (socket
 * activation: LISTEN_FDS, LISTEN_PID, LISTEN_FDNAMES) or by hookd itself across a SIGUSR2
 * upgrade, so that a new binary takes over the ports without refusing a connection. */
#ifndef HK_INHERIT_H
#define HK_INHERIT_H

#include <stdbool.h>
#include <sys/socket.h>

/* Takes the sockets passed in the environment (and unsets it, so children do not see them):
 * how many. Start-up, before any listener opens. */
int hk_inherit_collect(void);
/* Whether a passed socket listens on sa (port and address, or a Unix socket path when sa is
 * NULL and path is not). */
bool hk_inherit_has(const struct sockaddr_storage *sa, const char *path);
/* A passed socket that listens on sa (or on path), taken: its fd, or -1 if none is left. */
int hk_inherit_take(const struct sockaddr_storage *sa, const char *path);
/* Closes the passed sockets no listener took, saying which. */
void hk_inherit_close_unused(void);

#endif
