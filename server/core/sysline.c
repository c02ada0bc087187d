#include "sysline.h"

#include <stdarg.h>
#include <stdio.h>

#include "app.h"
#include "cluster.h"
#include "encode.h"
#include "log.h"

static void stored(void *ud, enum status st, const struct store_message *m, bool duplicate)
{
    if (st != STATUS_OK) {
        log_error("sysline", "system line not stored", "status=%s", status_code(st));
        return;
    }
    struct proto_buf *b = encode_message_event(m);
    if (b != NULL) {
        cluster_room_event(m->room, m->seq, 0, 0, 0, b);
        proto_buf_unref(b);
    }
}

enum status sysline_post(uint64_t room, const char *fmt, ...)
{
    char body[SYSLINE_MAX];
    va_list ap;
    va_start(ap, fmt);
    int len = vsnprintf(body, sizeof(body), fmt, ap);
    va_end(ap);
    if (len < 0 || (size_t)len >= sizeof(body)) {
        log_error("sysline", "system line too long", "room=%llu", (unsigned long long)room);
        return STATUS_TOO_LARGE;
    }

    enum status st =
        store_append(app.store, room, 0, "system", body, (size_t)len, "", 0, 0, stored, NULL);
    if (st != STATUS_OK) {
        log_error("sysline", "system line not queued", "room=%llu status=%s",
                  (unsigned long long)room, status_code(st));
    }
    return st;
}
