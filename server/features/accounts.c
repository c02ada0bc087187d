#include "accounts.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "auth.h"
#include "cluster.h"
#include "conn.h"
#include "dispatch.h"
#include "encode.h"
#include "ratelimit.h"
#include "log.h"
#include "session.h"
#include "text.h"

#define USERS_LIMIT_MAX     50
#define USERS_LIMIT_DEFAULT 20
/* Password hashes (logins and registrations) waiting or running at once. */
#define ACCOUNTS_HASHING_MAX 64

static unsigned hashing;

/* ---- validation ---------------------------------------------------------- */

static bool valid_username(const char *s, size_t len)
{
    if (len < 3 || len > STORE_USERNAME_MAX || strlen(s) != len) {
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        bool ok =
            (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
        if (!ok) {
            return false;
        }
    }
    return true;
}

/* A display name: 1-100 bytes of visible text, no control characters. */
static bool valid_name(const char *s, size_t len)
{
    if (len < 1 || len > STORE_NAME_MAX || strlen(s) != len) {
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7f) {
            return false;
        }
    }
    return !text_is_blank(s, len);
}

static bool valid_password(size_t len)
{
    return len >= AUTH_PASSWORD_MIN && len <= AUTH_PASSWORD_MAX;
}

static const char *check_new_user(const char *username, size_t ulen, const char *name, size_t nlen,
                                  size_t plen)
{
    if (!valid_username(username, ulen)) {
        return "username must be 3-32 of a-z 0-9 . _ -";
    }
    if (!valid_name(name, nlen)) {
        return "name must be 1-100 bytes of visible text";
    }
    if (!valid_password(plen)) {
        return "password must be 8-256 bytes";
    }
    return NULL;
}

/* ---- register ------------------------------------------------------------ */

struct register_job {
    struct req_ref ref;
    char username[STORE_USERNAME_MAX + 1];
    char name[STORE_NAME_MAX + 1];
    char role[STORE_ROLE_MAX + 1];
};

static void register_hashed(void *ud, enum status st, const char *record)
{
    struct register_job *job = ud;
    struct store_user user;

    hashing--;
    if (st == STATUS_OK) {
        st = store_user_create(app.store, job->username, job->name, job->role, record, &user);
    }
    if (st != STATUS_OK) {
        reply_fail(&job->ref, st, st == STATUS_CONFLICT ? "username is taken" : NULL);
        free(job);
        return;
    }

    log_info("accounts", "registered", "user=%llu role=%s", (unsigned long long)user.id, user.role);
    struct proto_writer w;
    reply_begin(&w, &job->ref, 1);
    proto_put_cstr(&w, "user");
    encode_user(&w, &user, 0);
    reply_send(&job->ref, &w);
    free(job);
}

static enum status handle_register(struct req *r)
{
    const char *username, *password, *name, *role;
    size_t ulen, plen, nlen, rlen;
    enum status st = req_str(r, "username", &username, &ulen);
    if (st == STATUS_OK) {
        st = req_str(r, "password", &password, &plen);
    }
    if (st == STATUS_OK) {
        st = req_str(r, "name", &name, &nlen);
    }
    if (st == STATUS_OK) {
        st = req_str(r, "role", &role, &rlen);
    }
    if (st != STATUS_OK) {
        return st;
    }
    const char *why = check_new_user(username, ulen, name, nlen, plen);
    if (why != NULL) {
        return req_fail(r, STATUS_BAD_REQUEST, "%s", why);
    }
    unsigned bit = session_role_bit(role);
    if (bit == 0) {
        return req_fail(r, STATUS_BAD_REQUEST, "unknown role");
    }
    if ((bit & (ROLE_UMKM | ROLE_KOPERASI | ROLE_STUDENT)) == 0) {
        return req_fail(r, STATUS_FORBIDDEN, "this role is created by an administrator");
    }
    struct store_user existing;
    if (store_user_by_name(app.store, username, &existing, NULL, 0) == STATUS_OK) {
        return req_fail(r, STATUS_CONFLICT, "username is taken");
    }
    if (hashing >= ACCOUNTS_HASHING_MAX) {
        r->retry_ms = 1000;
        return req_fail(r, STATUS_RATE_LIMITED, "the server is busy; retry");
    }
    if (ratelimit_register(r->conn->addr_key, conn_now_ms(), &r->retry_ms) != STATUS_OK) {
        log_warn("audit", "registration refused: too many from this address", "ip=%s",
                 r->conn->peer);
        return req_fail(r, STATUS_RATE_LIMITED, "too many new accounts from this address");
    }

    struct register_job *job = calloc(1, sizeof(*job));
    if (job == NULL) {
        return STATUS_NOMEM;
    }
    job->ref = r->ref;
    memcpy(job->username, username, ulen + 1);
    memcpy(job->name, name, nlen + 1);
    memcpy(job->role, role, rlen + 1);
    st = auth_password_hash(app.loop, password, plen, register_hashed, job);
    if (st != STATUS_OK) {
        free(job);
        return st;
    }
    hashing++;
    return STATUS_PENDING;
}

/* ---- login --------------------------------------------------------------- */

struct login_job {
    accounts_login_fn cb;
    void *ud;
    /* `found`: the account exists. `checked`: the password was checked
     * against its record, not the dummy one. */
    bool found;
    bool checked;
    struct store_user user;
    char username[STORE_USERNAME_MAX + 1];
    size_t username_len;
    char addr[ACCOUNTS_ADDR_MAX];
};

static void login_verified(void *ud, enum status st, bool match)
{
    struct login_job *job = ud;
    char token[AUTH_TOKEN_HEX + 1];
    uint8_t hash[32];

    hashing--;
    if (st == STATUS_OK && (!job->checked || !match)) {
        st = STATUS_UNAUTHENTICATED;
    }
    if (st == STATUS_OK) {
        st = auth_token_new(token, hash);
    }
    if (st == STATUS_OK) {
        uint64_t expires = conn_now_ms() + app.cfg->token_ttl_s * 1000;
        st = store_token_put(app.store, hash, job->user.id, expires);
    }

    if (st == STATUS_OK) {
        ratelimit_login_succeeded(job->username, job->username_len, ratelimit_addr_key(job->addr));
        log_info("accounts", "login", "user=%llu", (unsigned long long)job->user.id);
        job->cb(job->ud, STATUS_OK, &job->user, token);
    } else if (st == STATUS_UNAUTHENTICATED) {
        /* The audit trail of guessing: which account, from where. */
        if (job->found) {
            log_warn("audit", "login failed", "user=%llu ip=%s", (unsigned long long)job->user.id,
                     job->addr);
        } else {
            log_warn("audit", "login failed", "user=unknown ip=%s", job->addr);
        }
        job->cb(job->ud, st, NULL, NULL);
    } else {
        job->cb(job->ud, st, NULL, NULL);
    }
    free(job);
}

enum status accounts_login(const char *username, size_t username_len, const char *password,
                           size_t password_len, const char *addr, uint64_t *retry_ms,
                           accounts_login_fn cb, void *ud)
{
    char record[AUTH_RECORD_MAX + 1];
    uint64_t addr_key = ratelimit_addr_key(addr);

    /* Each check holds a hashing thread for tens of milliseconds; past this
     * many waiting, a flood would only delay every honest login. */
    if (hashing >= ACCOUNTS_HASHING_MAX) {
        *retry_ms = 1000;
        return STATUS_RATE_LIMITED;
    }
    bool first_refusal = false;
    if (ratelimit_login_attempt(username, username_len, addr_key, conn_now_ms(), retry_ms,
                                &first_refusal) != STATUS_OK) {
        /* One line per wait: further refusals cost the guesser nothing and
         * would only flood the log. */
        if (first_refusal) {
            log_warn("audit", "login refused: waiting after failed logins", "ip=%s retry_ms=%llu",
                     addr, (unsigned long long)*retry_ms);
        }
        return STATUS_RATE_LIMITED;
    }

    struct login_job *job = calloc(1, sizeof(*job));
    if (job == NULL) {
        return STATUS_NOMEM;
    }
    job->cb = cb;
    job->ud = ud;
    job->username_len = username_len < STORE_USERNAME_MAX ? username_len : STORE_USERNAME_MAX;
    memcpy(job->username, username, job->username_len);
    snprintf(job->addr, sizeof(job->addr), "%s", addr);

    /* An unknown user, or a password no account can have, is checked
     * against a dummy record, taking as long; the audit line still names
     * an account that exists. */
    job->found =
        valid_username(username, username_len) &&
        store_user_by_name(app.store, username, &job->user, record, sizeof(record)) == STATUS_OK;
    job->checked = job->found && valid_password(password_len);
    enum status st = auth_password_verify(app.loop, password, password_len,
                                          job->checked ? record : NULL, login_verified, job);
    if (st != STATUS_OK) {
        free(job);
        return st;
    }
    hashing++;
    return STATUS_OK;
}

struct ws_login {
    struct req_ref ref;
};

static void reply_session(const struct req_ref *ref, const struct store_user *user,
                          const char *token_hex)
{
    struct proto_writer w;
    reply_begin(&w, ref, token_hex ? 2 : 1);
    if (token_hex != NULL) {
        proto_kv_cstr(&w, "token", token_hex);
    }
    proto_put_cstr(&w, "user");
    encode_user(&w, user, 0);
    reply_send(ref, &w);
}

static void ws_login_done(void *ud, enum status st, const struct store_user *user,
                          const char *token_hex)
{
    struct ws_login *job = ud;
    struct conn *c = conn_find(job->ref.conn);

    if (st != STATUS_OK) {
        reply_fail(&job->ref, st,
                   st == STATUS_UNAUTHENTICATED ? "wrong username or password" : NULL);
    } else if (c != NULL) {
        uint8_t hash[32];
        auth_token_hash(token_hex, AUTH_TOKEN_HEX, hash);
        session_attach(c, user, hash, conn_now_ms() + app.cfg->token_ttl_s * 1000);
        reply_session(&job->ref, user, token_hex);
    }
    free(job);
}

static enum status handle_login(struct req *r)
{
    const char *username, *password;
    size_t ulen, plen;
    enum status st = req_str(r, "username", &username, &ulen);
    if (st == STATUS_OK) {
        st = req_str(r, "password", &password, &plen);
    }
    if (st != STATUS_OK) {
        return st;
    }
    struct ws_login *job = malloc(sizeof(*job));
    if (job == NULL) {
        return STATUS_NOMEM;
    }
    job->ref = r->ref;
    st = accounts_login(username, ulen, password, plen, r->conn->peer, &r->retry_ms, ws_login_done,
                        job);
    if (st != STATUS_OK) {
        free(job);
        return st == STATUS_RATE_LIMITED ? req_fail(r, st, "too many login attempts; wait") : st;
    }
    return STATUS_PENDING;
}

/* ---- auth, logout, ping, users ------------------------------------------------ */

static enum status handle_auth(struct req *r)
{
    const char *token;
    size_t len;
    uint8_t hash[32];
    uint64_t user_id = 0;
    uint64_t expires = 0;
    struct store_user user;

    enum status st = req_str(r, "token", &token, &len);
    if (st != STATUS_OK) {
        return st;
    }
    if (auth_token_hash(token, len, hash) != STATUS_OK ||
        store_token_lookup(app.store, hash, conn_now_ms(), &user_id, &expires) != STATUS_OK ||
        store_user_get(app.store, user_id, &user) != STATUS_OK) {
        return req_fail(r, STATUS_UNAUTHENTICATED, "unknown or expired token");
    }
    session_attach(r->conn, &user, hash, expires);
    reply_session(&r->ref, &user, NULL);
    return STATUS_OK;
}

/* Ends a session everywhere: the token, and its connections on every
 * process (the others hear of it through the user's channel). */
static void revoke_token(const uint8_t hash[32], struct conn *except)
{
    uint64_t user = 0;
    uint64_t expires = 0;
    if (store_token_lookup(app.store, hash, 0, &user, &expires) == STATUS_OK) {
        cluster_end_session(user, hash);
    }
    store_token_delete(app.store, hash);
    session_end_token(hash, except, CONN_CLOSE_SESSION_ENDED);
}

void accounts_logout_token(const char *token_hex)
{
    uint8_t hash[32];
    if (auth_token_hash(token_hex, strlen(token_hex), hash) == STATUS_OK) {
        revoke_token(hash, NULL);
    }
}

static enum status handle_logout(struct req *r)
{
    struct session *s = &r->conn->session;
    if (s->has_token) {
        uint8_t hash[32];
        memcpy(hash, s->token_hash, sizeof(hash));
        revoke_token(hash, r->conn);
    }
    log_info("accounts", "logout", "user=%llu", (unsigned long long)s->user);
    session_detach(r->conn);
    reply_empty(&r->ref);
    return STATUS_OK;
}

static enum status handle_ping(struct req *r)
{
    reply_empty(&r->ref);
    return STATUS_OK;
}

struct user_list {
    struct store_user users[USERS_LIMIT_MAX];
    uint32_t count;
};

static void collect_user(void *ud, const struct store_user *u)
{
    struct user_list *list = ud;
    if (list->count < USERS_LIMIT_MAX) {
        list->users[list->count++] = *u;
    }
}

static enum status handle_users(struct req *r)
{
    const char *query = "";
    size_t qlen = 0;
    uint64_t limit = 0;

    enum status st = proto_get_str(r->msg, "query", &query, &qlen);
    if (st == STATUS_BAD_REQUEST || qlen > STORE_NAME_MAX ||
        (st == STATUS_OK && strlen(query) != qlen)) {
        return req_fail(r, STATUS_BAD_REQUEST, "`query` must be a string of at most 100 bytes");
    }
    if (st == STATUS_NOT_FOUND) {
        query = "";
    }
    st = req_opt_uint(r, "limit", USERS_LIMIT_DEFAULT, &limit);
    if (st != STATUS_OK) {
        return st;
    }
    if (limit < 1 || limit > USERS_LIMIT_MAX) {
        return req_fail(r, STATUS_BAD_REQUEST, "`limit` must be 1-50");
    }

    static struct user_list list;
    list.count = 0;
    st = store_user_search(app.store, query, (unsigned)limit, collect_user, &list);
    if (st != STATUS_OK) {
        return st;
    }
    struct proto_writer w;
    reply_begin(&w, &r->ref, 1);
    proto_put_cstr(&w, "users");
    proto_put_array(&w, list.count);
    for (uint32_t i = 0; i < list.count; i++) {
        encode_user(&w, &list.users[i], 0);
    }
    reply_send(&r->ref, &w);
    return STATUS_OK;
}

static const struct request_def requests[] = {
    {"register", false, ROLE_ANY, handle_register, 0}, {"login", false, ROLE_ANY, handle_login, 0},
    {"auth", false, ROLE_ANY, handle_auth, 0},         {"ping", false, ROLE_ANY, handle_ping, 0},
    {"logout", true, ROLE_ANY, handle_logout, 0},      {"users", true, ROLE_ANY, handle_users, 0},
};

void accounts_init(void)
{
    dispatch_register(requests, sizeof(requests) / sizeof(requests[0]));
}

enum status accounts_create_user(struct store *store, const char *username, const char *name,
                                 const char *role, const char *password, const char **why)
{
    *why = check_new_user(username, strlen(username), name, strlen(name), strlen(password));
    if (*why != NULL) {
        return STATUS_BAD_REQUEST;
    }
    if (session_role_bit(role) == 0) {
        *why = "role must be umkm, koperasi, mentor, student, moderator or admin";
        return STATUS_BAD_REQUEST;
    }

    char record[AUTH_RECORD_MAX + 1];
    struct store_user user;
    enum status st = auth_password_hash_sync(password, strlen(password), record, sizeof(record));
    if (st == STATUS_OK) {
        st = store_user_create(store, username, name, role, record, &user);
    }
    if (st == STATUS_CONFLICT) {
        *why = "username is taken";
    } else if (st != STATUS_OK) {
        *why = "could not store the user";
    }
    return st;
}
