/*
 * The bus (contract in bus.h).
 *
 * One attempt to reach Redis is a session: both connections are opened
 * together and given up together. The bus is always in one of four states:
 *
 *   WAITING     --retry timer-->        CONNECTING
 *   CONNECTING  --both ready-->         UP           (on_state(true))
 *   CONNECTING  --failure or timeout--> WAITING
 *   UP          --failure-->            WAITING      (on_state(false))
 *   any         --bus_close-->          CLOSED
 *
 * A connection is "ready" when Redis has answered on it: the first PING
 * reply on the publishing one, the confirmation of every subscription of the
 * set on the subscribing one. Only then is the bus up, so that whatever any
 * process publishes after this one's on_state(true), on a channel of the
 * set, reaches it.
 *
 * hiredis frees its contexts itself at moments that are easy to trip over,
 * which the code below respects in three ways:
 *  - It frees a context right after the connect callback reports a failure
 *    and right after the disconnect callback returns. Those callbacks first
 *    forget the context (conn->ac = NULL), so it is never freed twice.
 *  - redisAsyncFree from inside a reply callback of the same context waits
 *    until the callback returns; anywhere else it frees at once. The one
 *    place where that would pull the context from under hiredis is the
 *    connect callback on success, so that callback only records the fact
 *    and the work continues in `kick`, a zero-delay timer.
 *  - While freeing, hiredis calls every pending reply callback with a NULL
 *    reply. Each callback first checks that its context is still the
 *    current one and that there is a reply.
 */
#include "bus.h"

#include <assert.h>
#include <ctype.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "uvredis.h"

#define BUS_HOST_MAX     255
#define BUS_DEFAULT_PORT 6379
#define BUS_REASON_MAX   128
#define BUS_SET_MIN_CAP  16
/* Channels per SUBSCRIBE when resubscribing, to keep each command small. */
#define BUS_SUBSCRIBE_BATCH 256

enum bus_state { BUS_WAITING, BUS_CONNECTING, BUS_UP, BUS_CLOSED };

struct bus_conn {
    struct bus *bus;
    /* The current context, or NULL. */
    redisAsyncContext *ac;
    /* TCP connected, as hiredis's connect callback said. */
    bool connected;
    /* Greeted: the first PING sent (pub), or the set subscribed (sub). */
    bool live;
    /* Redis answered the greeting. */
    bool ready;
};

/* A channel name; names are compared as bytes. */
struct channel {
    size_t len;
    char name[];
};

struct bus {
    uv_loop_t *loop;
    struct bus_config cfg;
    struct bus_callbacks cb;
    void *ud;
    char host[BUS_HOST_MAX + 1];
    int port;
    enum bus_state state;

    struct bus_conn sub;
    struct bus_conn pub;

    /* The set, sorted by name: a message costs one binary search. */
    struct channel **channels;
    size_t nchannels;
    size_t cap;
    /* Subscriptions of the session's first burst Redis has not confirmed. */
    size_t unconfirmed;

    /* The connect deadline while CONNECTING, the retry delay while WAITING. */
    uv_timer_t timer;
    uv_timer_t ping_timer;
    /* Continues what a hiredis callback must not do itself (see above). */
    uv_timer_t kick;
    int open_handles;

    bool ping_outstanding;
    /* Ping ticks since anything came back on the publishing connection. */
    uint32_t silent_ticks;
    /* Failed sessions since the bus was last up: the backoff exponent. */
    uint32_t attempt;
    uint64_t rng;

    /* A failure found inside a caller's bus call, handled from `kick`. */
    bool fail_later;
    char reason[BUS_REASON_MAX];
    /* The current down period was logged at info; later retries go to debug. */
    bool down_logged;
    /* Warnings that would otherwise repeat for every publish of a session. */
    bool publish_error_logged;
    bool backlog_logged;
};

static void on_timer(uv_timer_t *t);
static void on_ping_tick(uv_timer_t *t);
static void on_kick(uv_timer_t *t);
static void on_sub_reply(redisAsyncContext *ac, void *r, void *privdata);

/* ---- configuration and randomness --------------------------------------- */

static enum status parse_port(const char *s, int *port)
{
    if (!isdigit((unsigned char)s[0])) {
        return STATUS_BAD_REQUEST;
    }
    char *end;
    unsigned long n = strtoul(s, &end, 10);
    if (*end != '\0' || n == 0 || n > 65535) {
        return STATUS_BAD_REQUEST;
    }
    *port = (int)n;
    return STATUS_OK;
}

/* "redis://HOST[:PORT]", HOST possibly "[IPv6]". No user, password or
 * database: see the LIMITATION in bus_open. */
static enum status parse_url(struct bus *b, const char *url)
{
    static const char prefix[] = "redis://";
    if (url == NULL || strncmp(url, prefix, sizeof(prefix) - 1) != 0) {
        return STATUS_BAD_REQUEST;
    }
    const char *host = url + sizeof(prefix) - 1;
    const char *end;
    const char *rest;
    if (host[0] == '[') {
        host++;
        end = strchr(host, ']');
        if (end == NULL) {
            return STATUS_BAD_REQUEST;
        }
        rest = end + 1;
    } else {
        end = host + strcspn(host, ":/@?");
        rest = end;
    }

    size_t n = (size_t)(end - host);
    if (n == 0 || n > BUS_HOST_MAX) {
        return STATUS_BAD_REQUEST;
    }
    memcpy(b->host, host, n);
    b->host[n] = '\0';
    b->port = BUS_DEFAULT_PORT;
    if (rest[0] == '\0') {
        return STATUS_OK;
    }
    return rest[0] == ':' ? parse_port(rest + 1, &b->port) : STATUS_BAD_REQUEST;
}

static void config_defaults(struct bus_config *c)
{
    c->url = NULL;
    c->connect_timeout_ms = c->connect_timeout_ms ? c->connect_timeout_ms : BUS_CONNECT_TIMEOUT_MS;
    c->ping_interval_ms = c->ping_interval_ms ? c->ping_interval_ms : BUS_PING_INTERVAL_MS;
    c->ping_deadline_ms = c->ping_deadline_ms ? c->ping_deadline_ms : BUS_PING_DEADLINE_MS;
    c->backoff_min_ms = c->backoff_min_ms ? c->backoff_min_ms : BUS_BACKOFF_MIN_MS;
    c->backoff_max_ms = c->backoff_max_ms ? c->backoff_max_ms : BUS_BACKOFF_MAX_MS;
}

/* splitmix64: small, fast, and good enough to spread retry delays. */
static uint64_t rng_next(struct bus *b)
{
    uint64_t z = (b->rng += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Seeded from the process id and the clock, so that processes which lose
 * Redis together do not come back in lock step. */
static void rng_seed(struct bus *b)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    b->rng = ((uint64_t)getpid() << 32) ^ (uint64_t)ts.tv_sec * 1000000000ULL ^
             (uint64_t)ts.tv_nsec ^ uv_hrtime();
}

/* The next retry delay: min doubled per failure up to max, then spread
 * over [delay/2, 3*delay/2]. */
static uint64_t backoff_next(struct bus *b)
{
    uint64_t delay = b->cfg.backoff_min_ms;
    for (uint32_t i = 0; i < b->attempt && delay < b->cfg.backoff_max_ms; i++) {
        delay *= 2;
    }
    if (delay > b->cfg.backoff_max_ms) {
        delay = b->cfg.backoff_max_ms;
    }
    b->attempt++;
    return delay / 2 + rng_next(b) % (delay + 1);
}

/* ---- the channel set ------------------------------------------------------ */

static bool channel_valid(const char *name, size_t *len)
{
    if (name == NULL) {
        return false;
    }
    *len = strnlen(name, BUS_CHANNEL_MAX + 1);
    return *len > 0 && *len <= BUS_CHANNEL_MAX;
}

static int channel_cmp(const struct channel *c, const char *name, size_t len)
{
    int d = memcmp(c->name, name, c->len < len ? c->len : len);
    if (d != 0) {
        return d;
    }
    return (c->len > len) - (c->len < len);
}

/* True when `name` is in the set; *pos is where it is or would go. */
static bool channel_find(const struct bus *b, const char *name, size_t len, size_t *pos)
{
    size_t lo = 0;
    size_t hi = b->nchannels;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int d = channel_cmp(b->channels[mid], name, len);
        if (d == 0) {
            *pos = mid;
            return true;
        }
        if (d < 0) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    *pos = lo;
    return false;
}

static enum status channel_insert(struct bus *b, size_t pos, const char *name, size_t len)
{
    if (b->nchannels == b->cap) {
        size_t cap = b->cap == 0 ? BUS_SET_MIN_CAP : b->cap * 2;
        struct channel **grown = realloc(b->channels, cap * sizeof(*grown));
        if (grown == NULL) {
            return STATUS_NOMEM;
        }
        b->channels = grown;
        b->cap = cap;
    }
    struct channel *c = malloc(sizeof(*c) + len + 1);
    if (c == NULL) {
        return STATUS_NOMEM;
    }
    c->len = len;
    memcpy(c->name, name, len);
    c->name[len] = '\0';

    memmove(&b->channels[pos + 1], &b->channels[pos], (b->nchannels - pos) * sizeof(c));
    b->channels[pos] = c;
    b->nchannels++;
    return STATUS_OK;
}

static void channel_remove(struct bus *b, size_t pos)
{
    free(b->channels[pos]);
    b->nchannels--;
    memmove(&b->channels[pos], &b->channels[pos + 1],
            (b->nchannels - pos) * sizeof(b->channels[0]));
}

/* ---- sessions ------------------------------------------------------------- */

static void set_reason(struct bus *b, const char *reason)
{
    if (reason != b->reason) {
        snprintf(b->reason, sizeof(b->reason), "%s", reason);
    }
}

/* Why hiredis gave up on `ac`, for the log. */
static const char *context_error(const redisAsyncContext *ac, const char *fallback)
{
    return ac->c.err != 0 && ac->c.errstr[0] != '\0' ? ac->c.errstr : fallback;
}

static void log_down(struct bus *b, uint64_t retry_ms)
{
    char quoted[BUS_REASON_MAX + 8];
    log_quote(b->reason, quoted, sizeof(quoted));
    if (b->down_logged) {
        log_debug("bus", "bus retry failed", "reason=%s retry_ms=%llu", quoted,
                  (unsigned long long)retry_ms);
        return;
    }
    b->down_logged = true;
    log_info("bus", "bus down", "reason=%s retry_ms=%llu", quoted, (unsigned long long)retry_ms);
}

/* Forgets the connection before freeing it, so that the callbacks hiredis
 * runs while freeing see a stale context and do nothing. */
static void conn_drop(struct bus_conn *conn)
{
    redisAsyncContext *ac = conn->ac;
    conn->ac = NULL;
    conn->connected = false;
    conn->live = false;
    conn->ready = false;
    if (ac != NULL) {
        redisAsyncFree(ac);
    }
}

/* Gives the session up and schedules the next one. Never from hiredis's
 * connect callback on success (see the top of this file). */
static void session_fail(struct bus *b, const char *reason)
{
    if (b->state != BUS_CONNECTING && b->state != BUS_UP) {
        return;
    }
    bool was_up = b->state == BUS_UP;
    set_reason(b, reason);
    conn_drop(&b->sub);
    conn_drop(&b->pub);
    uv_timer_stop(&b->ping_timer);
    uv_timer_stop(&b->kick);
    b->fail_later = false;

    b->state = BUS_WAITING;
    uint64_t delay = backoff_next(b);
    uv_timer_start(&b->timer, on_timer, delay, 0);
    log_down(b, delay);
    if (was_up) {
        b->cb.on_state(b->ud, false);
    }
}

/* For failures found inside a caller's bus call: handling them there would
 * call on_state(false) from inside bus_subscribe or bus_publish. */
static void session_fail_later(struct bus *b, const char *reason)
{
    if (b->fail_later) {
        return;
    }
    b->fail_later = true;
    set_reason(b, reason);
    uv_timer_start(&b->kick, on_kick, 0, 0);
}

static void on_connect(const redisAsyncContext *ac, int status)
{
    struct bus_conn *conn = ac->data;
    if (conn->ac != ac) {
        return;
    }
    if (status != REDIS_OK) {
        /* hiredis frees the context when this returns. */
        conn->ac = NULL;
        session_fail(conn->bus, context_error(ac, "connect failed"));
        return;
    }
    conn->connected = true;
    uv_timer_start(&conn->bus->kick, on_kick, 0, 0);
}

static void on_disconnect(const redisAsyncContext *ac, int status)
{
    struct bus_conn *conn = ac->data;
    if (conn->ac != ac) {
        return;
    }
    /* hiredis frees the context when this returns. */
    conn->ac = NULL;
    session_fail(conn->bus, context_error(ac, "connection closed"));
}

static enum status conn_open(struct bus *b, struct bus_conn *conn)
{
    /* LIMITATION: hiredis 0.14 resolves HOST with a blocking getaddrinfo
     * and tries only its first address, so a name the resolver is slow on
     * stalls the loop, and "localhost" may pick ::1 where Redis listens on
     * 127.0.0.1 only. Use an IP address; a fix would resolve with
     * uv_getaddrinfo first and connect to each address in turn. */
    redisAsyncContext *ac = redisAsyncConnect(b->host, b->port);
    if (ac == NULL) {
        set_reason(b, "out of memory");
        return STATUS_NOMEM;
    }
    if (ac->err != 0) {
        set_reason(b, context_error(ac, "connect failed"));
        redisAsyncFree(ac);
        return STATUS_UNAVAILABLE;
    }
    enum status st = uvredis_attach(b->loop, ac);
    if (st != STATUS_OK) {
        set_reason(b, "cannot watch the socket");
        redisAsyncFree(ac);
        return st;
    }

    /* Keepalive probes find a peer that vanished without closing (a host
     * gone, a partition); the subscribing connection never sends, so it
     * would not notice otherwise. */
    redisEnableKeepAlive(&ac->c);
    ac->data = conn;
    conn->ac = ac;
    redisAsyncSetDisconnectCallback(ac, on_disconnect);
    /* Last: it asks the adapter for the first write event. */
    redisAsyncSetConnectCallback(ac, on_connect);
    return STATUS_OK;
}

static void session_start(struct bus *b)
{
    b->state = BUS_CONNECTING;
    b->fail_later = false;
    b->ping_outstanding = false;
    b->silent_ticks = 0;
    b->unconfirmed = 0;
    b->publish_error_logged = false;
    b->backlog_logged = false;
    uv_timer_start(&b->timer, on_timer, b->cfg.connect_timeout_ms, 0);
    uv_timer_start(&b->ping_timer, on_ping_tick, b->cfg.ping_interval_ms, b->cfg.ping_interval_ms);

    if (conn_open(b, &b->sub) != STATUS_OK || conn_open(b, &b->pub) != STATUS_OK) {
        session_fail(b, b->reason);
    }
}

static void maybe_up(struct bus *b)
{
    if (b->state != BUS_CONNECTING || !b->pub.ready || !b->sub.ready) {
        return;
    }
    b->state = BUS_UP;
    b->attempt = 0;
    b->down_logged = false;
    uv_timer_stop(&b->timer);

    char quoted[BUS_HOST_MAX + 8];
    log_info("bus", "bus up", "host=%s port=%d channels=%zu",
             log_quote(b->host, quoted, sizeof(quoted)), b->port, b->nchannels);
    b->cb.on_state(b->ud, true);
}

/* ---- the publishing connection: PING and PUBLISH -------------------------- */

static void on_pong(redisAsyncContext *ac, void *r, void *privdata)
{
    struct bus *b = privdata;
    redisReply *reply = r;
    /* NULL: the context is going away and its disconnect callback says why. */
    if (ac != b->pub.ac || reply == NULL) {
        return;
    }
    b->ping_outstanding = false;
    b->silent_ticks = 0;
    if (reply->type == REDIS_REPLY_ERROR) {
        /* Loading, or wanting a password: publishes would fail too. */
        session_fail(b, reply->str);
        return;
    }
    if (!b->pub.ready) {
        b->pub.ready = true;
        maybe_up(b);
    }
}

/* From timers only: a failure here may call on_state(false). */
static void ping_send(struct bus *b)
{
    if (redisAsyncCommand(b->pub.ac, on_pong, b, "PING") != REDIS_OK) {
        session_fail(b, "cannot queue PING");
        return;
    }
    b->ping_outstanding = true;
}

/*
 * A reply to PING, or to anything else, proves Redis alive. The deadline
 * counts ticks rather than elapsed time: after the loop was blocked for a
 * while, timers run before the replies waiting on the socket are read, and
 * a clock would call that silence. Each tick is followed by a round of I/O.
 */
static void on_ping_tick(uv_timer_t *t)
{
    struct bus *b = t->data;
    if (!b->pub.live) {
        return;
    }
    if (!b->ping_outstanding) {
        ping_send(b);
        return;
    }
    b->silent_ticks++;
    if ((uint64_t)b->silent_ticks * b->cfg.ping_interval_ms >= b->cfg.ping_deadline_ms) {
        session_fail(b, "no reply to PING");
    }
}

static void on_published(redisAsyncContext *ac, void *r, void *privdata)
{
    struct bus *b = privdata;
    redisReply *reply = r;
    if (ac != b->pub.ac || reply == NULL) {
        return;
    }
    b->silent_ticks = 0;
    if (reply->type == REDIS_REPLY_ERROR && !b->publish_error_logged) {
        b->publish_error_logged = true;
        char quoted[BUS_REASON_MAX + 8];
        log_warn("bus", "publish refused", "err=%s", log_quote(reply->str, quoted, sizeof(quoted)));
    }
}

/* ---- the subscribing connection ------------------------------------------- */

static int subscribe_batch(struct bus *b, size_t first, size_t n)
{
    const char *argv[BUS_SUBSCRIBE_BATCH + 1];
    size_t lens[BUS_SUBSCRIBE_BATCH + 1];
    argv[0] = "SUBSCRIBE";
    lens[0] = strlen(argv[0]);
    for (size_t i = 0; i < n; i++) {
        argv[i + 1] = b->channels[first + i]->name;
        lens[i + 1] = b->channels[first + i]->len;
    }
    return redisAsyncCommandArgv(b->sub.ac, on_sub_reply, b, (int)n + 1, argv, lens);
}

/* Subscribes the whole set; the bus is up once Redis confirmed all of it. */
static void sub_greet(struct bus *b)
{
    b->sub.live = true;
    b->unconfirmed = b->nchannels;
    if (b->nchannels == 0) {
        b->sub.ready = true;
        return;
    }
    for (size_t i = 0; i < b->nchannels; i += BUS_SUBSCRIBE_BATCH) {
        size_t n = b->nchannels - i < BUS_SUBSCRIBE_BATCH ? b->nchannels - i : BUS_SUBSCRIBE_BATCH;
        if (subscribe_batch(b, i, n) != REDIS_OK) {
            session_fail(b, "cannot queue SUBSCRIBE");
            return;
        }
    }
}

/* Replies come in command order, so the first confirmations of a session
 * answer its first burst; later subscriptions do not hold up the bus. */
static void confirm(struct bus *b)
{
    if (b->unconfirmed == 0) {
        return;
    }
    b->unconfirmed--;
    if (b->unconfirmed == 0) {
        b->sub.ready = true;
        maybe_up(b);
    }
}

static void deliver(struct bus *b, const redisReply *channel, const redisReply *payload)
{
    if (channel->type != REDIS_REPLY_STRING || payload->type != REDIS_REPLY_STRING) {
        return;
    }
    /* Redis may still send for a channel dropped a moment ago. */
    size_t pos;
    if (b->state != BUS_UP || !channel_find(b, channel->str, channel->len, &pos)) {
        return;
    }
    if (payload->len > BUS_PAYLOAD_MAX) {
        log_warn("bus", "payload too large, dropped", "len=%zu", payload->len);
        return;
    }
    b->cb.on_message(b->ud, channel->str, channel->len, (const uint8_t *)payload->str,
                     payload->len);
}

/*
 * Every reply on the subscribing connection: ["message", channel, payload],
 * ["subscribe", channel, count] or ["unsubscribe", channel, count].
 *
 * LIMITATION: hiredis 0.14 asserts, aborting the process, on a few replies
 * Redis never sends: a pub/sub reply without a channel name, or a reply
 * nobody asked for on a connection that is not subscribed. So something
 * other than Redis answering at the configured address can crash kolabd. A
 * fix would parse the subscribing connection ourselves with hiredis's
 * redisReader, which reports malformed input as an error instead.
 */
static void on_sub_reply(redisAsyncContext *ac, void *r, void *privdata)
{
    struct bus *b = privdata;
    redisReply *reply = r;
    if (ac != b->sub.ac || reply == NULL) {
        return;
    }
    if (reply->type == REDIS_REPLY_ERROR) {
        session_fail(b, reply->str);
        return;
    }
    if (reply->type != REDIS_REPLY_ARRAY || reply->elements < 3 ||
        reply->element[0]->type != REDIS_REPLY_STRING) {
        return;
    }
    const char *kind = reply->element[0]->str;
    if (strcmp(kind, "message") == 0) {
        deliver(b, reply->element[1], reply->element[2]);
    } else if (strcmp(kind, "subscribe") == 0) {
        confirm(b);
    }
}

/* ---- timers ----------------------------------------------------------------- */

static void on_timer(uv_timer_t *t)
{
    struct bus *b = t->data;
    if (b->state == BUS_WAITING) {
        session_start(b);
    } else if (b->state == BUS_CONNECTING) {
        session_fail(b, "connect timeout");
    }
}

/* Greets each connection that has just connected, outside hiredis's stack. */
static void on_kick(uv_timer_t *t)
{
    struct bus *b = t->data;
    if (b->fail_later) {
        session_fail(b, b->reason);
        return;
    }
    if (b->pub.connected && !b->pub.live) {
        b->pub.live = true;
        ping_send(b);
    }
    if (b->sub.connected && !b->sub.live) {
        sub_greet(b);
    }
    maybe_up(b);
}

static void on_handle_closed(uv_handle_t *h)
{
    struct bus *b = h->data;
    if (--b->open_handles > 0) {
        return;
    }
    for (size_t i = 0; i < b->nchannels; i++) {
        free(b->channels[i]);
    }
    free(b->channels);
    free(b);
}

/* ---- the interface ---------------------------------------------------------- */

/*
 * LIMITATION: no password, TLS or database number in the URL, so Redis must
 * be reachable without AUTH on a trusted network. A server that wants a
 * password answers PING with an error: the bus logs it and keeps retrying.
 * Supporting it takes an AUTH command before the greeting of each
 * connection and a "redis://:PASSWORD@HOST" form here.
 */
enum status bus_open(uv_loop_t *loop, const struct bus_config *cfg, const struct bus_callbacks *cb,
                     void *ud, struct bus **out)
{
    assert(cb->on_message != NULL && cb->on_state != NULL);
    *out = NULL;
    struct bus *b = calloc(1, sizeof(*b));
    if (b == NULL) {
        return STATUS_NOMEM;
    }
    if (parse_url(b, cfg->url) != STATUS_OK) {
        free(b);
        return STATUS_BAD_REQUEST;
    }
    b->loop = loop;
    b->cfg = *cfg;
    config_defaults(&b->cfg);
    b->cb = *cb;
    b->ud = ud;
    b->sub.bus = b;
    b->pub.bus = b;
    rng_seed(b);

    uv_timer_t *timers[] = {&b->timer, &b->ping_timer, &b->kick};
    for (size_t i = 0; i < sizeof(timers) / sizeof(timers[0]); i++) {
        uv_timer_init(loop, timers[i]);
        timers[i]->data = b;
        b->open_handles++;
    }

    char quoted[BUS_HOST_MAX + 8];
    log_info("bus", "bus connecting", "host=%s port=%d", log_quote(b->host, quoted, sizeof(quoted)),
             b->port);
    session_start(b);
    *out = b;
    return STATUS_OK;
}

void bus_close(struct bus *b)
{
    if (b == NULL || b->state == BUS_CLOSED) {
        return;
    }
    b->state = BUS_CLOSED;
    conn_drop(&b->sub);
    conn_drop(&b->pub);
    uv_close((uv_handle_t *)&b->timer, on_handle_closed);
    uv_close((uv_handle_t *)&b->ping_timer, on_handle_closed);
    uv_close((uv_handle_t *)&b->kick, on_handle_closed);
    log_info("bus", "bus closed", NULL);
}

bool bus_up(const struct bus *b)
{
    return b->state == BUS_UP;
}

enum status bus_subscribe(struct bus *b, const char *channel)
{
    size_t len;
    size_t pos;
    if (!channel_valid(channel, &len)) {
        return STATUS_BAD_REQUEST;
    }
    if (channel_find(b, channel, len, &pos)) {
        return STATUS_OK;
    }
    if (b->nchannels >= BUS_CHANNELS_MAX) {
        return STATUS_TOO_LARGE;
    }
    enum status st = channel_insert(b, pos, channel, len);
    if (st != STATUS_OK) {
        return st;
    }

    /* Before the greeting, the burst will include it. */
    if (b->sub.live &&
        redisAsyncCommand(b->sub.ac, on_sub_reply, b, "SUBSCRIBE %b", channel, len) != REDIS_OK) {
        session_fail_later(b, "cannot queue SUBSCRIBE");
    }
    return STATUS_OK;
}

void bus_unsubscribe(struct bus *b, const char *channel)
{
    size_t len;
    size_t pos;
    if (!channel_valid(channel, &len) || !channel_find(b, channel, len, &pos)) {
        return;
    }
    channel_remove(b, pos);

    /* If this cannot be queued, Redis goes on sending the channel's
     * messages and deliver() drops them: only bandwidth is lost. */
    if (b->sub.live) {
        (void)redisAsyncCommand(b->sub.ac, NULL, NULL, "UNSUBSCRIBE %b", channel, len);
    }
}

enum status bus_publish(struct bus *b, const char *channel, const uint8_t *payload, size_t len)
{
    size_t channel_len;
    if (!channel_valid(channel, &channel_len)) {
        return STATUS_BAD_REQUEST;
    }
    if (len > BUS_PAYLOAD_MAX) {
        return STATUS_TOO_LARGE;
    }
    if (b->state != BUS_UP) {
        return STATUS_UNAVAILABLE;
    }

    /* Bytes hiredis could not hand to the socket yet: Redis is not keeping up. */
    if (sdslen(b->pub.ac->c.obuf) > BUS_BACKLOG_MAX) {
        if (!b->backlog_logged) {
            b->backlog_logged = true;
            log_warn("bus", "publish backlog full", "bytes=%zu", sdslen(b->pub.ac->c.obuf));
        }
        return STATUS_UNAVAILABLE;
    }
    /* %b copies even 0 bytes, and memcpy from NULL is undefined. */
    if (payload == NULL) {
        payload = (const uint8_t *)"";
    }
    if (redisAsyncCommand(b->pub.ac, on_published, b, "PUBLISH %b %b", channel, channel_len,
                          payload, len) != REDIS_OK) {
        session_fail_later(b, "cannot queue PUBLISH");
        return STATUS_UNAVAILABLE;
    }
    return STATUS_OK;
}
