#include "conn.h"

#include <libwebsockets.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "dispatch.h"
#include "idmap.h"
#include "log.h"

/* The transport writes its frame header into the buffer's headroom. */
_Static_assert(LWS_PRE <= PROTO_HEADROOM, "PROTO_HEADROOM must cover LWS_PRE");

#define CONN_QUEUE_MIN 8
/* One coalesced frame carries at most this much; the rest goes next time. */
#define CONN_FRAME_MAX (1024 * 1024)
/* How long a peer has to answer our close frame. */
#define CONN_CLOSE_WAIT_S 3
/* The most of an oversized message read (and dropped) before closing. */
#define CONN_SKIP_MAX (16 * 1024 * 1024)

static struct idmap conns = IDMAP_INIT;
static uint64_t next_id = 1;
static unsigned max_frame = 64 * 1024;
static unsigned max_events = 4096;
static unsigned max_bytes = 4 * 1024 * 1024;

/* One scratch buffer joins queued events; the loop thread owns it. */
static uint8_t *scratch;
static size_t scratch_cap;

/* Connections that had something queued this turn (see conn_flush_pending);
 * a freed connection leaves a NULL behind. */
static struct conn **pending;
static uint32_t pending_count;
static uint32_t pending_cap;

void conn_configure(unsigned frame, unsigned events, unsigned bytes)
{
    max_frame = frame;
    max_events = events;
    max_bytes = bytes;
}

uint64_t conn_now_ms(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (uint64_t)tv.tv_sec * 1000 + (uint64_t)tv.tv_usec / 1000;
}

struct conn *conn_new(struct lws *wsi)
{
    struct conn *c = calloc(1, sizeof(*c));
    if (c == NULL) {
        return NULL;
    }
    c->id = next_id++;
    c->wsi = wsi;
    if (idmap_put(&conns, c->id, c) != STATUS_OK) {
        free(c);
        return NULL;
    }
    lws_get_peer_simple(wsi, c->peer, sizeof(c->peer));
    return c;
}

static void queue_clear(struct conn *c)
{
    while (c->queue_count > 0) {
        proto_buf_unref(c->queue[c->queue_head].buf);
        c->queue_head = (c->queue_head + 1) % c->queue_cap;
        c->queue_count--;
    }
    c->queue_bytes = 0;
    c->event_count = 0;
    c->event_bytes = 0;
}

void conn_free(struct conn *c)
{
    if (c->pending_slot != 0) {
        pending[c->pending_slot - 1] = NULL;
    }
    idmap_remove(&conns, c->id);
    queue_clear(c);
    free(c->queue);
    free(c->rooms);
    free(c->rx);
    free(c->bad_times);
    free(c);
}

struct conn *conn_find(uint64_t id)
{
    return idmap_get(&conns, id);
}

struct conn *conn_next(size_t *pos)
{
    uint64_t key = 0;
    void *value = NULL;
    return idmap_next(&conns, pos, &key, &value) ? value : NULL;
}

size_t conn_count(void)
{
    return conns.count;
}

bool conn_closing(const struct conn *c)
{
    return c->close_code != 0;
}

static void want_writable(struct conn *c)
{
    c->await_writable = true;
    lws_callback_on_writable(c->wsi);
}

/* Puts `c` on the list of this turn's writes, or, when the list cannot
 * grow, asks for a writeable callback instead. */
static void schedule_write(struct conn *c)
{
    if (c->pending_slot != 0 || c->await_writable) {
        return;
    }
    if (pending_count == pending_cap) {
        uint32_t cap = pending_cap == 0 ? 256 : pending_cap * 2;
        struct conn **p = realloc(pending, sizeof(*p) * cap);
        if (p == NULL) {
            want_writable(c);
            return;
        }
        pending = p;
        pending_cap = cap;
    }
    pending[pending_count++] = c;
    c->pending_slot = pending_count;
}

void conn_close(struct conn *c, int code, const char *reason, bool flush)
{
    if (conn_closing(c)) {
        return;
    }
    c->close_code = code;
    c->close_reason = reason;
    if (!flush) {
        queue_clear(c);
    }
    want_writable(c);
}

static bool queue_grow(struct conn *c)
{
    uint32_t cap = c->queue_cap == 0 ? CONN_QUEUE_MIN : c->queue_cap * 2;
    struct conn_item *q = malloc(sizeof(*q) * cap);
    if (q == NULL) {
        return false;
    }
    for (uint32_t i = 0; i < c->queue_count; i++) {
        q[i] = c->queue[(c->queue_head + i) % c->queue_cap];
    }
    free(c->queue);
    c->queue = q;
    c->queue_head = 0;
    c->queue_cap = cap;
    return true;
}

static void queue_push(struct conn *c, struct proto_buf *b, bool reply)
{
    if (c->queue_count == c->queue_cap && !queue_grow(c)) {
        conn_close(c, CONN_CLOSE_TRY_LATER, "out of memory", false);
        return;
    }

    proto_buf_ref(b);
    c->queue[(c->queue_head + c->queue_count) % c->queue_cap] =
        (struct conn_item){.buf = b, .reply = reply};
    c->queue_count++;
    c->queue_bytes += (uint32_t)b->len;
    if (!reply) {
        c->event_count++;
        c->event_bytes += (uint32_t)b->len;
    }
    if (c->queue_count == 1) {
        schedule_write(c);
    }
}

static bool queue_past_caps(const struct conn *c)
{
    return c->queue_count >= max_events || c->queue_bytes > max_bytes;
}

void conn_send(struct conn *c, struct proto_buf *b)
{
    if (conn_closing(c)) {
        return;
    }
    if (c->event_count >= max_events || c->event_bytes + b->len > max_bytes) {
        log_warn("conn", "slow client closed", "conn=%llu queued=%u bytes=%u",
                 (unsigned long long)c->id, c->event_count, c->event_bytes);
        conn_close(c, CONN_CLOSE_TRY_LATER, "too far behind", false);
        return;
    }
    queue_push(c, b, false);
}

void conn_reply(struct conn *c, struct proto_buf *b)
{
    if (conn_closing(c)) {
        return;
    }
    queue_push(c, b, true);
    if (!c->rx_paused && !conn_closing(c) && queue_past_caps(c)) {
        lws_rx_flow_control(c->wsi, 0);
        c->rx_paused = true;
    }
}

static struct proto_buf *queue_pop(struct conn *c)
{
    struct conn_item it = c->queue[c->queue_head];
    c->queue_head = (c->queue_head + 1) % c->queue_cap;
    c->queue_count--;
    c->queue_bytes -= (uint32_t)it.buf->len;
    if (!it.reply) {
        c->event_count--;
        c->event_bytes -= (uint32_t)it.buf->len;
    }
    return it.buf;
}

/* How many queued events fit in one frame, and the frame's payload size. */
static uint32_t frame_plan(const struct conn *c, size_t *payload)
{
    uint32_t n = 0;
    size_t total = 5;
    while (n < c->queue_count) {
        const struct proto_buf *b = c->queue[(c->queue_head + n) % c->queue_cap].buf;
        if (n > 0 && total + b->len > CONN_FRAME_MAX) {
            break;
        }
        total += b->len;
        n++;
    }
    *payload = total;
    return n;
}

static int write_single(struct conn *c)
{
    struct proto_buf *b = queue_pop(c);
    int n = lws_write(c->wsi, proto_buf_payload(b), b->len, LWS_WRITE_BINARY);
    size_t len = b->len;
    proto_buf_unref(b);
    return n < (int)len ? -1 : 0;
}

/* Joins several queued events into one msgpack array in the scratch buffer. */
static int write_joined(struct conn *c, uint32_t n, size_t payload)
{
    if (scratch_cap < LWS_PRE + payload) {
        uint8_t *p = realloc(scratch, LWS_PRE + payload);
        if (p == NULL) {
            return -1;
        }
        scratch = p;
        scratch_cap = LWS_PRE + payload;
    }

    uint8_t *out = scratch + LWS_PRE;
    size_t len = proto_array_header(out, n);
    for (uint32_t i = 0; i < n; i++) {
        struct proto_buf *b = queue_pop(c);
        memcpy(out + len, proto_buf_payload(b), b->len);
        len += b->len;
        proto_buf_unref(b);
    }
    int written = lws_write(c->wsi, out, len, LWS_WRITE_BINARY);
    return written < (int)len ? -1 : 0;
}

/*
 * Sends the close frame with our code and reason. libwebsockets 4.1.6 drops
 * a connection whose writeable callback returns -1 without sending the
 * reason set by lws_close_reason (the peer sees 1006), so the frame is
 * written here. Its opcode value, 4, is kept out of the public enum.
 */
#define CONN_WRITE_CLOSE ((enum lws_write_protocol)4)

static void send_close(struct conn *c)
{
    uint8_t buf[LWS_PRE + 2 + 64];
    uint8_t *p = buf + LWS_PRE;
    const char *reason = c->close_reason ? c->close_reason : "";
    size_t len = strlen(reason) < 64 ? strlen(reason) : 64;

    p[0] = (uint8_t)(c->close_code >> 8);
    p[1] = (uint8_t)(c->close_code & 0xff);
    memcpy(p + 2, reason, len);
    lws_write(c->wsi, p, 2 + len, CONN_WRITE_CLOSE);
}

/* Writes one frame of what is queued; -1 when the socket failed. A queue
 * left empty is freed: most connections are idle most of the time, and
 * one malloc per frame costs far less than the write. */
static int write_frame(struct conn *c)
{
    size_t payload = 0;
    uint32_t n = frame_plan(c, &payload);
    int rc = n == 1 ? write_single(c) : write_joined(c, n, payload);
    if (c->queue_count == 0) {
        free(c->queue);
        c->queue = NULL;
        c->queue_cap = 0;
        c->queue_head = 0;
    }
    return rc;
}

/* After a write: requests are read again once the replies that filled the
 * queue are out, and always on the way to closing, so the peer's answer to
 * our close frame is read. */
static void resume_reading(struct conn *c)
{
    if (c->rx_paused && (!queue_past_caps(c) || conn_closing(c))) {
        lws_rx_flow_control(c->wsi, 1);
        c->rx_paused = false;
    }
}

int conn_writeable(struct conn *c)
{
    c->await_writable = false;
    if (c->queue_count > 0 && write_frame(c) < 0) {
        return -1;
    }
    resume_reading(c);
    if (c->queue_count > 0) {
        want_writable(c);
        return 0;
    }

    if (conn_closing(c) && !c->close_sent) {
        /* Wait for the peer's answer before closing the socket: closing it
         * with the peer's frames still unread makes the kernel reset the
         * connection, and the peer would lose our close frame. */
        send_close(c);
        c->close_sent = true;
        lws_set_timeout(c->wsi, PENDING_TIMEOUT_CLOSE_ACK, CONN_CLOSE_WAIT_S);
    }
    return 0;
}

/* The direct write of conn_flush_pending. A socket that failed is closed
 * by lws on its next turn; one that took part of the frame (lws holds the
 * rest) goes on from the writeable callback. */
static void flush_one(struct conn *c)
{
    if (c->queue_count == 0 || c->await_writable || conn_closing(c)) {
        return;
    }
    if (lws_partial_buffered(c->wsi)) {
        want_writable(c);
        return;
    }
    if (write_frame(c) < 0) {
        lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
        return;
    }
    resume_reading(c);
    if (c->queue_count > 0 || lws_partial_buffered(c->wsi)) {
        want_writable(c);
    }
}

void conn_flush_pending(void)
{
    /* A write queues nothing, but the list is read by index so that it
     * would stay right if one did. */
    for (uint32_t i = 0; i < pending_count; i++) {
        struct conn *c = pending[i];
        if (c != NULL) {
            c->pending_slot = 0;
            flush_one(c);
        }
    }
    pending_count = 0;
}

static int refuse(struct conn *c, int code, const char *reason)
{
    c->close_code = code;
    c->close_sent = true;
    lws_close_reason(c->wsi, (enum lws_close_status)code, (unsigned char *)reason, strlen(reason));
    return -1;
}

/* Appends a piece of a message; `remaining` bytes of it are still to come,
 * so the buffer is allocated once at the message's size when the frame
 * header said it (a message of several frames may grow it again). */
static bool rx_append(struct conn *c, const uint8_t *in, size_t len, size_t remaining)
{
    /* lws passes on empty fragments too; before the first byte there is no
     * buffer to append to, and memcpy must not be given NULL. */
    if (len == 0) {
        return true;
    }
    size_t need = c->rx_len + len;
    if (need > c->rx_cap) {
        size_t cap = need + remaining;
        if (c->rx_cap > 0 && cap < 2 * (size_t)c->rx_cap) {
            cap = 2 * (size_t)c->rx_cap;
        }
        /* conn_receive let in only messages within the cap. */
        if (cap > max_frame) {
            cap = max_frame;
        }
        uint8_t *p = realloc(c->rx, cap);
        if (p == NULL) {
            return false;
        }
        c->rx = p;
        c->rx_cap = (uint32_t)cap;
    }
    memcpy(c->rx + c->rx_len, in, len);
    c->rx_len += (uint32_t)len;
    return true;
}

/*
 * An oversized message is read to its end and dropped before the 1009
 * close: closing with unread bytes in the socket makes the kernel reset the
 * connection, and the client would lose the close frame with the reason.
 * A sender that keeps going past CONN_SKIP_MAX is cut off at once.
 */
static int skip_oversized(struct conn *c, size_t len, bool complete)
{
    if (!c->rx_skipping) {
        log_warn("conn", "message too large", "conn=%llu", (unsigned long long)c->id);
        c->rx_skipping = true;
        c->rx_len = 0;
    }
    c->rx_skipped += (uint32_t)len;
    if (complete || c->rx_skipped > CONN_SKIP_MAX) {
        return refuse(c, CONN_CLOSE_TOO_LARGE, "message too large");
    }
    return 0;
}

int conn_receive(struct conn *c, const uint8_t *in, size_t len)
{
    if (conn_closing(c)) {
        return 0;
    }
    if (!lws_frame_is_binary(c->wsi)) {
        log_warn("conn", "text frame refused", "conn=%llu", (unsigned long long)c->id);
        return refuse(c, CONN_CLOSE_UNSUPPORTED, "binary frames only");
    }

    /* The frame header already declares what is still to come. */
    size_t remaining = lws_remaining_packet_payload(c->wsi);
    bool complete = remaining == 0 && lws_is_final_fragment(c->wsi);
    if (c->rx_skipping || c->rx_len + len + remaining > max_frame) {
        return skip_oversized(c, len, complete);
    }

    if (complete && c->rx_len == 0) {
        dispatch_frame(c, in, len);
        return 0;
    }
    if (!rx_append(c, in, len, remaining)) {
        return refuse(c, CONN_CLOSE_TRY_LATER, "out of memory");
    }
    if (complete) {
        dispatch_frame(c, c->rx, c->rx_len);
        /* An idle connection keeps no buffer. */
        free(c->rx);
        c->rx = NULL;
        c->rx_cap = 0;
        c->rx_len = 0;
    }
    return 0;
}
