/* admin.h -- the admin API, on its own listener and thread (loopback by default):
 *   GET  /healthz            the process answers
 *   GET  /readyz             200 when events can be accepted, 503 with the reason otherwise
 *   GET  /metrics            Prometheus text
 *   GET  /reload             status of the last reload (generation, hash, time, result)
 *   POST /reload             reloads the configuration; answers with the result
 *   GET  /dlq                dead letters (what=dead), or unrouted / invalid events
 *   GET  /dlq/show           one of them, with body and headers (delivery=ID)
 *   POST /dlq/replay         back to pending (dry_run=1 only counts)
 *   POST /dlq/purge          deleted (dry_run=1 only counts)
 * Filters for /dlq*: source, type, instance, id, since, until (Unix ms or "2h" ago), limit.
 * With admin.token set, every TCP request but /healthz needs "Authorization: Bearer TOKEN"
 * (else 401); requests on admin.socket need none (the socket's mode admits hookd's user). */
#ifndef HK_ADMIN_H
#define HK_ADMIN_H

#include "net/conn.h"

/* Serves the admin listener; its handler context (hk_io_add_listener) is the server. */
extern const struct hk_conn_handler hk_admin_handler;
/* Requests refused for a missing or wrong token since start (for /metrics). Any thread. */
uint64_t hk_admin_auth_failures(void);

#endif
