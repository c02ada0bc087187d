/*
 * loadgen: a load generator for kolabd that speaks kolab.v1 over many
 * WebSockets from one thread.
 *
 * It registers a few users and logs each in once over a control connection
 * (so scrypt is paid a handful of times, not once per connection), creates the
 * rooms, then opens the load connections with bounded concurrency on one
 * epoll loop; each of them presents a user's token with `auth`. Every
 * connection owns buffers allocated when the run starts (the input buffer
 * grows only when a frame is larger than any before it), requests are written
 * by hand into the output buffer, and server frames are scanned in place
 * (mp.h), so the hot path allocates nothing.
 *
 * Scenarios (see usage()):
 *   fanout         one room, N subscribers, P publishers
 *   pairs          N/2 rooms of two connections, each connection publishing
 *   connect-storm  N connections connect, authenticate and join
 *   resume-storm   N subscribers drop, M messages are sent, all rejoin with
 *                  `since` and must be replayed every message
 *
 * With --proto mqtt, the fan-out scenario drives an MQTT 3.1.1 broker over
 * WebSockets instead (mqtt.h), so that one run can set kolabd beside it: the
 * room is the topic room/1, a connection is ready once CONNACK (publishers)
 * or SUBACK (subscribers, at QoS 0) is in, and publishers send at QoS 1 so
 * that PUBACK plays the part of kolabd's `ok`. The broker needs no set-up and
 * is never started here.
 *
 * Latency: every body holds "t=<CLOCK_MONOTONIC ns>", read by the receiver
 * against the same clock. Acknowledgement latency is the time from a send to
 * its `ok` (or PUBACK). The run exits non-zero when a message is lost, arrives
 * out of order, or any request fails, and never on a timing. It stops at the
 * first failed request or server-closed connection (the run could never
 * complete) and at --timeout, and reports what it measured up to then.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "hist.h"
#include "mp.h"
#include "mqtt.h"
#include "wsclient.h"

#define LG_MAX_USERS     64
#define LG_SUB_OUT       2048
#define LG_PUB_OUT       (128 * 1024)
#define LG_IN_START      (16 * 1024)
#define LG_IN_MAX        (64u * 1024 * 1024)
#define LG_ID_AUTH       1
#define LG_ID_JOIN       2
#define LG_SEND_ID_SHIFT 16
#define LG_CONNS_PER_SRC 20000
#define LG_MAX_BODY      3900
#define LG_MQTT_TOPIC    "room/1"
#define LG_MQTT_SUB_ID   1
/* The longest keepalive MQTT can state (about 18 hours): the load generator
 * sends no PINGREQ, and an idle subscriber must outlive any run. */
#define LG_MQTT_KEEPALIVE 65535

enum lg_scenario { LG_FANOUT, LG_PAIRS, LG_CONNECT_STORM, LG_RESUME_STORM };
enum lg_proto { LG_KOLAB, LG_MQTT };
enum lg_state { ST_IDLE, ST_CONNECTING, ST_UPGRADE, ST_HELLO, ST_AUTH, ST_JOIN, ST_READY };

struct lg_pub {
    uint64_t *slot_t0; /* send time of the request in each window slot */
    uint32_t *free;    /* a stack of free slots */
    uint32_t nfree;
    uint64_t sent;
    uint64_t quota;
};

struct lg_conn {
    int fd;
    enum lg_state state;
    uint32_t idx;
    bool joins;
    bool want_out;
    uint32_t user;
    uint64_t room;
    uint64_t last_seq;
    uint64_t t_open;
    uint8_t *in;
    size_t in_len;
    size_t in_cap;
    /* MQTT only: the first mq_len bytes of `in` are the start of a packet,
     * taken out of their WebSocket frames; raw frames follow them. */
    size_t mq_len;
    /* MQTT only, subscribers: the count expected next from each publisher,
     * since MQTT has no room-wide sequence number to check order by. */
    uint64_t *pub_next;
    uint8_t *out;
    size_t out_len;
    size_t out_cap;
    struct lg_pub *pub;
};

struct lg_user {
    uint64_t id;
    char token[128];
};

struct lg_opts {
    enum lg_scenario scenario;
    enum lg_proto proto;
    uint32_t conns;
    uint32_t publishers;
    uint64_t messages;
    uint64_t rate;
    uint32_t window;
    uint32_t users;
    uint32_t body;
    uint32_t concurrency;
    uint32_t sources;
    double timeout_s;
    double hold_s;
    bool start;
    const char *kolabd;
    char host[64];
    int port;
    char path[128];
    pid_t server_pid;
};

struct lg_proc {
    double cpu_s;
    long rss_kib;
    long hwm_kib;
};

/* Everything the run counts; one instance, loop thread only. */
struct lg {
    struct lg_opts o;
    int ep;
    uint32_t mask_state;
    struct lg_user users[LG_MAX_USERS];
    struct lg_conn *conns;
    uint32_t nconns;
    uint64_t *rooms;
    uint32_t nrooms;
    uint32_t opening;
    uint32_t next_open;
    uint32_t ready;
    bool closing;
    uint64_t sent_total;
    uint64_t acked;
    uint64_t delivered;
    uint64_t replayed;
    uint64_t errors;
    uint64_t order_errors;
    uint64_t unexpected_closes;
    uint64_t bad_frames;
    uint64_t run_t0;
    struct hist lat;
    struct hist ack;
    struct hist setup;
    char tmpdir[128];
};

static struct lg lg;

static uint64_t lg_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void lg_die(const char *what)
{
    fprintf(stderr, "loadgen: %s\n", what);
    exit(2);
}

/* The WebSocket subprotocol of the load connections. */
static const char *lg_subprotocol(void)
{
    return lg.o.proto == LG_MQTT ? "mqtt" : "kolab.v1";
}

/* ---- the server's process: /proc, start, stop ------------------------- */

static struct lg_proc lg_proc_read(pid_t pid)
{
    struct lg_proc p = {0};
    if (pid <= 0) {
        return p;
    }
    char path[64];
    char buf[2048];
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (f != NULL) {
        size_t n = fread(buf, 1, sizeof(buf) - 1, f);
        buf[n] = '\0';
        fclose(f);
        /* Fields 14 and 15 (utime, stime) follow the command's closing ')'. */
        char *s = strrchr(buf, ')');
        unsigned long ut = 0;
        unsigned long st = 0;
        if (s != NULL &&
            sscanf(s + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) == 2) {
            p.cpu_s = (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
        }
    }
    snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
    f = fopen(path, "r");
    if (f != NULL) {
        while (fgets(buf, sizeof(buf), f) != NULL) {
            sscanf(buf, "VmRSS: %ld", &p.rss_kib);
            sscanf(buf, "VmHWM: %ld", &p.hwm_kib);
        }
        fclose(f);
    }
    return p;
}

static double lg_self_cpu(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static int lg_free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(a);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &len) != 0) {
        lg_die("cannot find a free port");
    }
    close(fd);
    return ntohs(a.sin_port);
}

static bool lg_port_open(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    bool ok = fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
    if (fd >= 0) {
        close(fd);
    }
    return ok;
}

/* The abuse limits of a server of our own are set out of reach, as the
 * integration tests' RELAXED_LIMITS do: one address opens every connection. */
static void lg_relax_limits(void)
{
    static const char *const names[] = {"KOLAB_REQ_RATE",          "KOLAB_REQ_BURST",
                                        "KOLAB_MSG_RATE",          "KOLAB_MSG_BURST",
                                        "KOLAB_CONNS_PER_IP",      "KOLAB_CONN_RATE_PER_IP",
                                        "KOLAB_LOGIN_FAILURES_IP", "KOLAB_REGISTRATIONS_PER_IP"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        setenv(names[i], "1000000", 1);
    }
}

static void lg_server_start(void)
{
    snprintf(lg.tmpdir, sizeof(lg.tmpdir), "/tmp/kolab-loadgen-XXXXXX");
    if (mkdtemp(lg.tmpdir) == NULL) {
        lg_die("cannot create a temporary data directory");
    }
    lg.o.port = lg_free_port();
    snprintf(lg.o.host, sizeof(lg.o.host), "127.0.0.1");
    char listen[64];
    char logpath[192];
    snprintf(listen, sizeof(listen), "127.0.0.1:%d", lg.o.port);
    snprintf(logpath, sizeof(logpath), "%s/kolabd.log", lg.tmpdir);
    lg_relax_limits();
    pid_t pid = fork();
    if (pid == 0) {
        int log = open(logpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (log >= 0) {
            dup2(log, 2);
        }
        execl(lg.o.kolabd, lg.o.kolabd, "--listen", listen, "--data", lg.tmpdir, "--web-root",
              lg.tmpdir, "--log-level", "warn", (char *)NULL);
        _exit(127);
    }
    lg.o.server_pid = pid;
    for (int i = 0; i < 200 && !lg_port_open(lg.o.port); i++) {
        if (waitpid(pid, NULL, WNOHANG) == pid) {
            fprintf(stderr, "loadgen: kolabd exited during start; its log is %s\n", logpath);
            exit(2);
        }
        usleep(50000);
    }
}

static int lg_rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    return remove(path);
}

/* SIGTERM, up to 10 s for the exit, then SIGKILL. Keeps the data directory
 * (and the server's log in it) when the run failed. */
static void lg_server_stop(bool keep)
{
    if (!lg.o.start || lg.o.server_pid <= 0) {
        return;
    }
    kill(lg.o.server_pid, SIGTERM);
    int i = 0;
    while (waitpid(lg.o.server_pid, NULL, WNOHANG) == 0 && i++ < 200) {
        usleep(50000);
    }
    if (i > 200) {
        kill(lg.o.server_pid, SIGKILL);
        waitpid(lg.o.server_pid, NULL, 0);
    }
    if (keep) {
        fprintf(stderr, "loadgen: kept %s (kolabd.log holds the server's log)\n", lg.tmpdir);
    } else {
        nftw(lg.tmpdir, lg_rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    }
}

/* ---- the control connection: blocking, used only during set-up -------- */

struct lg_ctl {
    int fd;
    uint8_t in[1 << 20];
    size_t in_len;
    uint8_t frame[1 << 20]; /* the payload of the last frame read */
    size_t frame_len;
};

static struct lg_ctl ctl;

static void lg_write_all(int fd, const uint8_t *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w <= 0) {
            lg_die("control connection: write failed");
        }
        p += w;
        n -= (size_t)w;
    }
}

static void lg_ctl_fill(void)
{
    ssize_t n = read(ctl.fd, ctl.in + ctl.in_len, sizeof(ctl.in) - ctl.in_len);
    if (n <= 0) {
        lg_die("control connection closed by the server");
    }
    ctl.in_len += (size_t)n;
}

static void lg_ctl_open(void)
{
    ctl.fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)lg.o.port)};
    inet_pton(AF_INET, lg.o.host, &a.sin_addr);
    if (ctl.fd < 0 || connect(ctl.fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
        lg_die("cannot connect to the server");
    }
    char req[512];
    size_t n = wsclient_handshake(req, sizeof(req), lg.o.host, lg.o.port, lg.o.path, "kolab.v1");
    lg_write_all(ctl.fd, (const uint8_t *)req, n);
    long h;
    while ((h = wsclient_handshake_done(ctl.in, ctl.in_len, "kolab.v1")) == 0) {
        lg_ctl_fill();
    }
    if (h < 0) {
        lg_die("the server refused the WebSocket upgrade");
    }
    memmove(ctl.in, ctl.in + h, ctl.in_len - (size_t)h);
    ctl.in_len -= (size_t)h;
}

/* Reads the next binary frame's payload into ctl.frame, answering pings. */
static void lg_ctl_next(void)
{
    for (;;) {
        struct wsclient_frame f;
        uint64_t need;
        long n = wsclient_frame_read(ctl.in, ctl.in_len, &f, &need);
        if (n < 0 || need > sizeof(ctl.in) || (n > 0 && !f.fin)) {
            lg_die("control connection: bad frame");
        }
        if (n == 0) {
            lg_ctl_fill();
            continue;
        }
        bool binary = f.opcode == WSCLIENT_OP_BINARY;
        if (binary) {
            memcpy(ctl.frame, f.payload, f.len);
            ctl.frame_len = f.len;
        } else if (f.opcode == WSCLIENT_OP_CLOSE) {
            lg_die("control connection closed by the server");
        }
        memmove(ctl.in, ctl.in + n, ctl.in_len - (size_t)n);
        ctl.in_len -= (size_t)n;
        if (binary) {
            return;
        }
    }
}

static void lg_ctl_send(const struct mp_writer *w)
{
    uint8_t frame[4096];
    size_t n = wsclient_frame_write(frame, sizeof(frame), WSCLIENT_OP_BINARY, w->buf, w->len,
                                    &lg.mask_state);
    if (w->failed || n == 0) {
        lg_die("control request too large");
    }
    lg_write_all(ctl.fd, frame, n);
}

/* Waits for the reply with `id` (events are skipped) and scans it into *f;
 * an error reply ends the run. */
static void lg_ctl_reply(uint64_t id, struct mp_fields *f)
{
    for (;;) {
        lg_ctl_next();
        struct mp_reader r = {ctl.frame, ctl.frame + ctl.frame_len};
        uint32_t count;
        if (!mp_frame_begin(&r, &count)) {
            lg_die("control connection: bad msgpack");
        }
        for (uint32_t i = 0; i < count; i++) {
            if (!mp_scan_map(&r, f)) {
                lg_die("control connection: bad msgpack");
            }
            if (f->has_id && f->id == id && f->type != NULL) {
                if (mp_eq(f->type, f->type_len, "ok")) {
                    return;
                }
                fprintf(stderr, "loadgen: set-up request %" PRIu64 " failed: %.*s\n", id,
                        (int)f->code_len, f->code ? f->code : "");
                exit(2);
            }
        }
    }
}

static uint64_t lg_nested_id(const uint8_t *map)
{
    struct mp_fields f;
    struct mp_reader r = {map, ctl.frame + ctl.frame_len};
    if (map == NULL || !mp_scan_map(&r, &f) || !f.has_id) {
        lg_die("set-up reply without an id");
    }
    return f.id;
}

/* Registers user `u` (role student) and logs it in once for its token. */
static void lg_ctl_user(uint32_t u, uint64_t *id)
{
    char name[64];
    snprintf(name, sizeof(name), "lg%d.%" PRIu64 ".%u", (int)getpid(), lg_now() % 100000, u);
    uint8_t buf[512];
    struct mp_writer w;
    mp_writer_init(&w, buf, sizeof(buf));
    mp_put_map(&w, 6);
    mp_put_cstr(&w, "type");
    mp_put_cstr(&w, "register");
    mp_put_cstr(&w, "id");
    mp_put_uint(&w, ++*id);
    mp_put_cstr(&w, "username");
    mp_put_cstr(&w, name);
    mp_put_cstr(&w, "password");
    mp_put_cstr(&w, "loadgen-password");
    mp_put_cstr(&w, "name");
    mp_put_cstr(&w, name);
    mp_put_cstr(&w, "role");
    mp_put_cstr(&w, "student");
    lg_ctl_send(&w);
    struct mp_fields f;
    lg_ctl_reply(*id, &f);

    mp_writer_init(&w, buf, sizeof(buf));
    mp_put_map(&w, 4);
    mp_put_cstr(&w, "type");
    mp_put_cstr(&w, "login");
    mp_put_cstr(&w, "id");
    mp_put_uint(&w, ++*id);
    mp_put_cstr(&w, "username");
    mp_put_cstr(&w, name);
    mp_put_cstr(&w, "password");
    mp_put_cstr(&w, "loadgen-password");
    lg_ctl_send(&w);
    lg_ctl_reply(*id, &f);
    if (f.token == NULL || f.token_len >= sizeof(lg.users[u].token)) {
        lg_die("login reply without a token");
    }
    memcpy(lg.users[u].token, f.token, f.token_len);
    lg.users[u].token[f.token_len] = '\0';
    lg.users[u].id = lg_nested_id(f.user);
}

/* Writes room_create for a group of the last-logged-in user with `members`. */
static void lg_ctl_room_request(uint64_t id, const uint64_t *members, uint32_t n)
{
    uint8_t buf[2048];
    struct mp_writer w;
    mp_writer_init(&w, buf, sizeof(buf));
    mp_put_map(&w, 5);
    mp_put_cstr(&w, "type");
    mp_put_cstr(&w, "room_create");
    mp_put_cstr(&w, "id");
    mp_put_uint(&w, id);
    mp_put_cstr(&w, "kind");
    mp_put_cstr(&w, "group");
    mp_put_cstr(&w, "title");
    mp_put_cstr(&w, "loadgen");
    mp_put_cstr(&w, "members");
    mp_put_array(&w, n);
    for (uint32_t i = 0; i < n; i++) {
        mp_put_uint(&w, members[i]);
    }
    lg_ctl_send(&w);
}

/*
 * Creates lg.nrooms rooms, keeping up to 64 requests in flight. The creator is
 * the last user logged in; a pair room k has the creator and user k % (U-1),
 * any other room has every user.
 */
static void lg_ctl_rooms(uint64_t base)
{
    uint32_t others = lg.o.users - 1;
    uint64_t all[LG_MAX_USERS];
    for (uint32_t u = 0; u < others; u++) {
        all[u] = lg.users[u].id;
    }
    uint32_t next = 0;
    uint32_t done = 0;
    while (done < lg.nrooms) {
        while (next < lg.nrooms && next - done < 64) {
            bool pair = lg.o.scenario == LG_PAIRS;
            const uint64_t *m = pair ? &all[next % others] : all;
            lg_ctl_room_request(base + next, m, pair ? 1 : others);
            next++;
        }
        lg_ctl_next();
        struct mp_reader r = {ctl.frame, ctl.frame + ctl.frame_len};
        uint32_t count;
        struct mp_fields f;
        if (!mp_frame_begin(&r, &count)) {
            lg_die("control connection: bad msgpack");
        }
        for (uint32_t i = 0; i < count && mp_scan_map(&r, &f); i++) {
            if (!f.has_id || f.id < base || f.id >= base + lg.nrooms) {
                continue;
            }
            if (!mp_eq(f.type, f.type_len, "ok")) {
                lg_die("room_create failed");
            }
            lg.rooms[f.id - base] = lg_nested_id(f.room);
            done++;
        }
    }
}

static void lg_setup(void)
{
    lg.nrooms = lg.o.scenario == LG_PAIRS ? lg.o.conns / 2 : 1;
    lg.rooms = calloc(lg.nrooms, sizeof(*lg.rooms));
    if (lg.rooms == NULL) {
        lg_die("out of memory");
    }
    /* A broker has no accounts and no rooms to create: the topic is the room. */
    if (lg.o.proto == LG_MQTT) {
        return;
    }
    lg_ctl_open();
    lg_ctl_next(); /* hello */
    uint64_t id = 0;
    for (uint32_t u = 0; u < lg.o.users; u++) {
        lg_ctl_user(u, &id);
    }
    lg_ctl_rooms(id + 1);
    close(ctl.fd);
}

/* ---- load connections: open, write, close ----------------------------- */

static void lg_watch(struct lg_conn *c, bool out)
{
    struct epoll_event ev = {.events = EPOLLIN | (out ? EPOLLOUT : 0), .data.ptr = c};
    epoll_ctl(lg.ep, EPOLL_CTL_MOD, c->fd, &ev);
    c->want_out = out;
}

static void lg_conn_close(struct lg_conn *c, bool expected)
{
    if (c->fd < 0) {
        return;
    }
    if (c->state != ST_READY && c->state != ST_IDLE) {
        lg.opening--;
    }
    if (c->state == ST_READY) {
        lg.ready--;
    }
    if (!expected) {
        lg.unexpected_closes++;
    }
    close(c->fd);
    c->fd = -1;
    c->state = ST_IDLE;
    c->in_len = 0;
    c->mq_len = 0;
    c->out_len = 0;
}

static void lg_flush(struct lg_conn *c)
{
    if (c->out_len == 0 || c->state == ST_CONNECTING) {
        return;
    }
    ssize_t n = write(c->fd, c->out, c->out_len);
    if (n < 0 && errno != EAGAIN) {
        lg_conn_close(c, false);
        return;
    }
    if (n > 0) {
        memmove(c->out, c->out + n, c->out_len - (size_t)n);
        c->out_len -= (size_t)n;
    }
    bool out = c->out_len > 0;
    if (out != c->want_out) {
        lg_watch(c, out);
    }
}

/* Frames the `len` bytes of a request into the connection's output; false
 * when the output is full (the caller tries again after the next write) or
 * the request is empty because it did not fit its own buffer. */
static bool lg_queue_bytes(struct lg_conn *c, const uint8_t *req, size_t len)
{
    if (len == 0) {
        return false;
    }
    size_t n = wsclient_frame_write(c->out + c->out_len, c->out_cap - c->out_len,
                                    WSCLIENT_OP_BINARY, req, len, &lg.mask_state);
    c->out_len += n;
    return n > 0;
}

static bool lg_queue(struct lg_conn *c, const struct mp_writer *w)
{
    return lg_queue_bytes(c, w->buf, w->len) && !w->failed;
}

static void lg_send_auth(struct lg_conn *c)
{
    uint8_t buf[256];
    struct mp_writer w;
    mp_writer_init(&w, buf, sizeof(buf));
    mp_put_map(&w, 3);
    mp_put_cstr(&w, "type");
    mp_put_cstr(&w, "auth");
    mp_put_cstr(&w, "id");
    mp_put_uint(&w, LG_ID_AUTH);
    mp_put_cstr(&w, "token");
    mp_put_cstr(&w, lg.users[c->user].token);
    lg_queue(c, &w);
    c->state = ST_AUTH;
}

static void lg_send_join(struct lg_conn *c)
{
    uint8_t buf[128];
    struct mp_writer w;
    mp_writer_init(&w, buf, sizeof(buf));
    bool since = lg.o.scenario == LG_RESUME_STORM;
    mp_put_map(&w, since ? 4 : 3);
    mp_put_cstr(&w, "type");
    mp_put_cstr(&w, "join");
    mp_put_cstr(&w, "id");
    mp_put_uint(&w, LG_ID_JOIN);
    mp_put_cstr(&w, "room");
    mp_put_uint(&w, c->room);
    if (since) {
        mp_put_cstr(&w, "since");
        mp_put_uint(&w, c->last_seq);
    }
    lg_queue(c, &w);
    c->state = ST_JOIN;
}

/* The source address of connection i: 127.0.0.1 by default, or one of
 * 127.0.0.2 .. 127.0.0.(1+sources) so that each address's ephemeral ports
 * are enough. */
static void lg_bind_source(int fd, uint32_t i)
{
    if (lg.o.sources <= 1) {
        return;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_addr.s_addr = htonl(0x7f000002u + i % lg.o.sources)};
    if (bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
        lg_die("cannot bind a source address");
    }
}

static void lg_conn_open(struct lg_conn *c)
{
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (c->fd < 0) {
        lg_die("socket failed (is RLIMIT_NOFILE high enough?)");
    }
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    lg_bind_source(c->fd, c->idx);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)lg.o.port)};
    inet_pton(AF_INET, lg.o.host, &a.sin_addr);
    c->t_open = lg_now();
    c->state = ST_CONNECTING;
    lg.opening++;
    if (connect(c->fd, (struct sockaddr *)&a, sizeof(a)) != 0 && errno != EINPROGRESS) {
        lg_conn_close(c, false);
        return;
    }
    struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.ptr = c};
    epoll_ctl(lg.ep, EPOLL_CTL_ADD, c->fd, &ev);
    c->want_out = true;
}

static void lg_connected(struct lg_conn *c)
{
    int err = 0;
    socklen_t len = sizeof(err);
    getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) {
        lg_conn_close(c, false);
        return;
    }
    char req[512];
    size_t n =
        wsclient_handshake(req, sizeof(req), lg.o.host, lg.o.port, lg.o.path, lg_subprotocol());
    memcpy(c->out, req, n);
    c->out_len = n;
    c->state = ST_UPGRADE;
    lg_flush(c);
}

/* Opens connections while fewer than --concurrency are on their way. */
static void lg_open_more(void)
{
    while (lg.next_open < lg.nconns && lg.opening < lg.o.concurrency) {
        struct lg_conn *c = &lg.conns[lg.next_open++];
        if (c->fd < 0) {
            lg_conn_open(c);
        }
    }
}

/* ---- publishing ------------------------------------------------------- */

/*
 * Writes the body of the publisher's next message into `body` and returns its
 * length: "t=<now> ", for MQTT the publisher's number and its count of sends
 * ("<k>:<n> ") so that receivers can check order, then 'x' up to --body.
 */
static size_t lg_body(const struct lg_conn *c, char *body, size_t cap, uint64_t now)
{
    int n = snprintf(body, cap, "t=%" PRIu64 " ", now);
    if (lg.o.proto == LG_MQTT) {
        n += snprintf(body + n, cap - (size_t)n, "%u:%" PRIu64 " ", c->idx - lg.o.conns,
                      c->pub->sent);
    }
    if ((uint32_t)n < lg.o.body) {
        memset(body + n, 'x', lg.o.body - (uint32_t)n);
        n = (int)lg.o.body;
    }
    return (size_t)n;
}

/* Queues kolab.v1 `send` of `body`, its id naming the window slot. */
static bool lg_kolab_send(struct lg_conn *c, uint32_t slot, const char *body, size_t blen)
{
    struct lg_pub *p = c->pub;
    uint64_t id = ((p->sent + 1) << LG_SEND_ID_SHIFT) | slot;
    char cid[48];
    int clen = snprintf(cid, sizeof(cid), "c%u-%" PRIu64, c->idx, p->sent);
    uint8_t buf[LG_MAX_BODY + 128];
    struct mp_writer w;
    mp_writer_init(&w, buf, sizeof(buf));
    mp_put_map(&w, 5);
    mp_put_cstr(&w, "type");
    mp_put_cstr(&w, "send");
    mp_put_cstr(&w, "id");
    mp_put_uint(&w, id);
    mp_put_cstr(&w, "room");
    mp_put_uint(&w, c->room);
    mp_put_cstr(&w, "body");
    mp_put_str(&w, body, blen);
    mp_put_cstr(&w, "client_id");
    mp_put_str(&w, cid, (size_t)clen);
    return lg_queue(c, &w);
}

/* Queues PUBLISH of `body` at QoS 1, so that the broker's PUBACK, like
 * kolabd's `ok`, times the acknowledgement and frees the window slot. The
 * packet identifier is the slot plus one, since 0 is not a valid one. */
static bool lg_mqtt_publish(struct lg_conn *c, uint32_t slot, const char *body, size_t blen)
{
    uint8_t buf[LG_MAX_BODY + 128];
    size_t n = mqtt_publish_write(buf, sizeof(buf), LG_MQTT_TOPIC, 1, (uint16_t)(slot + 1),
                                  (const uint8_t *)body, blen);
    return lg_queue_bytes(c, buf, n);
}

static bool lg_send_one(struct lg_conn *c, uint64_t now)
{
    struct lg_pub *p = c->pub;
    uint32_t slot = p->free[p->nfree - 1];
    char body[LG_MAX_BODY + 64];
    size_t blen = lg_body(c, body, sizeof(body), now);
    bool queued = lg.o.proto == LG_MQTT ? lg_mqtt_publish(c, slot, body, blen)
                                        : lg_kolab_send(c, slot, body, blen);
    if (!queued) {
        return false;
    }
    p->nfree--;
    p->slot_t0[slot] = now;
    p->sent++;
    lg.sent_total++;
    return true;
}

/* How many sends the --rate allows by now (all of them without a rate). */
static uint64_t lg_allowed(uint64_t now)
{
    if (lg.o.rate == 0) {
        return UINT64_MAX;
    }
    return (uint64_t)((double)(now - lg.run_t0) / 1e9 * (double)lg.o.rate) + 1;
}

static void lg_pub_fill(struct lg_conn *c, uint64_t now)
{
    struct lg_pub *p = c->pub;
    if (p == NULL || c->state != ST_READY || lg.run_t0 == 0) {
        return;
    }
    uint64_t allowed = lg_allowed(now);
    while (p->nfree > 0 && p->sent < p->quota && lg.sent_total < allowed) {
        if (!lg_send_one(c, now)) {
            break;
        }
    }
    lg_flush(c);
}

static void lg_pub_fill_all(uint64_t now)
{
    for (uint32_t i = 0; i < lg.nconns; i++) {
        if (lg.conns[i].pub != NULL) {
            lg_pub_fill(&lg.conns[i], now);
        }
    }
}

/* ---- what the server sends -------------------------------------------- */

/* Reads the decimal number at s[*i] (0 when there is none) and moves *i past
 * it. */
static uint64_t lg_read_uint(const char *s, size_t len, size_t *i)
{
    uint64_t v = 0;
    while (*i < len && s[*i] >= '0' && s[*i] <= '9') {
        v = v * 10 + (uint64_t)(s[*i] - '0');
        (*i)++;
    }
    return v;
}

/* Counts a live delivery and its latency from the "t=<ns>" that starts its
 * body. Returns the offset just past that time in the body. */
static size_t lg_on_live(const char *body, size_t len, uint64_t now)
{
    lg.delivered++;
    size_t i = 2;
    uint64_t t = 0;
    if (body != NULL && len > 2 && body[0] == 't' && body[1] == '=') {
        t = lg_read_uint(body, len, &i);
    }
    if (t != 0 && t <= now) {
        hist_add(&lg.lat, now - t);
    }
    return i;
}

static void lg_on_message(struct lg_conn *c, const struct mp_fields *f, uint64_t now, bool live)
{
    if (f->seq != c->last_seq + 1) {
        lg.order_errors++;
    }
    c->last_seq = f->seq;
    if (!live) {
        lg.replayed++;
        return;
    }
    lg_on_live(f->body, f->body_len, now);
}

static void lg_on_ready(struct lg_conn *c, uint64_t now)
{
    c->state = ST_READY;
    lg.opening--;
    lg.ready++;
    hist_add(&lg.setup, now - c->t_open);
    lg_pub_fill(c, now);
}

/* The join reply: replayed messages (resume), then the connection is ready. */
static void lg_on_join(struct lg_conn *c, const struct mp_fields *f, const uint8_t *end,
                       uint64_t now)
{
    struct mp_reader r = {f->messages, end};
    for (uint32_t i = 0; f->messages != NULL && i < f->n_messages; i++) {
        struct mp_fields m;
        if (!mp_scan_map(&r, &m)) {
            lg.bad_frames++;
            break;
        }
        lg_on_message(c, &m, now, false);
    }
    lg_on_ready(c, now);
}

static void lg_on_ack(struct lg_conn *c, uint64_t id, uint64_t now)
{
    struct lg_pub *p = c->pub;
    uint32_t slot = (uint32_t)(id & ((1u << LG_SEND_ID_SHIFT) - 1));
    if (p == NULL || slot >= lg.o.window) {
        lg.bad_frames++;
        return;
    }
    hist_add(&lg.ack, now - p->slot_t0[slot]);
    p->free[p->nfree++] = slot;
    lg.acked++;
    lg_pub_fill(c, now);
}

static void lg_on_reply(struct lg_conn *c, const struct mp_fields *f, const uint8_t *end,
                        uint64_t now)
{
    if (!mp_eq(f->type, f->type_len, "ok")) {
        if (lg.errors++ < 5) {
            fprintf(stderr, "loadgen: request %" PRIu64 " on connection %u failed: %.*s\n", f->id,
                    c->idx, (int)f->code_len, f->code ? f->code : "?");
        }
        if (lg.errors == 1 && mp_eq(f->code, f->code_len, "rate_limited")) {
            fprintf(stderr, "loadgen: the server's abuse limits refused the load; start kolabd "
                            "with them raised (KOLAB_MSG_RATE, KOLAB_MSG_BURST and the others "
                            "README.md lists), as --start does\n");
        }
        return;
    }
    if (f->id == LG_ID_AUTH) {
        if (c->joins) {
            lg_send_join(c);
        } else {
            lg_on_ready(c, now);
        }
    } else if (f->id == LG_ID_JOIN) {
        lg_on_join(c, f, end, now);
    } else {
        lg_on_ack(c, f->id, now);
    }
}

static void lg_on_map(struct lg_conn *c, const struct mp_fields *f, const uint8_t *end,
                      uint64_t now)
{
    if (f->type == NULL) {
        lg.bad_frames++;
    } else if (f->has_id) {
        lg_on_reply(c, f, end, now);
    } else if (mp_eq(f->type, f->type_len, "message")) {
        lg_on_message(c, f, now, true);
    } else if (mp_eq(f->type, f->type_len, "hello") && c->state == ST_HELLO) {
        lg_send_auth(c);
    }
}

static void lg_on_binary(struct lg_conn *c, const uint8_t *p, size_t len, uint64_t now)
{
    struct mp_reader r = {p, p + len};
    uint32_t count;
    if (!mp_frame_begin(&r, &count)) {
        lg.bad_frames++;
        return;
    }
    for (uint32_t i = 0; i < count; i++) {
        struct mp_fields f;
        if (!mp_scan_map(&r, &f)) {
            lg.bad_frames++;
            return;
        }
        lg_on_map(c, &f, p + len, now);
    }
}

/* Says why the server closed a connection the run needed, for the first
 * such close only. */
static void lg_report_close(const struct lg_conn *c, const uint8_t *payload, size_t len)
{
    if (lg.unexpected_closes != 0) {
        return;
    }
    unsigned code = len >= 2 ? (unsigned)payload[0] << 8 | payload[1] : 0;
    fprintf(stderr, "loadgen: the server closed connection %u with code %u\n", c->idx, code);
    if (code == 4029) {
        fprintf(stderr, "loadgen: 4029 is the server's limit on connections per address; start "
                        "kolabd with it raised (KOLAB_CONNS_PER_IP, KOLAB_CONN_RATE_PER_IP and "
                        "the others README.md lists), as --start does\n");
    }
}

/* Handles one frame; false when the connection is gone. */
static bool lg_on_frame(struct lg_conn *c, const struct wsclient_frame *f, uint64_t now)
{
    if (!f->fin) {
        lg.bad_frames++;
        lg_conn_close(c, false);
        return false;
    }
    if (f->opcode == WSCLIENT_OP_BINARY) {
        lg_on_binary(c, f->payload, f->len, now);
    } else if (f->opcode == WSCLIENT_OP_PING) {
        size_t n = wsclient_frame_write(c->out + c->out_len, c->out_cap - c->out_len,
                                        WSCLIENT_OP_PONG, f->payload, f->len, &lg.mask_state);
        c->out_len += n;
    } else if (f->opcode == WSCLIENT_OP_CLOSE) {
        if (!lg.closing) {
            lg_report_close(c, f->payload, f->len);
        }
        lg_conn_close(c, lg.closing);
        return false;
    } else if (f->opcode != WSCLIENT_OP_PONG) {
        lg.bad_frames++;
    }
    /* An acknowledgement may have sent more, and a failed write closed. */
    return c->fd >= 0;
}

/* Grows the input buffer to hold `need` bytes; a rare event, not per
 * message, once the buffer has met the largest frame of the run. */
static void lg_in_reserve(struct lg_conn *c, size_t need)
{
    if (need <= c->in_cap) {
        return;
    }
    uint8_t *grown = realloc(c->in, need);
    if (grown == NULL) {
        lg_die("out of memory");
    }
    c->in = grown;
    c->in_cap = need;
}

/* ---- what an MQTT broker sends (--proto mqtt) ------------------------- */

static void lg_mqtt_connect(struct lg_conn *c)
{
    char id[32];
    snprintf(id, sizeof(id), "lg%d-%u", (int)getpid(), c->idx);
    uint8_t buf[64];
    lg_queue_bytes(c, buf, mqtt_connect_write(buf, sizeof(buf), id, LG_MQTT_KEEPALIVE));
    c->state = ST_AUTH;
}

/* Subscribes at QoS 0, so the broker delivers at most at QoS 0 whatever the
 * publishers used, as kolabd pushes `message` without an acknowledgement. */
static void lg_mqtt_subscribe(struct lg_conn *c)
{
    uint8_t buf[64];
    lg_queue_bytes(c, buf,
                   mqtt_subscribe_write(buf, sizeof(buf), LG_MQTT_SUB_ID, LG_MQTT_TOPIC, 0));
    c->state = ST_JOIN;
}

static void lg_mqtt_refused(struct lg_conn *c, const char *what, uint8_t code)
{
    if (lg.errors++ < 5) {
        fprintf(stderr, "loadgen: %s on connection %u refused with code %u\n", what, c->idx, code);
    }
}

/* A delivery, whose body reads "t=<ns> <publisher>:<count> ": order is
 * checked per publisher, the only order MQTT promises. */
static void lg_mqtt_on_publish(struct lg_conn *c, const struct mqtt_packet *m, uint64_t now)
{
    if (m->qos != 0 || c->pub_next == NULL) {
        lg.bad_frames++;
        return;
    }
    const char *body = (const char *)m->payload;
    size_t i = lg_on_live(body, m->len, now) + 1;
    uint64_t k = lg_read_uint(body, m->len, &i);
    i++;
    uint64_t n = lg_read_uint(body, m->len, &i);
    if (k >= lg.o.publishers) {
        lg.bad_frames++;
        return;
    }
    if (n != c->pub_next[k]) {
        lg.order_errors++;
    }
    c->pub_next[k] = n + 1;
}

static void lg_mqtt_on_packet(struct lg_conn *c, const struct mqtt_packet *m, uint64_t now)
{
    if (m->type == MQTT_PUBLISH) {
        lg_mqtt_on_publish(c, m, now);
    } else if (m->type == MQTT_PUBACK) {
        /* Packet identifier 0 wraps to a slot past the window: a bad frame. */
        lg_on_ack(c, (uint64_t)m->id - 1, now);
    } else if (m->type == MQTT_CONNACK && c->state == ST_AUTH) {
        if (m->code != 0) {
            lg_mqtt_refused(c, "CONNECT", m->code);
        } else if (c->joins) {
            lg_mqtt_subscribe(c);
        } else {
            lg_on_ready(c, now);
        }
    } else if (m->type == MQTT_SUBACK && c->state == ST_JOIN) {
        if (m->code == MQTT_SUBACK_FAILURE || m->id != LG_MQTT_SUB_ID) {
            lg_mqtt_refused(c, "SUBSCRIBE", m->code);
        } else {
            lg_on_ready(c, now);
        }
    } else if (m->type != MQTT_PINGRESP) {
        lg.bad_frames++;
    }
}

/*
 * Takes the payloads of the complete WebSocket frames from *off on out of
 * their frames and appends them to the MQTT bytes at the start of the input,
 * which end at *mq; moves both past what it took. Sets *need to what the
 * incomplete frame at *off will need (0 while its header is not in). Returns
 * false when the connection is gone.
 */
static bool lg_mqtt_unwrap(struct lg_conn *c, size_t *off, size_t *mq, uint64_t *need, uint64_t now)
{
    for (;;) {
        struct wsclient_frame f;
        long n = wsclient_frame_read(c->in + *off, c->in_len - *off, &f, need);
        if (n < 0 || *need > LG_IN_MAX) {
            lg.bad_frames++;
            lg_conn_close(c, false);
            return false;
        }
        if (n == 0) {
            return true;
        }
        /* MQTT is a byte stream: a packet may span frames, and fragments of a
         * message join up just by following each other. */
        if (f.opcode == WSCLIENT_OP_BINARY || f.opcode == WSCLIENT_OP_CONT) {
            memmove(c->in + *mq, f.payload, f.len);
            *mq += f.len;
        } else if (!lg_on_frame(c, &f, now)) {
            return false;
        }
        *off += (size_t)n;
    }
}

/* Handles the complete MQTT packets in the first `mq` bytes of the input.
 * Returns how many bytes they took, or -1 when the connection is gone. */
static long lg_mqtt_packets(struct lg_conn *c, size_t mq, uint64_t now)
{
    size_t used = 0;
    for (;;) {
        struct mqtt_packet m;
        size_t need;
        long n = mqtt_packet_read(c->in + used, mq - used, &m, &need);
        if (n < 0 || need > LG_IN_MAX) {
            lg.bad_frames++;
            lg_conn_close(c, false);
            return -1;
        }
        if (n == 0) {
            return (long)used;
        }
        lg_mqtt_on_packet(c, &m, now);
        if (c->fd < 0) {
            return -1;
        }
        used += (size_t)n;
    }
}

/* Consumes what arrived after the upgrade (at `off`): the input is then the
 * rest of an MQTT packet, followed by the frames not yet complete. */
static void lg_mqtt_parse(struct lg_conn *c, size_t off, uint64_t now)
{
    size_t mq = c->mq_len;
    uint64_t need = 0;
    if (!lg_mqtt_unwrap(c, &off, &mq, &need, now)) {
        return;
    }
    long used = lg_mqtt_packets(c, mq, now);
    if (used < 0) {
        return;
    }
    size_t keep = mq - (size_t)used;
    size_t raw = c->in_len - off;
    memmove(c->in, c->in + used, keep);
    memmove(c->in + keep, c->in + off, raw);
    c->mq_len = keep;
    c->in_len = keep + raw;
    /* Room for the incomplete frame, or for a header when none has begun, so
     * the next read always has space even while a packet spans frames. */
    lg_in_reserve(c, keep + (need > 0 ? need : WSCLIENT_MAX_HEADER));
}

/* Consumes the complete frames at the start of the input buffer. */
static void lg_parse(struct lg_conn *c, uint64_t now)
{
    size_t off = c->mq_len;
    if (c->state == ST_UPGRADE) {
        long h = wsclient_handshake_done(c->in, c->in_len, lg_subprotocol());
        if (h <= 0) {
            if (h < 0) {
                lg.errors++;
                lg_conn_close(c, false);
            }
            return;
        }
        off = (size_t)h;
        if (lg.o.proto == LG_MQTT) {
            lg_mqtt_connect(c);
        } else {
            c->state = ST_HELLO;
        }
    }
    if (lg.o.proto == LG_MQTT) {
        lg_mqtt_parse(c, off, now);
        return;
    }
    for (;;) {
        struct wsclient_frame f;
        uint64_t need;
        long n = wsclient_frame_read(c->in + off, c->in_len - off, &f, &need);
        if (n < 0 || need > LG_IN_MAX) {
            lg.bad_frames++;
            lg_conn_close(c, false);
            return;
        }
        if (n == 0) {
            lg_in_reserve(c, need);
            break;
        }
        if (!lg_on_frame(c, &f, now)) {
            return;
        }
        off += (size_t)n;
    }
    memmove(c->in, c->in + off, c->in_len - off);
    c->in_len -= off;
}

static void lg_readable(struct lg_conn *c)
{
    for (int i = 0; i < 8 && c->fd >= 0; i++) {
        ssize_t n = read(c->fd, c->in + c->in_len, c->in_cap - c->in_len);
        if (n == 0 || (n < 0 && errno != EAGAIN)) {
            lg_conn_close(c, lg.closing);
            return;
        }
        if (n < 0) {
            break;
        }
        c->in_len += (size_t)n;
        lg_parse(c, lg_now());
    }
    if (c->fd >= 0) {
        lg_flush(c);
    }
}

/* One pass of the loop: waits up to 1 ms and serves what is ready. */
static void lg_poll(void)
{
    struct epoll_event evs[512];
    int n = epoll_wait(lg.ep, evs, 512, 1);
    for (int i = 0; i < n; i++) {
        struct lg_conn *c = evs[i].data.ptr;
        if (c->fd < 0) {
            continue;
        }
        if (c->state == ST_CONNECTING && (evs[i].events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
            lg_connected(c);
            continue;
        }
        if (evs[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
            lg_readable(c);
        }
        if (c->fd >= 0 && (evs[i].events & EPOLLOUT)) {
            lg_flush(c);
        }
    }
    lg_open_more();
}

/* ---- scenarios -------------------------------------------------------- */

static void lg_alloc_conns(void)
{
    uint32_t subs = lg.o.conns;
    uint32_t pubs =
        lg.o.scenario == LG_FANOUT || lg.o.scenario == LG_RESUME_STORM ? lg.o.publishers : 0;
    lg.nconns = subs + pubs;
    lg.conns = calloc(lg.nconns, sizeof(*lg.conns));
    if (lg.conns == NULL) {
        lg_die("out of memory");
    }
    uint32_t npub = lg.o.scenario == LG_PAIRS ? subs : pubs;
    for (uint32_t i = 0; i < lg.nconns; i++) {
        struct lg_conn *c = &lg.conns[i];
        bool pair = lg.o.scenario == LG_PAIRS;
        bool pub = pair || i >= subs;
        c->fd = -1;
        c->idx = i;
        c->joins = i < subs;
        c->room = pair ? lg.rooms[i / 2] : lg.rooms[0];
        /* In a pair, the even side is the rooms' creator (the last user). */
        c->user =
            pair ? (i % 2 == 0 ? lg.o.users - 1 : (i / 2) % (lg.o.users - 1)) : i % lg.o.users;
        c->in_cap = LG_IN_START;
        c->in = malloc(c->in_cap);
        c->out_cap = pub ? LG_PUB_OUT : LG_SUB_OUT;
        c->out = malloc(c->out_cap);
        if (c->in == NULL || c->out == NULL) {
            lg_die("out of memory");
        }
        if (c->joins && lg.o.proto == LG_MQTT) {
            c->pub_next = calloc(pubs, sizeof(uint64_t));
            if (c->pub_next == NULL) {
                lg_die("out of memory");
            }
        }
        if (pub && lg.o.scenario != LG_CONNECT_STORM) {
            uint32_t k = pair ? i : i - subs;
            c->pub = calloc(1, sizeof(*c->pub));
            c->pub->slot_t0 = calloc(lg.o.window, sizeof(uint64_t));
            c->pub->free = calloc(lg.o.window, sizeof(uint32_t));
            for (uint32_t s = 0; s < lg.o.window; s++) {
                c->pub->free[s] = lg.o.window - 1 - s;
            }
            c->pub->nfree = lg.o.window;
            c->pub->quota = lg.o.messages / npub + (k < lg.o.messages % npub ? 1 : 0);
        }
    }
}

/* Runs the loop until `done` holds; false when the deadline passes first, or
 * a request fails or the server closes a connection, since the run can then
 * never complete. */
static bool lg_until(bool (*done)(void), uint64_t deadline)
{
    while (!done()) {
        uint64_t now = lg_now();
        if (now > deadline || lg.errors != 0 || lg.unexpected_closes != 0) {
            return false;
        }
        lg_poll();
        if (lg.o.rate != 0 && lg.run_t0 != 0) {
            lg_pub_fill_all(lg_now());
        }
    }
    return true;
}

static bool lg_all_ready(void)
{
    return lg.ready == lg.nconns;
}

static uint64_t lg_expected(void)
{
    if (lg.o.scenario == LG_FANOUT) {
        return (uint64_t)lg.o.conns * lg.o.messages;
    }
    return lg.o.scenario == LG_PAIRS ? 2 * lg.o.messages : 0;
}

static bool lg_run_done(void)
{
    return lg.acked == lg.o.messages && lg.delivered >= lg_expected();
}

static bool lg_acked_all(void)
{
    return lg.acked == lg.o.messages;
}

static bool lg_resumed(void)
{
    return lg.ready == lg.nconns && lg.replayed >= (uint64_t)lg.o.conns * lg.o.messages;
}

/* Closes every subscriber and reopens them once the publisher has sent all. */
static bool lg_resume_storm(uint64_t deadline)
{
    lg.closing = true;
    for (uint32_t i = 0; i < lg.o.conns; i++) {
        lg_conn_close(&lg.conns[i], true);
    }
    lg.closing = false;
    lg.run_t0 = lg_now();
    lg_pub_fill_all(lg.run_t0);
    if (!lg_until(lg_acked_all, deadline)) {
        return false;
    }
    memset(&lg.setup, 0, sizeof(lg.setup));
    lg.next_open = 0;
    lg_open_more();
    return true;
}

/* ---- report ----------------------------------------------------------- */

struct lg_result {
    double connect_s;
    double run_s;
    struct lg_proc before;
    struct lg_proc idle_before;
    struct lg_proc after;
    double self_cpu_s;
    bool timed_out;
    /* Stopped at the first failed request or server-closed connection,
     * which the run cannot recover from. */
    bool stopped;
};

static const char *lg_scenario_name(void)
{
    static const char *const names[] = {"fanout", "pairs", "connect-storm", "resume-storm"};
    return names[lg.o.scenario];
}

static const char *lg_proto_name(void)
{
    return lg.o.proto == LG_MQTT ? "mqtt" : "kolab";
}

static double lg_rss_per_conn(const struct lg_result *r)
{
    if (lg.o.scenario != LG_CONNECT_STORM || lg.nconns == 0) {
        return 0;
    }
    return (double)(r->after.rss_kib - r->idle_before.rss_kib) / lg.nconns;
}

/* "N % of one core", or a note for a run shorter than the clock that counts
 * CPU time can tell apart (a few milliseconds). */
static const char *lg_cpu_share(char *buf, size_t cap, double cpu_s, double run_s)
{
    if (run_s < 0.05) {
        snprintf(buf, cap, "too short a run for a share");
    } else {
        snprintf(buf, cap, "%.0f %% of one core", 100 * cpu_s / run_s);
    }
    return buf;
}

static void lg_print_table(const struct lg_result *r, uint64_t lost)
{
    double rs = r->run_s > 0 ? r->run_s : 1e300;
    double server_cpu = r->after.cpu_s - r->before.cpu_s;
    printf("scenario              %s\n", lg_scenario_name());
    printf("protocol              %s\n", lg_proto_name());
    printf("connections           %u (%u publishing)\n", lg.nconns,
           lg.o.scenario == LG_PAIRS ? lg.o.conns : (lg.nconns - lg.o.conns));
    if (r->connect_s > 0) {
        printf("connect               %.3f s, %.0f conns/s, setup p50 %.2f ms p99 %.2f ms\n",
               r->connect_s, lg.nconns / r->connect_s, hist_quantile_ms(&lg.setup, 0.5),
               hist_quantile_ms(&lg.setup, 0.99));
    } else {
        printf("connect               %u of %u ready when the run ended\n", lg.ready, lg.nconns);
    }
    if (lg.o.scenario == LG_RESUME_STORM) {
        printf("resume                %u rejoined with since in %.3f s (setup above is per "
               "rejoin)\n",
               lg.o.conns, r->run_s);
    }
    printf("messages              %" PRIu64 " sent, %" PRIu64 " acked in %.3f s (%.0f /s)\n",
           lg.sent_total, lg.acked, r->run_s, lg.acked / rs);
    /* An unfinished run never sent part of what it counts as missing. */
    printf("deliveries            %" PRIu64 " live (%.0f /s), %" PRIu64 " replayed, %" PRIu64
           " %s\n",
           lg.delivered, lg.delivered / rs, lg.replayed, lost,
           r->timed_out || r->stopped ? "not delivered before the run ended" : "lost");
    printf("latency ms            p50 %.2f  p99 %.2f  p999 %.2f  max %.2f\n",
           hist_quantile_ms(&lg.lat, 0.5), hist_quantile_ms(&lg.lat, 0.99),
           hist_quantile_ms(&lg.lat, 0.999), lg.lat.max_us / 1000.0);
    printf("ack latency ms        p50 %.2f  p99 %.2f\n", hist_quantile_ms(&lg.ack, 0.5),
           hist_quantile_ms(&lg.ack, 0.99));
    char share[48];
    printf("server cpu            %.2f s in the run (%s)\n", server_cpu,
           lg_cpu_share(share, sizeof(share), server_cpu, r->run_s));
    printf("server memory         rss %ld KiB, peak %ld KiB", r->after.rss_kib, r->after.hwm_kib);
    if (lg.o.scenario == LG_CONNECT_STORM) {
        printf(", %.1f KiB per idle connection", lg_rss_per_conn(r));
    }
    printf("\n");
    printf("loadgen cpu           %.2f s in the run (%s)\n", r->self_cpu_s,
           lg_cpu_share(share, sizeof(share), r->self_cpu_s, r->run_s));
    printf("errors                %" PRIu64 " error replies, %" PRIu64 " out of order, %" PRIu64
           " closes, %" PRIu64 " bad frames%s\n",
           lg.errors, lg.order_errors, lg.unexpected_closes, lg.bad_frames,
           r->timed_out ? ", TIMED OUT"
           : r->stopped ? ", STOPPED AT THE FIRST FAILURE"
                        : "");
}

static void lg_print_json(const struct lg_result *r, uint64_t lost)
{
    double rs = r->run_s > 0 ? r->run_s : 1e300;
    printf("{\"scenario\":\"%s\",\"proto\":\"%s\",\"conns\":%u,\"publishers\":%u,"
           "\"messages\":%" PRIu64 ",\"window\":%u,\"rate\":%" PRIu64 ",\"body\":%u,"
           "\"connect_s\":%.3f,\"setup_ms\":{\"p50\":%.2f,\"p99\":%.2f},\"run_s\":%.3f,"
           "\"deliveries\":%" PRIu64 ",\"replayed\":%" PRIu64 ",\"lost\":%" PRIu64
           ",\"deliveries_per_s\":%.0f,\"acks_per_s\":%.0f,"
           "\"latency_ms\":{\"p50\":%.3f,\"p99\":%.3f,\"p999\":%.3f},"
           "\"ack_ms\":{\"p50\":%.3f,\"p99\":%.3f},"
           "\"server_cpu_s\":%.2f,\"server_rss_kib\":%ld,\"server_hwm_kib\":%ld,"
           "\"server_rss_per_conn_kib\":%.2f,\"loadgen_cpu_s\":%.2f,"
           "\"errors\":%" PRIu64 ",\"out_of_order\":%" PRIu64 ",\"closes\":%" PRIu64
           ",\"bad_frames\":%" PRIu64 ",\"timed_out\":%s,\"stopped\":%s}\n",
           lg_scenario_name(), lg_proto_name(), lg.o.conns,
           lg.o.scenario == LG_PAIRS ? lg.o.conns : lg.o.publishers, lg.o.messages, lg.o.window,
           lg.o.rate, lg.o.body, r->connect_s, hist_quantile_ms(&lg.setup, 0.5),
           hist_quantile_ms(&lg.setup, 0.99), r->run_s, lg.delivered, lg.replayed, lost,
           lg.delivered / rs, lg.acked / rs, hist_quantile_ms(&lg.lat, 0.5),
           hist_quantile_ms(&lg.lat, 0.99), hist_quantile_ms(&lg.lat, 0.999),
           hist_quantile_ms(&lg.ack, 0.5), hist_quantile_ms(&lg.ack, 0.99),
           r->after.cpu_s - r->before.cpu_s, r->after.rss_kib, r->after.hwm_kib, lg_rss_per_conn(r),
           r->self_cpu_s, lg.errors, lg.order_errors, lg.unexpected_closes, lg.bad_frames,
           r->timed_out ? "true" : "false", r->stopped ? "true" : "false");
}

/* ---- options ---------------------------------------------------------- */

static const char lg_synopsis[] =
    "usage: loadgen (--start [--kolabd PATH] | --url ws://ADDRESS:PORT/ws [--server-pid PID])\n"
    "               [--scenario fanout|pairs|connect-storm|resume-storm] [--conns N]\n"
    "               [--publishers P] [--messages M] [--rate R] [--window W] [--body B]\n"
    "               [--users U] [--concurrency C] [--sources S] [--timeout S] [--hold S]\n"
    "               [--proto kolab|mqtt]\n";

static const char lg_options[] =
    "  --start          start kolabd (--kolabd, default build/kolabd) on a free loopback port\n"
    "  --url            or drive a server already running at this IPv4 address; --server-pid\n"
    "                   lets loadgen read its CPU and memory from /proc\n"
    "  --scenario       fanout (default): one room, N subscribers, P publishers;\n"
    "                   pairs: N/2 rooms of two, everyone publishing; connect-storm: N\n"
    "                   connect, log in and join; resume-storm: N drop, M messages are sent,\n"
    "                   all rejoin with `since`\n"
    "  --conns          load connections (default 100)\n"
    "  --publishers     publishing connections in fanout (default 1)\n"
    "  --messages       messages sent in all (default 1000)\n"
    "  --rate           messages per second in all; 0 (default) is as fast as the window allows\n"
    "  --window         sends in flight per publisher (default 64)\n"
    "  --body           pads each message body to this many bytes, up to 3900 (default 0:\n"
    "                   the body holds only its send time, about 20 bytes)\n"
    "  --users          accounts the connections share (default 4)\n"
    "  --concurrency    connections opening at once (default 256)\n"
    "  --sources        127.0.0.x source addresses (default: one, more from 20,000 conns)\n"
    "  --timeout        seconds before the run gives up (default 120)\n"
    "  --hold           seconds connect-storm holds the connections (default 0)\n"
    "  --proto          kolab (default), or mqtt to drive an MQTT broker's WebSocket\n"
    "                   listener (with --url, fanout only)\n"
    "It prints a table, then one line of JSON, and exits non-zero when a message is lost or\n"
    "out of order or a request fails; never on a timing. A failed request, or a connection\n"
    "the server closes, stops the run.\n"
    "Against a server started by hand, raise its abuse limits (README.md) as --start does.\n";

static void lg_usage(void)
{
    fputs(lg_synopsis, stderr);
    fputs("       loadgen --help explains each option.\n", stderr);
    exit(2);
}

/* Says what was wrong with the command line, then shows the usage. */
static void lg_usage_error(const char *what, const char *value)
{
    fprintf(stderr, "loadgen: %s%s%s%s\n", what, value ? " \"" : "", value ? value : "",
            value ? "\"" : "");
    lg_usage();
}

static void lg_help(void)
{
    fputs(lg_synopsis, stdout);
    fputs(lg_options, stdout);
    exit(0);
}

static void lg_parse_url(const char *url)
{
    if (sscanf(url, "ws://%63[^:/]:%d%127s", lg.o.host, &lg.o.port, lg.o.path) < 2 ||
        lg.o.port < 1 || lg.o.port > 65535) {
        lg_usage_error("--url needs the form ws://ADDRESS:PORT/PATH, not", url);
    }
    if (lg.o.path[0] == '\0') {
        snprintf(lg.o.path, sizeof(lg.o.path), "/ws");
    }
    /* Every socket connects to this address as given: a host name would
     * otherwise quietly become 0.0.0.0, which is this machine. */
    struct in_addr addr;
    if (inet_pton(AF_INET, lg.o.host, &addr) != 1) {
        fprintf(stderr, "loadgen: --url needs an IPv4 address, such as ws://127.0.0.1:8080/ws\n");
        exit(2);
    }
}

static enum lg_scenario lg_parse_scenario(const char *s)
{
    static const char *const names[] = {"fanout", "pairs", "connect-storm", "resume-storm"};
    for (int i = 0; i < 4; i++) {
        if (strcmp(s, names[i]) == 0) {
            return (enum lg_scenario)i;
        }
    }
    lg_usage_error("--scenario is fanout, pairs, connect-storm or resume-storm, not", s);
    return LG_FANOUT;
}

static enum lg_proto lg_parse_proto(const char *s)
{
    if (strcmp(s, "kolab") == 0) {
        return LG_KOLAB;
    }
    if (strcmp(s, "mqtt") != 0) {
        lg_usage_error("--proto is kolab or mqtt, not", s);
    }
    return LG_MQTT;
}

/* A numeric option: the values it takes and the field of struct lg_opts it
 * sets, of the field's type. */
struct lg_numopt {
    const char *name;
    double min;
    double max;
    enum { LG_U32, LG_U64, LG_SECONDS, LG_PID } kind;
    size_t offset;
};

#define LG_OPT(name, min, max, kind, field)                                                        \
    {                                                                                              \
        name, min, max, kind, offsetof(struct lg_opts, field)                                      \
    }

static const struct lg_numopt lg_numopts[] = {
    LG_OPT("--conns", 1, 1000000, LG_U32, conns),
    LG_OPT("--publishers", 1, 100000, LG_U32, publishers),
    LG_OPT("--messages", 1, 1e12, LG_U64, messages),
    LG_OPT("--rate", 0, 1e9, LG_U64, rate),
    LG_OPT("--window", 1, (1u << LG_SEND_ID_SHIFT) - 1, LG_U32, window),
    LG_OPT("--body", 0, LG_MAX_BODY, LG_U32, body),
    LG_OPT("--users", 2, LG_MAX_USERS, LG_U32, users),
    LG_OPT("--concurrency", 1, 100000, LG_U32, concurrency),
    /* 127.0.0.2 up to 127.0.0.254. */
    LG_OPT("--sources", 0, 253, LG_U32, sources),
    LG_OPT("--timeout", 1, 86400, LG_SECONDS, timeout_s),
    LG_OPT("--hold", 0, 86400, LG_SECONDS, hold_s),
    LG_OPT("--server-pid", 1, 4194304, LG_PID, server_pid),
};

/* The value `v` of numeric option `opt`; exits with a usage error naming the
 * option and its range for anything else ("abc", "-1", "5x", "0" where at
 * least 1 is needed). */
static double lg_number(const struct lg_numopt *opt, const char *v)
{
    char *end = NULL;
    errno = 0;
    double n = strtod(v, &end);
    bool integral = opt->kind != LG_SECONDS;
    if (v[0] == '\0' || *end != '\0' || errno != 0 || !(n >= opt->min && n <= opt->max) ||
        (integral && n != (double)(uint64_t)n)) {
        fprintf(stderr, "loadgen: %s needs %s from %.0f to %.0f, not \"%s\"\n", opt->name,
                integral ? "a whole number" : "a number", opt->min, opt->max, v);
        exit(2);
    }
    return n;
}

static const struct lg_numopt *lg_numopt_find(const char *name)
{
    for (size_t k = 0; k < sizeof(lg_numopts) / sizeof(lg_numopts[0]); k++) {
        if (strcmp(name, lg_numopts[k].name) == 0) {
            return &lg_numopts[k];
        }
    }
    return NULL;
}

/* Sets numeric option `opt` to `v`, or exits with a usage error. */
static void lg_set_number(const struct lg_numopt *opt, const char *v)
{
    double n = lg_number(opt, v);
    char *field = (char *)&lg.o + opt->offset;
    if (opt->kind == LG_U32) {
        *(uint32_t *)field = (uint32_t)n;
    } else if (opt->kind == LG_U64) {
        *(uint64_t *)field = (uint64_t)n;
    } else if (opt->kind == LG_SECONDS) {
        *(double *)field = n;
    } else {
        *(pid_t *)field = (pid_t)n;
    }
}

static void lg_parse_args(int argc, char **argv)
{
    struct lg_opts *o = &lg.o;
    *o = (struct lg_opts){.conns = 100,
                          .publishers = 1,
                          .messages = 1000,
                          .window = 64,
                          .users = 4,
                          .concurrency = 256,
                          .timeout_s = 120,
                          .kolabd = "build/kolabd",
                          .path = "/ws"};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--start") == 0) {
            o->start = true;
            continue;
        }
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            lg_help();
        }
        if (strncmp(a, "--", 2) != 0) {
            lg_usage_error("not an option:", a);
        }
        const struct lg_numopt *num = lg_numopt_find(a);
        bool text = strcmp(a, "--scenario") == 0 || strcmp(a, "--proto") == 0 ||
                    strcmp(a, "--url") == 0 || strcmp(a, "--kolabd") == 0;
        if (num == NULL && !text) {
            lg_usage_error("unknown option", a);
        }
        if (v == NULL) {
            lg_usage_error("this option needs a value:", a);
        }
        i++;
        if (num != NULL) {
            lg_set_number(num, v);
        } else if (strcmp(a, "--scenario") == 0) {
            o->scenario = lg_parse_scenario(v);
        } else if (strcmp(a, "--proto") == 0) {
            o->proto = lg_parse_proto(v);
        } else if (strcmp(a, "--url") == 0) {
            lg_parse_url(v);
        } else {
            o->kolabd = v;
        }
    }
}

static void lg_check_args(void)
{
    struct lg_opts *o = &lg.o;
    if (o->start == (o->port != 0)) {
        lg_usage_error(o->start ? "give --start or --url, not both" : "give --start or --url",
                       NULL);
    }
    if (o->proto == LG_MQTT && (o->scenario != LG_FANOUT || o->start)) {
        lg_usage_error("--proto mqtt runs the fanout scenario against a broker started by the "
                       "caller (--url, not --start)",
                       NULL);
    }
    if (o->scenario == LG_PAIRS && o->conns % 2 != 0) {
        lg_die("pairs needs an even --conns");
    }
    if (o->scenario == LG_RESUME_STORM && o->messages > 1000) {
        lg_die("resume-storm replays at most 1000 messages (the server's replay cap)");
    }
    if (o->start && access(o->kolabd, X_OK) != 0) {
        fprintf(stderr,
                "loadgen: cannot run kolabd at %s: %s (scripts/setup builds it; --kolabd names "
                "another)\n",
                o->kolabd, strerror(errno));
        exit(2);
    }
    if (o->sources == 0) {
        o->sources = o->conns > LG_CONNS_PER_SRC ? o->conns / LG_CONNS_PER_SRC + 1 : 1;
    }
}

/* Raises the soft limit on open files to the hard one. */
static void lg_raise_nofile(void)
{
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    uint64_t want = (uint64_t)lg.o.conns + lg.o.publishers + 64;
    if (rl.rlim_cur < want) {
        fprintf(stderr, "loadgen: RLIMIT_NOFILE is %llu, %" PRIu64 " needed\n",
                (unsigned long long)rl.rlim_cur, want);
        exit(2);
    }
}

/* ---- main ------------------------------------------------------------- */

/* Runs the scenario from its first connection; false when it did not finish.
 * `t0` and `cpu0` are moved to where the measured part starts. */
static bool lg_run_scenario(struct lg_result *r, uint64_t *t0, double *cpu0, uint64_t deadline)
{
    lg_open_more();
    if (!lg_until(lg_all_ready, deadline)) {
        return false;
    }
    r->connect_s = (double)(lg_now() - *t0) / 1e9;
    if (lg.o.scenario != LG_CONNECT_STORM) {
        r->before = lg_proc_read(lg.o.server_pid);
        *cpu0 = lg_self_cpu();
        *t0 = lg_now();
    }
    if (lg.o.scenario == LG_FANOUT || lg.o.scenario == LG_PAIRS) {
        lg.run_t0 = *t0;
        lg_pub_fill_all(*t0);
        return lg_until(lg_run_done, deadline);
    }
    if (lg.o.scenario == LG_RESUME_STORM) {
        if (!lg_resume_storm(deadline)) {
            return false;
        }
        *t0 = lg_now();
        return lg_until(lg_resumed, deadline);
    }
    return true;
}

/* Runs the scenario and measures it, an unfinished run as far as it got. */
static void lg_run(struct lg_result *r)
{
    uint64_t deadline = lg_now() + (uint64_t)(lg.o.timeout_s * 1e9);
    r->idle_before = lg_proc_read(lg.o.server_pid);
    r->before = r->idle_before;
    uint64_t t0 = lg_now();
    double cpu0 = lg_self_cpu();
    bool finished = lg_run_scenario(r, &t0, &cpu0, deadline);
    r->run_s = (double)(lg_now() - t0) / 1e9;
    r->self_cpu_s = lg_self_cpu() - cpu0;
    r->stopped = !finished && (lg.errors != 0 || lg.unexpected_closes != 0);
    r->timed_out = !finished && !r->stopped;
    uint64_t hold_until = lg_now() + (uint64_t)(lg.o.hold_s * 1e9);
    while (finished && lg_now() < hold_until) {
        lg_poll();
    }
    r->after = lg_proc_read(lg.o.server_pid);
}

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    lg_parse_args(argc, argv);
    lg_check_args();
    lg_raise_nofile();
    lg.mask_state = (uint32_t)lg_now() | 1;
    if (lg.o.start) {
        lg_server_start();
    }
    lg_setup();
    lg_alloc_conns();
    lg.ep = epoll_create1(0);
    struct lg_result r = {0};
    lg_run(&r);
    uint64_t expected =
        lg.o.scenario == LG_RESUME_STORM ? (uint64_t)lg.o.conns * lg.o.messages : lg_expected();
    uint64_t got = lg.o.scenario == LG_RESUME_STORM ? lg.replayed : lg.delivered;
    uint64_t lost = expected > got ? expected - got : 0;
    lg_print_table(&r, lost);
    lg_print_json(&r, lost);
    bool failed = r.timed_out || lost != 0 || lg.errors != 0 || lg.order_errors != 0 ||
                  lg.unexpected_closes != 0 || lg.bad_frames != 0;
    lg_server_stop(failed);
    return failed ? 1 : 0;
}
