/* line.h -- the log plugin's JSON line for one event. */
#ifndef HKLOG_LINE_H
#define HKLOG_LINE_H

#include <hookd/plugin.h>

/* One line, newline included:
 *   {"id":..,"type":..,"source":..,"received_ms":..,"created_ms":..,"attempt":..,"data":..}
 * where data is the body's "data" member when the body is a JSON object that has one (its
 * text as sent, whitespace removed), else the whole body when it is JSON, else the body as
 * a JSON string (invalid UTF-8 replaced by U+FFFD). Returns a malloc'd buffer the caller
 * frees with *len set, or NULL when out of memory. Any thread. */
char *hklog_line(const hookd_event *ev, size_t *len);

#endif
