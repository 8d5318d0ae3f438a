/* upgrade.h -- SIGUSR2: a new binary at hookd's path takes over without refusing a
 * connection.
 *
 * The new binary first checks the configuration (`hookd -t`, the reload's probe); if that
 * fails, nothing changes and this hookd keeps serving. Otherwise hookd keeps a duplicate of
 * every listening socket, stops as for SIGTERM (no new connections are accepted, the
 * requests and handler calls in progress finish, the store commits and closes) while new
 * connections wait in the sockets' backlogs, then execs the new binary in place -- the same
 * PID, so systemd's MAINPID stays right -- passing the sockets as LISTEN_FDS (inherit.h). If
 * the new binary cannot be run, the old one is run again the same way. Control thread. */
#ifndef HK_UPGRADE_H
#define HK_UPGRADE_H

#include <stdbool.h>

struct hk_server;

void hk_upgrade_signal(struct hk_server *s);
/* The new binary's check ended: ok, or the problems it printed. */
void hk_upgrade_checked(struct hk_server *s, bool ok, const char *problems);
/* After the stop: execs the new binary with the kept sockets. Returns only when neither the
 * new nor the old binary could be run. */
void hk_upgrade_exec(struct hk_server *s);
/* At start: says so when this process is the new binary of an upgrade. */
void hk_upgrade_note_start(void);

#endif
