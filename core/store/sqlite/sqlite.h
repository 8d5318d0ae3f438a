/* sqlite.h -- the embedded store: SQLite in WAL mode, written by one thread in batches.
 *
 * Nothing is acknowledged before it is durable: an I/O thread submits an accepted request,
 * the writer thread inserts it (deduplicating on source and id) together with one delivery
 * per subscribed instance and commits the whole batch; with durability "fsync" the commit
 * fdatasync()s the WAL once for the whole batch (group commit), and only then are the
 * requests answered and the deliveries handed to their lanes. Outcomes of deliveries come
 * back to the writer and are committed in batches too. Retries wait in the store until due;
 * deliveries that do not fit in a lane's queue wait there too ("ready"), so a slow plugin
 * never makes hookd refuse events. After a crash, every delivery not finished is resumed (at
 * least once; plugins see attempt). Operators' reads run on a reader thread with its own
 * read-only connection.
 *
 * Tables (readable with the sqlite3 shell; see README):
 *   events(id, source, event_id, type, status routed|unrouted|invalid, invalid_reason,
 *          created_ms, received_ms, headers, body)
 *   deliveries(id, event, instance, state ready|running|retry|done|dead, attempts, next_ms,
 *              updated_ms, last_error)
 *   counts(tbl, state, n): rows of events and deliveries in each state, kept by triggers */
#ifndef HK_SQLITE_H
#define HK_SQLITE_H

#include "store/store.h"

#include <stddef.h>

/* Opens (creating if needed) the database of c, checks the schema, and marks deliveries
 * left "running" by a crash as ready again. 0 with *out set (close it with hk_store_close),
 * or a negative code with a message in err. */
int hk_sqlite_open(const struct hk_store_conf *c, struct hk_store **out, char *err, size_t cap);

#endif
