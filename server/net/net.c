#include "net.h"

#include <libwebsockets.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "app.h"
#include "conn.h"
#include "http.h"
#include "ratelimit.h"
#include "log.h"
#include "session.h"

#define NET_SUBPROTOCOL "kolab.v1"
#define NET_COOKIE      "kolab_session"

long net_sockets;
static long fd_limit = 1024;

static struct lws_context *context;
static uv_prepare_t flush_prepare;
static uv_timer_t shutdown_timer;
static void (*shutdown_done)(void);
static uint64_t shutdown_deadline;

/* libwebsockets' own log lines go through our logger. */
static void lws_log_sink(int level, const char *line)
{
    char text[256];
    size_t n = strlen(line);
    if (n >= sizeof(text)) {
        n = sizeof(text) - 1;
    }
    memcpy(text, line, n);
    while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == '\r')) {
        n--;
    }
    text[n] = '\0';

    enum log_level ours = LOG_DEBUG;
    if (level & LLL_ERR) {
        ours = LOG_ERROR;
    } else if (level & LLL_WARN) {
        ours = LOG_WARN;
    }
    log_emit(ours, "lws", text, NULL);
}

/* The WebSocket handshake is refused unless it is for /ws from an allowed
 * origin while the server is not stopping. */
static int filter_handshake(struct lws *wsi)
{
    char uri[16];
    if (app.shutting_down || lws_hdr_copy(wsi, uri, sizeof(uri), WSI_TOKEN_GET_URI) <= 0 ||
        strcmp(uri, "/ws") != 0) {
        return 1;
    }
    if (!http_origin_allowed(wsi)) {
        log_warn("net", "handshake from a foreign origin refused", NULL);
        return 1;
    }
    return 0;
}

/* Counts a new WebSocket against its address's limits, then greets it; one
 * over the limits is closed with 4029 before it is told anything. */
static void open_conn(struct conn *c, struct lws *wsi)
{
    char token[80];
    uint64_t retry_ms = 0;

    http_client_addr(wsi, c->peer);
    c->addr_key = ratelimit_addr_key(c->peer);
    if (ratelimit_conn_open(c->addr_key, conn_now_ms(), &retry_ms) != STATUS_OK) {
        log_debug("net", "connection over the address's limits", "ip=%s", c->peer);
        conn_close(c, CONN_CLOSE_RATE_LIMITED, "too many connections from your address", false);
        return;
    }
    c->addr_counted = true;
    session_open(c, http_cookie(wsi, NET_COOKIE, token, sizeof(token)));
}

/* A WebSocket's connection rides in lws's opaque pointer, so lws allocates
 * no per-session memory for it (BENCHMARKS.md on an idle connection). */
static int ws_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                       size_t len)
{
    struct conn *c = lws_get_opaque_user_data(wsi);

    switch (reason) {
    case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
        return filter_handshake(wsi);
    case LWS_CALLBACK_ESTABLISHED:
        c = conn_new(wsi);
        if (c == NULL) {
            return -1;
        }
        lws_set_opaque_user_data(wsi, c);
        open_conn(c, wsi);
        return 0;
    case LWS_CALLBACK_RECEIVE:
        return c == NULL ? -1 : conn_receive(c, in, len);
    case LWS_CALLBACK_SERVER_WRITEABLE:
        return c == NULL ? -1 : conn_writeable(c);
    case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
        /* The peer answers a close frame of ours: the handshake is done.
         * Letting lws echo it would send a second close frame, which
         * browsers report as an abnormal closure (1006). */
        return c != NULL && c->close_sent ? -1 : 0;
    case LWS_CALLBACK_CLOSED:
        if (c != NULL) {
            if (c->addr_counted) {
                ratelimit_conn_closed(c->addr_key);
            }
            session_close(c);
            conn_free(c);
            lws_set_opaque_user_data(wsi, NULL);
        }
        return 0;
    default:
        return 0;
    }
}

/*
 * lws gives every WebSocket a receive buffer of NET_RX_BUFFER bytes for its
 * whole life. Requests are mostly small (a read marker, a typing signal, a
 * short chat line), and a larger message is reassembled by conn.c from
 * pieces anyway, in a buffer of its exact size freed after it; so 160 bytes
 * (with lws's LWS_PRE and 4 spare bytes, one 192-byte heap chunk) keep an
 * idle connection under 2 KiB of server memory (BENCHMARKS.md,
 * 2026-12-04). The handshake's headers are read into buffers of
 * NET_HEADER_DATA bytes (a browser's cookies and user agent fit) that lws
 * lends out only while a request is read. Their number is deliberately left
 * unbounded (lws's default, one per descriptor): with a bounded pool, as many
 * connections as it holds that send half a request and stop would make every
 * new visitor wait for lws's idle timeout.
 */
#define NET_RX_BUFFER   160
#define NET_HEADER_DATA 4096

_Static_assert(CONN_PEER_MAX >= HTTP_ADDR_MAX, "a connection holds any client address");

static const struct lws_protocols protocols[] = {
    {"http", http_callback, sizeof(struct http_req), 0, 0, NULL, 0},
    {NET_SUBPROTOCOL, ws_callback, 0, NET_RX_BUFFER, 1, NULL, 2 * 1024 * 1024},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

/* Filled from the configuration at start: lws pings a connection that has
 * not answered a ping for two thirds of the idle timeout (30 s by default)
 * and hangs up on one that has not answered for all of it (45 s). lws 4.1
 * applies only these idle parts of a vhost's policy, to every connection it
 * accepts or adopts, and counts only a pong as an answer. The vhost keeps a
 * pointer to the policy, so it lives as long as the process. */
static lws_retry_bo_t idle_policy;

static const struct lws_protocol_vhost_options security_headers[] = {
    {&security_headers[1], NULL, "content-security-policy:",
     "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self' ws: wss:; "
     "img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"},
    {&security_headers[2], NULL, "x-content-type-options:", "nosniff"},
    {&security_headers[3], NULL, "referrer-policy:", "no-referrer"},
    {NULL, NULL, "x-frame-options:", "DENY"},
};

static const struct lws_protocol_vhost_options tls_headers = {
    security_headers, NULL, "strict-transport-security:", "max-age=31536000"};

static const struct lws_protocol_vhost_options mime_types[] = {
    {&mime_types[1], NULL, ".mjs", "text/javascript"},
    {&mime_types[2], NULL, ".webmanifest", "application/manifest+json"},
    {&mime_types[3], NULL, ".woff2", "font/woff2"},
    {NULL, NULL, ".json", "application/json"},
};

static struct lws_http_mount mount_api;
static struct lws_http_mount mount_health;
static struct lws_http_mount mount_assets;
static struct lws_http_mount mount_files;
static char assets_dir[CONFIG_STR_MAX + 8];

static void set_mounts(void)
{
    /* The web client's bundles have content hashes in their names, so they
     * may be cached for good; index.html is always fetched afresh. */
    mount_assets = (struct lws_http_mount){0};
    mount_assets.mount_next = &mount_files;
    mount_assets.mountpoint = "/assets";
    mount_assets.mountpoint_len = 7;
    mount_assets.origin = assets_dir;
    mount_assets.origin_protocol = LWSMPRO_FILE;
    mount_assets.extra_mimetypes = mime_types;
    mount_assets.cache_max_age = 365 * 24 * 3600;
    mount_assets.cache_reusable = 1;
    mount_assets.cache_intermediaries = 1;
    snprintf(assets_dir, sizeof(assets_dir), "%s/assets", app.cfg->web_root);

    mount_files.mountpoint = "/";
    mount_files.mountpoint_len = 1;
    mount_files.origin = app.cfg->web_root;
    mount_files.def = "index.html";
    mount_files.origin_protocol = LWSMPRO_FILE;
    mount_files.extra_mimetypes = mime_types;

    mount_health = (struct lws_http_mount){0};
    mount_health.mount_next = &mount_assets;
    mount_health.mountpoint = "/healthz";
    mount_health.mountpoint_len = 8;
    mount_health.origin = "http";
    mount_health.origin_protocol = LWSMPRO_CALLBACK;

    mount_api = (struct lws_http_mount){0};
    mount_api.mount_next = &mount_health;
    mount_api.mountpoint = "/api";
    mount_api.mountpoint_len = 4;
    mount_api.origin = "http";
    mount_api.origin_protocol = LWSMPRO_CALLBACK;
}

void net_raise_fd_limit(void)
{
    struct rlimit lim;
    if (getrlimit(RLIMIT_NOFILE, &lim) != 0) {
        return;
    }
    if (lim.rlim_cur < lim.rlim_max) {
        lim.rlim_cur = lim.rlim_max;
        setrlimit(RLIMIT_NOFILE, &lim);
        getrlimit(RLIMIT_NOFILE, &lim);
    }
    fd_limit = lim.rlim_cur == RLIM_INFINITY ? 1L << 20 : (long)lim.rlim_cur;
    log_info("net", "open file limit", "limit=%ld", fd_limit);
}

bool net_room_for_one_more(void)
{
    return net_sockets + NET_FD_RESERVE < fd_limit;
}

/*
 * The listener shared between processes. libwebsockets 4.1 sets
 * SO_REUSEPORT only for its own service threads, so with several processes
 * each opens this socket itself, accepts on the loop, and lets lws adopt
 * every accepted connection as if its own listener had taken it.
 */
static int listen_fd = -1;
static uv_poll_t listen_poll;

static void accept_ready(uv_poll_t *handle, int status, int events)
{
    for (int i = 0; i < 64; i++) {
        int fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            return;
        }
        if (app.shutting_down || !net_room_for_one_more()) {
            close(fd);
            continue;
        }
        /* lws closes the socket itself when it cannot take it. */
        lws_adopt_descriptor_vhost(lws_get_vhost_by_name(context, "kolab"),
                                   LWS_ADOPT_SOCKET | LWS_ADOPT_HTTP |
                                       (app.tls ? LWS_ADOPT_ALLOW_SSL : 0),
                                   (lws_sock_file_fd_type){.sockfd = fd}, NULL, NULL);
    }
}

/* Opens the listener the worker processes share; NULL on success, else why
 * it could not be opened. */
static const char *listen_shared(const struct config *cfg)
{
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)cfg->port)};
    int one = 1;

    if (inet_pton(AF_INET, cfg->host, &addr.sin_addr) != 1) {
        return "--listen needs an IPv4 address with --redis";
    }
    listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (listen_fd < 0 || setsockopt(listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
        setsockopt(listen_fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) ||
        bind(listen_fd, (struct sockaddr *)&addr, sizeof(addr)) || listen(listen_fd, 511) ||
        uv_poll_init(app.loop, &listen_poll, listen_fd) != 0) {
        return strerror(errno);
    }
    uv_poll_start(&listen_poll, UV_READABLE, accept_ready);
    return NULL;
}

/* Why the listening address cannot be taken with `port`, asked of the
 * kernel directly (libwebsockets logs only an errno number): "Address already
 * in use" when another process holds the port, say. NULL when a test bind
 * succeeds. */
static const char *listen_failure(const struct config *cfg, unsigned port_number)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
    struct addrinfo *res = NULL;
    char port[8];
    snprintf(port, sizeof(port), "%u", port_number);
    int rc = getaddrinfo(cfg->host, port, &hints, &res);
    if (rc != 0) {
        return gai_strerror(rc);
    }
    const char *why = NULL;
    int fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || bind(fd, res->ai_addr, res->ai_addrlen) != 0) {
        why = strerror(errno);
    }
    if (fd >= 0) {
        close(fd);
    }
    freeaddrinfo(res);
    return why;
}

static void stop_listening(void)
{
    if (listen_fd >= 0) {
        uv_poll_stop(&listen_poll);
        uv_close((uv_handle_t *)&listen_poll, NULL);
        close(listen_fd);
        listen_fd = -1;
    }
}

/* Runs just before the loop waits: what this turn queued goes out now, one
 * write per connection (conn_flush_pending). */
static void flush_turn(uv_prepare_t *handle)
{
    conn_flush_pending();
}

enum status net_start(void)
{
    const struct config *cfg = app.cfg;
    struct lws_context_creation_info info;
    void *loops[1] = {app.loop};

    conn_configure(cfg->max_frame, cfg->queue_events, cfg->queue_bytes);
    idle_policy.secs_since_valid_ping = (uint16_t)(cfg->idle_timeout_s * 2 / 3);
    idle_policy.secs_since_valid_hangup = (uint16_t)cfg->idle_timeout_s;
    lws_set_log_level(LLL_ERR | LLL_WARN | (log_enabled(LOG_DEBUG) ? LLL_NOTICE : 0), lws_log_sink);
    set_mounts();

    memset(&info, 0, sizeof(info));
    info.options = LWS_SERVER_OPTION_LIBUV | LWS_SERVER_OPTION_DISABLE_IPV6;
    /* With a bus, several processes share the port: each listens on a
     * socket of its own (below) and hands what it accepts to lws. */
    bool shared = cfg->redis[0] != '\0';
    info.foreign_loops = loops;
    info.port = shared ? CONTEXT_PORT_NO_LISTEN_SERVER : (int)cfg->port;
    info.iface = cfg->host;
    info.protocols = protocols;
    info.mounts = &mount_api;
    info.headers = app.tls ? &tls_headers : security_headers;
    info.retry_and_idle_policy = &idle_policy;
    info.vhost_name = "kolab";
    info.server_string = "kolabd";
    info.timeout_secs = 20;
    info.max_http_header_data = NET_HEADER_DATA;
    if (app.tls) {
        info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
        info.ssl_cert_filepath = cfg->tls_cert;
        info.ssl_private_key_filepath = cfg->tls_key;
        info.alpn = "http/1.1";
    }

    /* An address that is not this machine's makes libwebsockets wait for
     * the interface to appear rather than fail, which would leave kolabd
     * serving nothing; a test bind to any port finds it first. */
    const char *why = listen_failure(cfg, 0);
    if (why == NULL) {
        context = lws_create_context(&info);
        if (context == NULL || lws_get_vhost_by_name(context, "kolab") == NULL) {
            why = listen_failure(cfg, cfg->port);
            why = why != NULL ? why : "see the lines above";
        } else if (shared) {
            why = listen_shared(cfg);
        }
    }
    if (why != NULL) {
        log_error("net", "could not listen", "host=%s port=%u reason=\"%s\"", cfg->host, cfg->port,
                  why);
        return STATUS_INTERNAL;
    }
    uv_prepare_init(app.loop, &flush_prepare);
    uv_prepare_start(&flush_prepare, flush_turn);
    uv_unref((uv_handle_t *)&flush_prepare);
    log_info("net", "listening", "host=%s port=%u tls=%d web_root=%s", cfg->host, cfg->port,
             app.tls, cfg->web_root);
    return STATUS_OK;
}

static void shutdown_tick(uv_timer_t *t)
{
    if (conn_count() > 0 && conn_now_ms() < shutdown_deadline) {
        return;
    }
    uv_timer_stop(t);
    uv_close((uv_handle_t *)t, NULL);
    log_info("net", "connections closed", "left=%zu", conn_count());
    shutdown_done();
}

void net_shutdown(unsigned grace_ms, void (*done)(void))
{
    stop_listening();
    struct conn *c = NULL;
    for (size_t pos = 0; (c = conn_next(&pos)) != NULL;) {
        conn_close(c, CONN_CLOSE_GOING_AWAY, "server shutting down", true);
    }
    shutdown_done = done;
    shutdown_deadline = conn_now_ms() + grace_ms;
    uv_timer_init(app.loop, &shutdown_timer);
    uv_timer_start(&shutdown_timer, shutdown_tick, 10, 10);
}

void net_destroy(void)
{
    if (uv_is_active((uv_handle_t *)&flush_prepare)) {
        uv_prepare_stop(&flush_prepare);
        uv_close((uv_handle_t *)&flush_prepare, NULL);
    }
    if (context != NULL) {
        lws_context_destroy(context);
        context = NULL;
    }
}
