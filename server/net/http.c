#include "http.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accounts.h"
#include "app.h"
#include "auth.h"
#include "cluster.h"
#include "log.h"
#include "net.h"

enum route {
    ROUTE_NONE,
    ROUTE_HEALTH,
    ROUTE_LOGIN,
    ROUTE_LOGOUT,
};

/* A login waiting for its password check; the HTTP connection may close
 * first, and then `req` is cleared. */
struct login_wait {
    struct lws *wsi;
    struct http_req *req;
};

static bool header(struct lws *wsi, enum lws_token_indexes token, char *out, size_t cap)
{
    int n = lws_hdr_total_length(wsi, token);
    return n > 0 && (size_t)n < cap && lws_hdr_copy(wsi, out, (int)cap, token) == n;
}

bool http_origin_allowed(struct lws *wsi)
{
    char origin[256];
    char host[200];
    char own[256];

    if (lws_hdr_total_length(wsi, WSI_TOKEN_ORIGIN) <= 0) {
        return true;
    }
    if (!header(wsi, WSI_TOKEN_ORIGIN, origin, sizeof(origin))) {
        return false;
    }
    if (config_origin_allowed(app.cfg, origin)) {
        return true;
    }
    if (!header(wsi, WSI_TOKEN_HOST, host, sizeof(host))) {
        return false;
    }
    snprintf(own, sizeof(own), "%s://%s", app.tls ? "https" : "http", host);
    return strcmp(origin, own) == 0;
}

const char *http_cookie(struct lws *wsi, const char *name, char *out, size_t cap)
{
    char all[1024];
    size_t name_len = strlen(name);

    if (!header(wsi, WSI_TOKEN_HTTP_COOKIE, all, sizeof(all))) {
        return NULL;
    }
    for (char *p = all; *p != '\0';) {
        while (*p == ' ' || *p == ';') {
            p++;
        }
        char *end = strchr(p, ';');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len > name_len && strncmp(p, name, name_len) == 0 && p[name_len] == '=') {
            size_t value_len = len - name_len - 1;
            if (value_len >= cap) {
                return NULL;
            }
            memcpy(out, p + name_len + 1, value_len);
            out[value_len] = '\0';
            return out;
        }
        p += len;
    }
    return NULL;
}

void http_client_addr(struct lws *wsi, char *out)
{
    char list[512];

    out[0] = '\0';
    lws_get_peer_simple(wsi, out, HTTP_ADDR_MAX);
    if (!config_proxy_trusted(app.cfg, out) ||
        !header(wsi, WSI_TOKEN_X_FORWARDED_FOR, list, sizeof(list))) {
        return;
    }

    /* Proxies append the address they got the request from: walk from the
     * right past the trusted ones. */
    for (;;) {
        char *comma = strrchr(list, ',');
        char *item = comma != NULL ? comma + 1 : list;
        item += strspn(item, " \t");
        size_t len = strcspn(item, " \t");
        if (len == 0 || len >= HTTP_ADDR_MAX) {
            return;
        }
        item[len] = '\0';
        /* Something that is no address counts as the proxy itself. */
        unsigned char bin[sizeof(struct in6_addr)];
        if (inet_pton(AF_INET, item, bin) != 1 && inet_pton(AF_INET6, item, bin) != 1) {
            return;
        }
        if (!config_proxy_trusted(app.cfg, item) || comma == NULL) {
            memcpy(out, item, len + 1);
            return;
        }
        *comma = '\0';
    }
}

/* ---- responses ------------------------------------------------------------ */

static void respond(struct lws *wsi, struct http_req *req, unsigned status, const char *json)
{
    size_t len = strlen(json);
    if (LWS_PRE + len > sizeof(req->response)) {
        json = "{\"error\":\"internal\"}";
        len = strlen(json);
        status = 500;
    }
    memcpy(req->response + LWS_PRE, json, len);
    req->response_len = len;
    req->status = status;
    lws_callback_on_writable(wsi);
}

static void respond_error(struct lws *wsi, struct http_req *req, unsigned status, const char *code)
{
    char json[64];
    snprintf(json, sizeof(json), "{\"error\":\"%s\"}", code);
    respond(wsi, req, status, json);
}

/* 429 with the wait, in the body for scripts and in Retry-After for the
 * rest of the web. */
static void respond_limited(struct lws *wsi, struct http_req *req, uint64_t retry_ms)
{
    char json[80];
    snprintf(json, sizeof(json), "{\"error\":\"rate_limited\",\"retry_ms\":%llu}",
             (unsigned long long)retry_ms);
    req->retry_s = (unsigned)((retry_ms + 999) / 1000);
    respond(wsi, req, 429, json);
}

static int write_response(struct lws *wsi, struct http_req *req)
{
    uint8_t buf[LWS_PRE + 1024];
    uint8_t *start = buf + LWS_PRE;
    uint8_t *p = start;
    uint8_t *end = buf + sizeof(buf) - 1;
    static const char no_store[] = "no-store";

    if (lws_add_http_common_headers(wsi, req->status, "application/json", req->response_len, &p,
                                    end) ||
        lws_add_http_header_by_name(wsi, (const uint8_t *)"cache-control:",
                                    (const uint8_t *)no_store, sizeof(no_store) - 1, &p, end)) {
        return -1;
    }
    if (req->cookie[0] != '\0' && lws_add_http_header_by_name(wsi, (const uint8_t *)"set-cookie:",
                                                              (const uint8_t *)req->cookie,
                                                              (int)strlen(req->cookie), &p, end)) {
        return -1;
    }
    if (req->retry_s > 0) {
        char after[16];
        int n = snprintf(after, sizeof(after), "%u", req->retry_s);
        if (lws_add_http_header_by_name(
                wsi, (const uint8_t *)"retry-after:", (const uint8_t *)after, n, &p, end)) {
            return -1;
        }
    }
    if (req->allow != NULL &&
        lws_add_http_header_by_name(wsi, (const uint8_t *)"allow:", (const uint8_t *)req->allow,
                                    (int)strlen(req->allow), &p, end)) {
        return -1;
    }
    if (lws_finalize_write_http_header(wsi, start, &p, end)) {
        return -1;
    }
    if (req->response_len > 0 &&
        lws_write(wsi, (uint8_t *)req->response + LWS_PRE, req->response_len,
                  LWS_WRITE_HTTP_FINAL) < (int)req->response_len) {
        return -1;
    }
    req->status = 0;
    req->retry_s = 0;
    req->allow = NULL;
    req->cookie[0] = '\0';
    return lws_http_transaction_completed(wsi) ? -1 : 0;
}

/* ---- JSON and forms --------------------------------------------------------- */

/* Appends `s` to `out` as a JSON string. Returns false when it does not fit. */
static bool json_string(char *out, size_t cap, size_t *len, const char *s)
{
    if (*len + 2 >= cap) {
        return false;
    }
    out[(*len)++] = '"';
    for (; *s != '\0'; s++) {
        unsigned char c = (unsigned char)*s;
        char esc[8];
        int n = 1;
        esc[0] = (char)c;
        if (c == '"' || c == '\\') {
            n = snprintf(esc, sizeof(esc), "\\%c", c);
        } else if (c < 0x20) {
            n = snprintf(esc, sizeof(esc), "\\u%04x", c);
        }
        if (*len + (size_t)n + 2 >= cap) {
            return false;
        }
        memcpy(out + *len, esc, (size_t)n);
        *len += (size_t)n;
    }
    out[(*len)++] = '"';
    out[*len] = '\0';
    return true;
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

/* Decodes one x-www-form-urlencoded value of length `len` into `out`. */
static bool form_decode(const char *in, size_t len, char *out, size_t cap, size_t *out_len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        char c = in[i];
        if (c == '+') {
            c = ' ';
        } else if (c == '%') {
            int hi = i + 2 < len ? hex_value(in[i + 1]) : -1;
            int lo = i + 2 < len ? hex_value(in[i + 2]) : -1;
            if (hi < 0 || lo < 0) {
                return false;
            }
            c = (char)(hi * 16 + lo);
            i += 2;
        }
        if (n + 1 >= cap) {
            return false;
        }
        out[n++] = c;
    }
    out[n] = '\0';
    *out_len = n;
    return true;
}

static bool form_field(const char *body, const char *name, char *out, size_t cap, size_t *len)
{
    size_t name_len = strlen(name);
    for (const char *p = body; *p != '\0';) {
        const char *end = strchr(p, '&');
        size_t pair = end ? (size_t)(end - p) : strlen(p);
        if (pair > name_len && strncmp(p, name, name_len) == 0 && p[name_len] == '=') {
            return form_decode(p + name_len + 1, pair - name_len - 1, out, cap, len);
        }
        p += pair + (end ? 1 : 0);
    }
    return false;
}

/* ---- login and logout --------------------------------------------------------- */

static void login_done(void *ud, enum status st, const struct store_user *user,
                       const char *token_hex)
{
    struct login_wait *wait = ud;
    struct http_req *req = wait->req;
    if (req == NULL) {
        free(wait);
        return;
    }
    req->wait = NULL;

    char json[512];
    size_t len = 0;
    if (st != STATUS_OK) {
        respond_error(wait->wsi, req, st == STATUS_UNAUTHENTICATED ? 401 : 503, status_code(st));
        free(wait);
        return;
    }
    len = (size_t)snprintf(json, sizeof(json),
                           "{\"user\":{\"id\":%llu,\"username\":", (unsigned long long)user->id);
    json_string(json, sizeof(json), &len, user->username);
    len += (size_t)snprintf(json + len, sizeof(json) - len, ",\"name\":");
    json_string(json, sizeof(json), &len, user->name);
    len += (size_t)snprintf(json + len, sizeof(json) - len, ",\"role\":\"%s\"}}", user->role);

    snprintf(req->cookie, sizeof(req->cookie),
             "kolab_session=%s; Path=/; HttpOnly; SameSite=Strict; Max-Age=%llu%s", token_hex,
             (unsigned long long)app.cfg->token_ttl_s, app.tls ? "; Secure" : "");
    respond(wait->wsi, req, 200, json);
    free(wait);
}

static void handle_login(struct lws *wsi, struct http_req *req)
{
    char username[64];
    char password[AUTH_PASSWORD_MAX + 2];
    size_t ulen = 0, plen = 0;

    req->body[req->body_len] = '\0';
    if (req->body_too_large ||
        !form_field(req->body, "username", username, sizeof(username), &ulen) ||
        !form_field(req->body, "password", password, sizeof(password), &plen)) {
        respond_error(wsi, req, 400, "bad_request");
        return;
    }

    struct login_wait *wait = malloc(sizeof(*wait));
    if (wait == NULL) {
        respond_error(wsi, req, 503, "unavailable");
        return;
    }
    wait->wsi = wsi;
    wait->req = req;
    req->wait = wait;
    char addr[HTTP_ADDR_MAX];
    uint64_t retry_ms = 0;
    http_client_addr(wsi, addr);
    enum status st =
        accounts_login(username, ulen, password, plen, addr, &retry_ms, login_done, wait);
    memset(password, 0, sizeof(password));
    if (st != STATUS_OK) {
        req->wait = NULL;
        free(wait);
        if (st == STATUS_RATE_LIMITED) {
            respond_limited(wsi, req, retry_ms);
        } else {
            respond_error(wsi, req, st == STATUS_BAD_REQUEST ? 400 : 503, status_code(st));
        }
    }
}

static void handle_logout(struct lws *wsi, struct http_req *req)
{
    char token[80];
    if (http_cookie(wsi, "kolab_session", token, sizeof(token)) != NULL) {
        accounts_logout_token(token);
    }
    snprintf(req->cookie, sizeof(req->cookie),
             "kolab_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0%s",
             app.tls ? "; Secure" : "");
    respond(wsi, req, 200, "{}");
}

/* ---- routing ------------------------------------------------------------------- */

static void finish_body(struct lws *wsi, struct http_req *req);

static int start_request(struct lws *wsi, struct http_req *req)
{
    char uri[64];
    char *at = NULL;
    int len = 0;
    int method = lws_http_get_uri_and_method(wsi, &at, &len);
    bool got = method >= 0 && len > 0 && (size_t)len < sizeof(uri);
    if (got) {
        memcpy(uri, at, (size_t)len);
        uri[len] = '\0';
    }
    bool health = got && strcmp(uri, "/healthz") == 0;
    bool api = got && (strcmp(uri, "/api/login") == 0 || strcmp(uri, "/api/logout") == 0);

    req->route = ROUTE_NONE;
    req->body_done = false;
    req->body_len = 0;
    req->body_too_large = false;
    req->cookie[0] = '\0';

    if (health && method == LWSHUMETH_GET) {
        char json[96];
        snprintf(json, sizeof(json), "{\"status\":\"%s\",\"version\":\"%s\"}",
                 cluster_healthy() ? "ok" : "degraded", KOLAB_VERSION);
        respond(wsi, req, 200, json);
        return 0;
    }
    if (api && method == LWSHUMETH_POST) {
        if (!http_origin_allowed(wsi)) {
            log_warn("http", "request from a foreign origin refused", NULL);
            respond_error(wsi, req, 403, "forbidden");
            return 0;
        }
        /* The answer comes once the body has arrived; without a declared
         * length there is no body to wait for. */
        req->route = strcmp(uri, "/api/login") == 0 ? ROUTE_LOGIN : ROUTE_LOGOUT;
        if (lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH) <= 0) {
            finish_body(wsi, req);
        }
        return 0;
    }
    /* A known path asked with another method is told which one it takes; a
     * path that is not there is not found, whatever the method. */
    if (health || api) {
        req->allow = health ? "GET" : "POST";
        respond_error(wsi, req, 405, "method_not_allowed");
        return 0;
    }
    respond_error(wsi, req, 404, "not_found");
    return 0;
}

static void take_body(struct http_req *req, const void *in, size_t len)
{
    if (len == 0) {
        return;
    }
    if (req->body_len + len >= HTTP_BODY_MAX) {
        req->body_too_large = true;
        return;
    }
    memcpy(req->body + req->body_len, in, len);
    req->body_len += len;
}

static void finish_body(struct lws *wsi, struct http_req *req)
{
    if (req->route == ROUTE_LOGIN) {
        handle_login(wsi, req);
    } else if (req->route == ROUTE_LOGOUT) {
        handle_logout(wsi, req);
    }
}

/* A request is being answered: its login check runs or its answer waits
 * to be written. */
static bool answering(const struct http_req *req)
{
    return req->wait != NULL || req->status != 0;
}

static void release(struct http_req *req)
{
    if (req->wait != NULL) {
        req->wait->req = NULL;
        req->wait = NULL;
    }
    req->status = 0;
}

int http_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                  size_t len)
{
    struct http_req *req = user;

    switch (reason) {
    case LWS_CALLBACK_WSI_CREATE:
        net_sockets++;
        return 0;
    case LWS_CALLBACK_WSI_DESTROY:
        net_sockets--;
        return 0;
    default:
        break;
    }

    /* A connection that fails early (headers too large, say) closes before
     * its per-request state exists. */
    if (req == NULL && reason != LWS_CALLBACK_FILTER_NETWORK_CONNECTION) {
        return lws_callback_http_dummy(wsi, reason, user, in, len);
    }

    switch (reason) {
    case LWS_CALLBACK_FILTER_NETWORK_CONNECTION:
        return app.shutting_down || !net_room_for_one_more() ? 1 : 0;
    case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
        /* A WebSocket without the kolab.v1 subprotocol lands here. */
        return 1;
    case LWS_CALLBACK_HTTP:
        if (answering(req)) {
            release(req);
            return -1;
        }
        return start_request(wsi, req);
    case LWS_CALLBACK_HTTP_BODY:
        take_body(req, in, len);
        return 0;
    case LWS_CALLBACK_HTTP_BODY_COMPLETION:
        /* libwebsockets 4.1 offers a completed body again, without end,
         * while a request pipelined behind it waits in its buffer and the
         * answer to this one is still being worked out. Kolab does not
         * pipeline: such a connection is closed. */
        if (req->body_done && answering(req)) {
            release(req);
            return -1;
        }
        req->body_done = true;
        finish_body(wsi, req);
        return 0;
    case LWS_CALLBACK_HTTP_WRITEABLE:
        return req->status != 0 ? write_response(wsi, req) : 0;
    case LWS_CALLBACK_CLOSED_HTTP:
        release(req);
        return 0;
    default:
        return lws_callback_http_dummy(wsi, reason, user, in, len);
    }
}
