#include "ratelimit.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "conn.h"
#include "idmap.h"
#include "log.h"

#define RATELIMIT_SWEEP_MS 60000
/* Failed logins are forgotten one at a time, one per this many
 * milliseconds: slowly for an account, which one person uses, and quickly
 * for an address, which a whole office or a mobile carrier's NAT may share. */
#define RATELIMIT_ACCOUNT_DECAY_MS (5 * 60 * 1000)
#define RATELIMIT_ADDR_DECAY_MS    (10 * 1000)
/* The first delay after the free failures; each further one doubles it. */
#define RATELIMIT_LOGIN_DELAY_MS 1000
/* New connections an address may open at once, as a multiple of its rate
 * per second. */
#define RATELIMIT_CONN_BURST_FACTOR 2

/*
 * A token bucket: `tokens` refill at `rate` per second up to `burst`, and
 * each event takes one. A bucket never used is full (`last_ms` 0).
 */
struct bucket {
    double tokens;
    uint64_t last_ms;
};

/* Failed logins of one account or one address: how many are still
 * counted as of `settled_ms`, and when the latest was. */
struct failures {
    unsigned count;
    uint64_t settled_ms;
    uint64_t latest_ms;
    /* A refusal since the latest failure was reported. */
    bool refusal_told;
};

struct user_state {
    struct bucket requests;
    struct bucket messages;
};

struct addr_state {
    unsigned conns;
    struct bucket opens;
    struct bucket registrations;
    struct failures logins;
};

static struct idmap users;
static struct idmap addrs;
static struct idmap accounts;
static uv_timer_t sweep_timer;
static bool started;

/* ---- buckets and failure counts ---------------------------------------------- */

static double bucket_level(const struct bucket *b, double rate, double burst, uint64_t now_ms)
{
    if (b->last_ms == 0) {
        return burst;
    }
    double elapsed = now_ms > b->last_ms ? (double)(now_ms - b->last_ms) / 1000.0 : 0.0;
    double level = b->tokens + elapsed * rate;
    return level < burst ? level : burst;
}

/* Milliseconds until `b` holds one token again; 0 when it does now. */
static uint64_t bucket_wait(const struct bucket *b, double rate, double burst, uint64_t now_ms)
{
    double level = bucket_level(b, rate, burst, now_ms);
    if (level >= 1.0) {
        return 0;
    }
    return (uint64_t)((1.0 - level) * 1000.0 / rate) + 1;
}

static void bucket_take(struct bucket *b, double rate, double burst, uint64_t now_ms)
{
    b->tokens = bucket_level(b, rate, burst, now_ms) - 1.0;
    b->last_ms = now_ms;
}

static bool bucket_full(const struct bucket *b, double rate, double burst, uint64_t now_ms)
{
    return bucket_level(b, rate, burst, now_ms) >= burst;
}

/* Forgets the failures that decayed since they were last counted. */
static void failures_settle(struct failures *f, uint64_t decay_ms, uint64_t now_ms)
{
    if (f->count == 0 || now_ms <= f->settled_ms) {
        return;
    }
    uint64_t gone = (now_ms - f->settled_ms) / decay_ms;
    if (gone >= f->count) {
        f->count = 0;
        return;
    }
    f->count -= (unsigned)gone;
    f->settled_ms += gone * decay_ms;
}

/* How long after the latest failure the next attempt must wait: nothing for
 * the first `free_count`, then a second, doubling with each failure. */
static uint64_t failures_wait(const struct failures *f, unsigned free_count, uint64_t now_ms)
{
    if (f->count < free_count) {
        return 0;
    }
    unsigned doublings = f->count - free_count;
    uint64_t cap = (uint64_t)app.cfg->login_delay_max_s * 1000;
    uint64_t delay = doublings >= 32 ? cap : (uint64_t)RATELIMIT_LOGIN_DELAY_MS << doublings;
    uint64_t until = f->latest_ms + (delay < cap ? delay : cap);
    return now_ms < until ? until - now_ms : 0;
}

static void failures_add(struct failures *f, uint64_t now_ms)
{
    if (f->count == 0) {
        f->settled_ms = now_ms;
    }
    f->count++;
    f->latest_ms = now_ms;
    f->refusal_told = false;
}

/* True for the first refusal after the latest failure. */
static bool failures_tell(struct failures *f)
{
    bool first = !f->refusal_told;
    f->refusal_told = true;
    return first;
}

/* ---- the maps ---------------------------------------------------------------- */

/* The entry under `key` in `map`, created zeroed when missing; NULL when
 * memory runs out (the caller then lets the request through). */
static void *entry(struct idmap *map, uint64_t key, size_t size)
{
    void *e = idmap_get(map, key);
    if (e != NULL) {
        return e;
    }
    e = calloc(1, size);
    if (e != NULL && idmap_put(map, key, e) != STATUS_OK) {
        free(e);
        e = NULL;
    }
    return e;
}

/* FNV-1a, for account names; 0 is kept free for the map. */
static uint64_t name_key(const char *s, size_t len)
{
    uint64_t h = 14695981039346656037ull;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ull;
    }
    return h == 0 ? 1 : h;
}

uint64_t ratelimit_addr_key(const char *addr)
{
    struct in_addr v4;
    struct in6_addr v6;

    if (inet_pton(AF_INET, addr, &v4) == 1) {
        return (1ull << 32) | ntohl(v4.s_addr);
    }
    if (inet_pton(AF_INET6, addr, &v6) != 1) {
        return 0;
    }
    /* An IPv4-mapped address is that IPv4 address. */
    static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (memcmp(v6.s6_addr, mapped, sizeof(mapped)) == 0) {
        uint32_t a;
        memcpy(&a, v6.s6_addr + 12, 4);
        return (1ull << 32) | ntohl(a);
    }
    /* One subscriber usually holds a whole /64, so that is the unit. The
     * top bit keeps these keys apart from the IPv4 ones. */
    uint64_t prefix = 0;
    for (int i = 0; i < 8; i++) {
        prefix = (prefix << 8) | v6.s6_addr[i];
    }
    return prefix | (1ull << 63);
}

/* ---- connections --------------------------------------------------------------- */

enum status ratelimit_conn_open(uint64_t addr, uint64_t now_ms, uint64_t *retry_ms)
{
    const struct config *cfg = app.cfg;
    double rate = cfg->conn_rate_per_ip;
    double burst = rate * RATELIMIT_CONN_BURST_FACTOR;
    struct addr_state *a = addr == 0 ? NULL : entry(&addrs, addr, sizeof(*a));
    if (a == NULL) {
        return STATUS_OK;
    }

    if (a->conns >= cfg->conns_per_ip) {
        *retry_ms = 5000;
        return STATUS_RATE_LIMITED;
    }
    uint64_t wait = bucket_wait(&a->opens, rate, burst, now_ms);
    if (wait > 0) {
        *retry_ms = wait;
        return STATUS_RATE_LIMITED;
    }
    bucket_take(&a->opens, rate, burst, now_ms);
    a->conns++;
    return STATUS_OK;
}

void ratelimit_conn_closed(uint64_t addr)
{
    struct addr_state *a = addr == 0 ? NULL : idmap_get(&addrs, addr);
    if (a != NULL && a->conns > 0) {
        a->conns--;
    }
}

/* ---- requests ------------------------------------------------------------------- */

enum status ratelimit_request(uint64_t user, bool write, uint64_t now_ms, uint64_t *retry_ms)
{
    const struct config *cfg = app.cfg;
    struct user_state *u = entry(&users, user, sizeof(*u));
    if (u == NULL) {
        return STATUS_OK;
    }

    uint64_t wait = bucket_wait(&u->requests, cfg->req_rate, cfg->req_burst, now_ms);
    if (write && wait == 0) {
        wait = bucket_wait(&u->messages, cfg->msg_rate, cfg->msg_burst, now_ms);
    }
    if (wait > 0) {
        *retry_ms = wait;
        return STATUS_RATE_LIMITED;
    }
    bucket_take(&u->requests, cfg->req_rate, cfg->req_burst, now_ms);
    if (write) {
        bucket_take(&u->messages, cfg->msg_rate, cfg->msg_burst, now_ms);
    }
    return STATUS_OK;
}

/* ---- logins and registrations ----------------------------------------------------- */

enum status ratelimit_login_attempt(const char *username, size_t username_len, uint64_t addr,
                                    uint64_t now_ms, uint64_t *retry_ms, bool *first)
{
    const struct config *cfg = app.cfg;
    struct failures *account = entry(&accounts, name_key(username, username_len), sizeof(*account));
    struct addr_state *a = addr == 0 ? NULL : entry(&addrs, addr, sizeof(*a));

    uint64_t account_wait = 0, addr_wait = 0;
    if (account != NULL) {
        failures_settle(account, RATELIMIT_ACCOUNT_DECAY_MS, now_ms);
        account_wait = failures_wait(account, cfg->login_failures, now_ms);
    }
    if (a != NULL) {
        failures_settle(&a->logins, RATELIMIT_ADDR_DECAY_MS, now_ms);
        addr_wait = failures_wait(&a->logins, cfg->login_failures_ip, now_ms);
    }
    *first = false;
    if (account_wait > 0 || addr_wait > 0) {
        bool told_account = account_wait > 0 && failures_tell(account);
        bool told_addr = addr_wait > 0 && failures_tell(&a->logins);
        *first = told_account || told_addr;
        *retry_ms = account_wait > addr_wait ? account_wait : addr_wait;
        return STATUS_RATE_LIMITED;
    }

    if (account != NULL) {
        failures_add(account, now_ms);
    }
    if (a != NULL) {
        failures_add(&a->logins, now_ms);
    }
    return STATUS_OK;
}

void ratelimit_login_succeeded(const char *username, size_t username_len, uint64_t addr)
{
    free(idmap_remove(&accounts, name_key(username, username_len)));
    struct addr_state *a = addr == 0 ? NULL : idmap_get(&addrs, addr);
    if (a != NULL && a->logins.count > 0) {
        a->logins.count--;
    }
}

enum status ratelimit_register(uint64_t addr, uint64_t now_ms, uint64_t *retry_ms)
{
    /* The configured number per hour, all of it available at once. */
    double burst = app.cfg->registrations_per_ip;
    double rate = burst / 3600.0;
    struct addr_state *a = addr == 0 ? NULL : entry(&addrs, addr, sizeof(*a));
    if (a == NULL) {
        return STATUS_OK;
    }
    uint64_t wait = bucket_wait(&a->registrations, rate, burst, now_ms);
    if (wait > 0) {
        *retry_ms = wait;
        return STATUS_RATE_LIMITED;
    }
    bucket_take(&a->registrations, rate, burst, now_ms);
    return STATUS_OK;
}

/* ---- the sweep ---------------------------------------------------------------------- */

static bool forgotten(const struct failures *f, uint64_t decay_ms, uint64_t now_ms)
{
    struct failures settled = *f;
    failures_settle(&settled, decay_ms, now_ms);
    return settled.count == 0;
}

/* Whether an entry is back where it started, so forgetting it loses
 * nothing. */
static bool user_idle(const void *e, uint64_t now_ms)
{
    const struct user_state *u = e;
    const struct config *cfg = app.cfg;
    return bucket_full(&u->requests, cfg->req_rate, cfg->req_burst, now_ms) &&
           bucket_full(&u->messages, cfg->msg_rate, cfg->msg_burst, now_ms);
}

static bool addr_idle(const void *e, uint64_t now_ms)
{
    const struct addr_state *a = e;
    const struct config *cfg = app.cfg;
    double rate = cfg->conn_rate_per_ip;
    double registrations = cfg->registrations_per_ip;
    return a->conns == 0 &&
           bucket_full(&a->opens, rate, rate * RATELIMIT_CONN_BURST_FACTOR, now_ms) &&
           bucket_full(&a->registrations, registrations / 3600.0, registrations, now_ms) &&
           forgotten(&a->logins, RATELIMIT_ADDR_DECAY_MS, now_ms);
}

static bool account_idle(const void *e, uint64_t now_ms)
{
    return forgotten(e, RATELIMIT_ACCOUNT_DECAY_MS, now_ms);
}

/* Frees the entries of `map` that `idle` says are back to their start.
 * The map may not change during a walk, so keys go to a list first. */
static void sweep_map(struct idmap *map, bool (*idle)(const void *e, uint64_t now_ms),
                      uint64_t now_ms)
{
    uint64_t *keys = malloc((map->count + 1) * sizeof(*keys));
    size_t n = 0;
    uint64_t key;
    void *value;
    if (keys == NULL) {
        return;
    }
    for (size_t pos = 0; idmap_next(map, &pos, &key, &value);) {
        if (idle(value, now_ms)) {
            keys[n++] = key;
        }
    }
    for (size_t i = 0; i < n; i++) {
        free(idmap_remove(map, keys[i]));
    }
    free(keys);
}

static void sweep(uv_timer_t *t)
{
    uint64_t now_ms = conn_now_ms();
    sweep_map(&users, user_idle, now_ms);
    sweep_map(&addrs, addr_idle, now_ms);
    sweep_map(&accounts, account_idle, now_ms);
}

void ratelimit_start(void)
{
    uv_timer_init(app.loop, &sweep_timer);
    uv_timer_start(&sweep_timer, sweep, RATELIMIT_SWEEP_MS, RATELIMIT_SWEEP_MS);
    started = true;
}

static void free_all(struct idmap *map)
{
    uint64_t key;
    void *value;
    for (size_t pos = 0; idmap_next(map, &pos, &key, &value);) {
        free(value);
    }
    idmap_free(map);
}

void ratelimit_stop(void)
{
    if (started) {
        uv_timer_stop(&sweep_timer);
        uv_close((uv_handle_t *)&sweep_timer, NULL);
        started = false;
    }
    free_all(&users);
    free_all(&addrs);
    free_all(&accounts);
}
