#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DEFAULT_TOKEN_TTL_S  (30u * 24 * 3600)
#define DEFAULT_QUEUE_EVENTS 4096
#define DEFAULT_QUEUE_BYTES  (4u * 1024 * 1024)
#define DEFAULT_CALL_RING_S  60
#define DEFAULT_IDLE_S       45

/* The options, in the order of the table below. */
enum option_id {
    OPT_LISTEN,
    OPT_DATA,
    OPT_WEB_ROOT,
    OPT_TLS_CERT,
    OPT_TLS_KEY,
    OPT_ORIGIN,
    OPT_LOG_LEVEL,
    OPT_TOKEN_TTL,
    OPT_MAX_FRAME,
    OPT_QUEUE_EVENTS,
    OPT_QUEUE_BYTES,
    OPT_IDLE_TIMEOUT,
    OPT_REDIS,
    OPT_WORKERS,
    OPT_ICE_SERVERS,
    OPT_TURN_USERNAME,
    OPT_TURN_CREDENTIAL,
    OPT_CALL_RING_S,
    OPT_REQ_RATE,
    OPT_REQ_BURST,
    OPT_MSG_RATE,
    OPT_MSG_BURST,
    OPT_CONNS_PER_IP,
    OPT_CONN_RATE_PER_IP,
    OPT_LOGIN_FAILURES,
    OPT_LOGIN_FAILURES_IP,
    OPT_LOGIN_DELAY_MAX,
    OPT_REGISTRATIONS_PER_IP,
    OPT_ROOMS_PER_CONN,
    OPT_TRUSTED_PROXY,
    OPT_DEMO,
    OPT_HELP,
};

struct option_def {
    const char *flag;
    const char *env;
    const char *arg;
    const char *help;
};

static const struct option_def options[] = {
    {"--listen", "KOLAB_LISTEN", "HOST:PORT", "address to listen on (default 127.0.0.1:8080)"},
    {"--data", "KOLAB_DATA", "DIR", "directory holding the database (default ./data)"},
    {"--web-root", "KOLAB_WEB_ROOT", "DIR", "built web client to serve (default: next to kolabd)"},
    {"--tls-cert", "KOLAB_TLS_CERT", "FILE", "PEM certificate; with --tls-key serves https/wss"},
    {"--tls-key", "KOLAB_TLS_KEY", "FILE", "PEM private key"},
    {"--origin", "KOLAB_ORIGIN", "URL",
     "allowed browser origin, repeatable (env: comma-separated; default: the server's own)"},
    {"--log-level", "KOLAB_LOG_LEVEL", "LEVEL", "error, warn, info or debug (default info)"},
    {"--token-ttl", "KOLAB_TOKEN_TTL", "SECONDS", "session lifetime (default 2592000, 30 days)"},
    {"--max-frame", "KOLAB_MAX_FRAME", "BYTES",
     "largest incoming message, 1024-16777216 (default 65536)"},
    {"--queue-events", "KOLAB_QUEUE_EVENTS", "N",
     "events queued for one connection before it is closed with 1013 (default 4096)"},
    {"--queue-bytes", "KOLAB_QUEUE_BYTES", "BYTES",
     "bytes queued for one connection before it is closed with 1013 (default 4194304)"},
    {"--idle-timeout", "KOLAB_IDLE_TIMEOUT", "SECONDS",
     "drop a WebSocket that answers no ping for this long, 4-3600; pings at 2/3 (default 45)"},
    {"--redis", "KOLAB_REDIS", "URL",
     "redis://HOST:PORT: share events with other kolabd processes (default: none)"},
    {"--workers", "KOLAB_WORKERS", "N",
     "run N processes on one port and data directory (needs --redis; default 1)"},
    {"--ice-servers", "KOLAB_ICE_SERVERS", "LIST",
     "comma-separated stun:, stuns:, turn: or turns: URLs for calls, at most 8 (default: none)"},
    {"--turn-username", "KOLAB_TURN_USERNAME", "NAME", "user name for the turn: servers"},
    {"--turn-credential", "KOLAB_TURN_CREDENTIAL", "TEXT",
     "password for the turn: servers (prefer the environment variable)"},
    {"--call-ring-s", "KOLAB_CALL_RING_S", "SECONDS",
     "how long a call rings before it ends as missed, 1-600 (default 60)"},
    {"--req-rate", "KOLAB_REQ_RATE", "N", "requests per second per user (default 100)"},
    {"--req-burst", "KOLAB_REQ_BURST", "N", "requests one user may send at once (default 2000)"},
    {"--msg-rate", "KOLAB_MSG_RATE", "N",
     "writes (messages, edits, typing, ...) per second per user (default 5)"},
    {"--msg-burst", "KOLAB_MSG_BURST", "N", "writes one user may send at once (default 30)"},
    {"--conns-per-ip", "KOLAB_CONNS_PER_IP", "N",
     "WebSockets one client address may hold open (default 256)"},
    {"--conn-rate-per-ip", "KOLAB_CONN_RATE_PER_IP", "N",
     "new WebSockets per second per client address, twice that at once (default 20)"},
    {"--login-failures", "KOLAB_LOGIN_FAILURES", "N",
     "failed logins of one account before each further attempt waits (default 5)"},
    {"--login-failures-ip", "KOLAB_LOGIN_FAILURES_IP", "N",
     "failed logins from one address before each further attempt waits (default 50)"},
    {"--login-delay-max", "KOLAB_LOGIN_DELAY_MAX", "SECONDS",
     "longest wait after failed logins; the wait doubles up to it (default 900)"},
    {"--registrations-per-ip", "KOLAB_REGISTRATIONS_PER_IP", "N",
     "new accounts per client address per hour (default 100)"},
    {"--rooms-per-conn", "KOLAB_ROOMS_PER_CONN", "N",
     "rooms one connection may have joined at once (default 1000)"},
    {"--trusted-proxy", "KOLAB_TRUSTED_PROXY", "IP",
     "proxy whose X-Forwarded-For is believed, repeatable (env: comma-separated; default none)"},
    {"--demo", "KOLAB_DEMO", NULL, "seed demo accounts and rooms into a new database"},
    {"--help", NULL, NULL, "show this help"},
};

void config_usage(const char *exe)
{
    printf("usage: %s [flags]\n"
           "       %s user add [--data DIR] --role ROLE [--name NAME] USERNAME"
           "  (password on stdin)\n\nflags:\n",
           exe, exe);
    for (size_t i = 0; i < sizeof(options) / sizeof(options[0]); i++) {
        const struct option_def *o = &options[i];
        char head[40];
        snprintf(head, sizeof(head), "%s%s%s", o->flag, o->arg ? " " : "", o->arg ? o->arg : "");
        printf("  %-26s %s", head, o->help);
        if (o->env != NULL) {
            printf(" [%s]", o->env);
        }
        printf("\n");
    }
}

static bool copy_str(char *dst, const char *src)
{
    size_t n = strlen(src);
    if (n >= CONFIG_STR_MAX) {
        return false;
    }
    memcpy(dst, src, n + 1);
    return true;
}

static bool parse_uint(const char *s, unsigned long long max, unsigned long long *out)
{
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v > max || s[0] == '-') {
        return false;
    }
    *out = v;
    return true;
}

/*
 * libwebsockets listens on an IPv4 address or a network interface's name
 * ("lo"), and on nothing at all, without failing, for anything else. A host
 * name such as "localhost" is therefore resolved here, once at start-up, to
 * its first IPv4 address; false when it is none of the three.
 */
static bool listen_host_resolve(char *host, size_t cap)
{
    struct in_addr addr;
    if (inet_pton(AF_INET, host, &addr) == 1 || if_nametoindex(host) != 0) {
        return true;
    }
    struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM};
    struct addrinfo *res = NULL;
    if (getaddrinfo(host, NULL, &hints, &res) != 0 || res == NULL) {
        fprintf(stderr, "kolabd: --listen: cannot resolve \"%s\" to an IPv4 address\n", host);
        return false;
    }
    const struct sockaddr_in *sin = (const struct sockaddr_in *)res->ai_addr;
    bool ok = inet_ntop(AF_INET, &sin->sin_addr, host, (socklen_t)cap) != NULL;
    freeaddrinfo(res);
    return ok;
}

static bool parse_listen(struct config *cfg, const char *value)
{
    const char *colon = strrchr(value, ':');
    unsigned long long port = 0;
    if (colon == NULL || colon == value || !parse_uint(colon + 1, 65535, &port)) {
        return false;
    }
    size_t host_len = (size_t)(colon - value);
    if (host_len >= sizeof(cfg->host)) {
        return false;
    }
    memcpy(cfg->host, value, host_len);
    cfg->host[host_len] = '\0';
    cfg->port = (unsigned)port;
    return listen_host_resolve(cfg->host, sizeof(cfg->host));
}

static bool add_origins(struct config *cfg, const char *value)
{
    char buf[CONFIG_STR_MAX * 4];
    if (strlen(value) >= sizeof(buf)) {
        return false;
    }
    strcpy(buf, value);

    char *save = NULL;
    for (char *tok = strtok_r(buf, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
        if (cfg->origin_count == CONFIG_ORIGINS_MAX ||
            !copy_str(cfg->origins[cfg->origin_count], tok)) {
            return false;
        }
        cfg->origin_count++;
    }
    return true;
}

static bool ice_url_ok(const char *url)
{
    static const char *const schemes[] = {"stun:", "stuns:", "turn:", "turns:"};
    for (const char *p = url; *p != '\0'; p++) {
        if ((unsigned char)*p <= ' ') {
            return false;
        }
    }
    for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
        size_t n = strlen(schemes[i]);
        if (strncmp(url, schemes[i], n) == 0 && url[n] != '\0') {
            return true;
        }
    }
    return false;
}

/* The whole list is replaced: the last of environment and flag wins. White
 * space around each URL is dropped; an empty value empties the list. */
static bool set_ice_servers(struct config *cfg, const char *value)
{
    char buf[CONFIG_STR_MAX * 4];
    if (strlen(value) >= sizeof(buf)) {
        return false;
    }
    strcpy(buf, value);

    cfg->ice_count = 0;
    char *save = NULL;
    for (char *tok = strtok_r(buf, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
        tok += strspn(tok, " \t");
        size_t len = strlen(tok);
        while (len > 0 && (tok[len - 1] == ' ' || tok[len - 1] == '\t')) {
            tok[--len] = '\0';
        }
        if (len == 0) {
            continue;
        }
        if (cfg->ice_count == CONFIG_ICE_MAX || !ice_url_ok(tok) ||
            !copy_str(cfg->ice_servers[cfg->ice_count], tok)) {
            return false;
        }
        cfg->ice_count++;
    }
    return true;
}

/* The options that set an unsigned field, with their ranges. */
struct uint_option {
    enum option_id id;
    unsigned min;
    unsigned max;
    size_t offset;
};

static const struct uint_option uint_options[] = {
    {OPT_MAX_FRAME, 1024, 16u * 1024 * 1024, offsetof(struct config, max_frame)},
    {OPT_QUEUE_EVENTS, 8, 1u << 20, offsetof(struct config, queue_events)},
    {OPT_QUEUE_BYTES, 64 * 1024, 1u << 30, offsetof(struct config, queue_bytes)},
    {OPT_IDLE_TIMEOUT, 4, 3600, offsetof(struct config, idle_timeout_s)},
    {OPT_WORKERS, 1, 64, offsetof(struct config, workers)},
    {OPT_CALL_RING_S, 1, 600, offsetof(struct config, call_ring_s)},
    {OPT_REQ_RATE, 1, 1000000, offsetof(struct config, req_rate)},
    {OPT_REQ_BURST, 1, 1000000, offsetof(struct config, req_burst)},
    {OPT_MSG_RATE, 1, 1000000, offsetof(struct config, msg_rate)},
    {OPT_MSG_BURST, 1, 1000000, offsetof(struct config, msg_burst)},
    {OPT_CONNS_PER_IP, 1, 1000000, offsetof(struct config, conns_per_ip)},
    {OPT_CONN_RATE_PER_IP, 1, 1000000, offsetof(struct config, conn_rate_per_ip)},
    {OPT_LOGIN_FAILURES, 1, 1000, offsetof(struct config, login_failures)},
    {OPT_LOGIN_FAILURES_IP, 1, 1000000, offsetof(struct config, login_failures_ip)},
    {OPT_LOGIN_DELAY_MAX, 1, 86400, offsetof(struct config, login_delay_max_s)},
    {OPT_REGISTRATIONS_PER_IP, 1, 1000000, offsetof(struct config, registrations_per_ip)},
    {OPT_ROOMS_PER_CONN, 1, 100000, offsetof(struct config, rooms_per_conn)},
};

/* Sets the unsigned field of option `id`; false when `id` is not one of
 * them (*handled false) or the value is out of its range. */
static bool apply_uint(struct config *cfg, enum option_id id, const char *value, bool *handled)
{
    for (size_t i = 0; i < sizeof(uint_options) / sizeof(uint_options[0]); i++) {
        const struct uint_option *o = &uint_options[i];
        unsigned long long n = 0;
        if (o->id != id) {
            continue;
        }
        *handled = true;
        if (!parse_uint(value, o->max, &n) || n < o->min) {
            return false;
        }
        *(unsigned *)((char *)cfg + o->offset) = (unsigned)n;
        return true;
    }
    *handled = false;
    return false;
}

/* Says why a value of option `id` was refused: the range of a number, or
 * where the option's form is described. */
static void bad_value(enum option_id id, const char *name, const char *value)
{
    for (size_t i = 0; i < sizeof(uint_options) / sizeof(uint_options[0]); i++) {
        if (uint_options[i].id == id) {
            fprintf(stderr, "kolabd: bad value for %s: %s (a whole number from %u to %u)\n", name,
                    value, uint_options[i].min, uint_options[i].max);
            return;
        }
    }
    /* A refused credential is not echoed into a log. */
    if (id == OPT_TURN_CREDENTIAL) {
        value = "(not shown)";
    }
    fprintf(stderr, "kolabd: bad value for %s: %s (see --help)\n", name, value);
}

static bool add_proxies(struct config *cfg, const char *value)
{
    char buf[CONFIG_STR_MAX];
    if (!copy_str(buf, value)) {
        return false;
    }
    char *save = NULL;
    for (char *tok = strtok_r(buf, ", ", &save); tok != NULL; tok = strtok_r(NULL, ", ", &save)) {
        unsigned char addr[sizeof(struct in6_addr)];
        bool ok = inet_pton(AF_INET, tok, addr) == 1 || inet_pton(AF_INET6, tok, addr) == 1;
        if (!ok || cfg->trusted_proxy_count == CONFIG_PROXIES_MAX ||
            strlen(tok) >= sizeof(cfg->trusted_proxies[0])) {
            return false;
        }
        strcpy(cfg->trusted_proxies[cfg->trusted_proxy_count++], tok);
    }
    return true;
}

/* Applies one option by its table index. Returns false for a bad value. */
static bool apply(struct config *cfg, enum option_id id, const char *value)
{
    unsigned long long n = 0;
    bool handled = false;
    bool ok = apply_uint(cfg, id, value, &handled);
    if (handled) {
        return ok;
    }

    switch (id) {
    case OPT_LISTEN:
        return parse_listen(cfg, value);
    case OPT_DATA:
        return copy_str(cfg->data_dir, value);
    case OPT_WEB_ROOT:
        return copy_str(cfg->web_root, value);
    case OPT_TLS_CERT:
        return copy_str(cfg->tls_cert, value);
    case OPT_TLS_KEY:
        return copy_str(cfg->tls_key, value);
    case OPT_ORIGIN:
        return add_origins(cfg, value);
    case OPT_LOG_LEVEL:
        return log_level_parse(value, &cfg->log_level);
    case OPT_TOKEN_TTL:
        if (!parse_uint(value, 10ull * 365 * 24 * 3600, &n) || n == 0) {
            return false;
        }
        cfg->token_ttl_s = n;
        return true;
    case OPT_REDIS:
        return copy_str(cfg->redis, value);
    case OPT_TRUSTED_PROXY:
        return add_proxies(cfg, value);
    case OPT_ICE_SERVERS:
        return set_ice_servers(cfg, value);
    case OPT_TURN_USERNAME:
        return copy_str(cfg->turn_username, value);
    case OPT_TURN_CREDENTIAL:
        return copy_str(cfg->turn_credential, value);
    case OPT_DEMO:
        cfg->demo = value[0] != '\0' && strcmp(value, "0") != 0 && strcmp(value, "false") != 0;
        return true;
    default:
        return false;
    }
}

static void set_defaults(struct config *cfg, const char *exe)
{
    memset(cfg, 0, sizeof(*cfg));
    strcpy(cfg->host, "127.0.0.1");
    cfg->port = 8080;
    strcpy(cfg->data_dir, "./data");
    cfg->log_level = LOG_INFO;
    cfg->token_ttl_s = DEFAULT_TOKEN_TTL_S;
    cfg->max_frame = 64 * 1024;
    cfg->queue_events = DEFAULT_QUEUE_EVENTS;
    cfg->queue_bytes = DEFAULT_QUEUE_BYTES;
    cfg->idle_timeout_s = DEFAULT_IDLE_S;
    cfg->workers = 1;
    cfg->call_ring_s = DEFAULT_CALL_RING_S;
    cfg->req_rate = 100;
    cfg->req_burst = 2000;
    cfg->msg_rate = 5;
    cfg->msg_burst = 30;
    cfg->conns_per_ip = 256;
    cfg->conn_rate_per_ip = 20;
    cfg->login_failures = 5;
    cfg->login_failures_ip = 50;
    cfg->login_delay_max_s = 900;
    cfg->registrations_per_ip = 100;
    cfg->rooms_per_conn = 1000;

    /* The build puts kolabd in build/ and the web client in web-client/dist. */
    char self[CONFIG_STR_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (n <= 0) {
        snprintf(self, sizeof(self), "%s", exe);
    } else {
        self[n] = '\0';
    }
    char *slash = strrchr(self, '/');
    if (slash != NULL) {
        *slash = '\0';
        snprintf(cfg->web_root, sizeof(cfg->web_root), "%.400s/../web-client/dist", self);
    } else {
        strcpy(cfg->web_root, "web-client/dist");
    }
}

static enum status load_env(struct config *cfg)
{
    for (size_t i = 0; i < sizeof(options) / sizeof(options[0]); i++) {
        const char *value = options[i].env ? getenv(options[i].env) : NULL;
        if (value != NULL && !apply(cfg, (enum option_id)i, value)) {
            bad_value((enum option_id)i, options[i].env, value);
            return STATUS_BAD_REQUEST;
        }
    }
    return STATUS_OK;
}

static int find_option(const char *flag)
{
    for (size_t i = 0; i < sizeof(options) / sizeof(options[0]); i++) {
        if (strcmp(flag, options[i].flag) == 0) {
            return (int)i;
        }
    }
    return -1;
}

enum status config_load(struct config *cfg, const char *exe, int argc, char **argv, int first)
{
    set_defaults(cfg, exe);
    enum status st = load_env(cfg);
    if (st != STATUS_OK) {
        return st;
    }

    /* Origins and proxies from the command line replace those from the
     * environment. */
    bool cli_origins = false;
    bool cli_proxies = false;
    for (int i = first; i < argc; i++) {
        int index = find_option(argv[i]);
        if (index < 0) {
            fprintf(stderr, "kolabd: unknown flag %s (see --help)\n", argv[i]);
            return STATUS_BAD_REQUEST;
        }
        if (strcmp(argv[i], "--help") == 0) {
            config_usage(exe);
            return STATUS_NOT_FOUND;
        }
        const char *value = "1";
        if (options[index].arg != NULL) {
            if (i + 1 >= argc) {
                fprintf(stderr, "kolabd: %s needs a value\n", argv[i]);
                return STATUS_BAD_REQUEST;
            }
            value = argv[++i];
        }
        if (index == OPT_ORIGIN && !cli_origins) {
            cfg->origin_count = 0;
            cli_origins = true;
        }
        if (index == OPT_TRUSTED_PROXY && !cli_proxies) {
            cfg->trusted_proxy_count = 0;
            cli_proxies = true;
        }
        if (!apply(cfg, (enum option_id)index, value)) {
            bad_value((enum option_id)index, options[index].flag, value);
            return STATUS_BAD_REQUEST;
        }
    }

    if (cfg->workers > 1 && cfg->redis[0] == '\0') {
        fprintf(stderr, "kolabd: --workers needs --redis to carry events between processes\n");
        return STATUS_BAD_REQUEST;
    }
    if ((cfg->tls_cert[0] != '\0') != (cfg->tls_key[0] != '\0')) {
        fprintf(stderr, "kolabd: --tls-cert and --tls-key go together\n");
        return STATUS_BAD_REQUEST;
    }
    if ((cfg->turn_username[0] != '\0') != (cfg->turn_credential[0] != '\0')) {
        fprintf(stderr, "kolabd: --turn-username and --turn-credential go together\n");
        return STATUS_BAD_REQUEST;
    }
    return STATUS_OK;
}

bool config_proxy_trusted(const struct config *cfg, const char *addr)
{
    for (unsigned i = 0; i < cfg->trusted_proxy_count; i++) {
        if (strcmp(addr, cfg->trusted_proxies[i]) == 0) {
            return true;
        }
    }
    return false;
}

bool config_origin_allowed(const struct config *cfg, const char *origin)
{
    for (unsigned i = 0; i < cfg->origin_count; i++) {
        if (strcmp(origin, cfg->origins[i]) == 0) {
            return true;
        }
    }
    return false;
}
