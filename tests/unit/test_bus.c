/*
 * Unit tests of the bus against a real redis-server, which the test starts
 * as a child process on a free port and kills by pid: with SIGKILL where a
 * test wants Redis gone, and at the end. Where Redis must misbehave rather
 * than vanish, a plain listening socket stands in for it: one that never
 * answers, or one that resets its connections.
 *
 * Each "node" is one bus with callbacks that record what they see; two
 * nodes on one loop stand for two kolabd processes. Every wait runs the real
 * libuv loop under a deadline, so a broken bus fails a check, never hangs.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include "bus.h"
#include "check.h"

#define REDIS_SERVER "/usr/bin/redis-server"
/* The longest any expected event may take. */
#define WAIT_MS      5000
#define NODE_LOG_MAX 16

/* ---- the loop and bounded waits --------------------------------------------- */

static uv_loop_t loop;
static uv_timer_t deadline;
/* Wakes the loop now and then so conditions on the world outside the loop
 * (Redis's own counters, a listening socket) are looked at again. */
static uv_timer_t tick;
static bool expired;

static void on_deadline(uv_timer_t *t)
{
    expired = true;
}

static void on_tick(uv_timer_t *t)
{
}

static void loop_start(void)
{
    uv_loop_init(&loop);
    uv_timer_init(&loop, &deadline);
    uv_timer_init(&loop, &tick);
}

static void loop_stop(void)
{
    uv_close((uv_handle_t *)&deadline, NULL);
    uv_close((uv_handle_t *)&tick, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    /* Fails when the bus left a handle open. */
    CHECK_EQ_U(uv_loop_close(&loop), 0);
}

static void wait_begin(uint64_t ms)
{
    expired = false;
    uv_timer_start(&deadline, on_deadline, ms, 0);
    uv_timer_start(&tick, on_tick, 10, 10);
}

static bool wait_turn(void)
{
    uv_run(&loop, UV_RUN_ONCE);
    return !expired;
}

static void wait_end(void)
{
    uv_timer_stop(&deadline);
    uv_timer_stop(&tick);
}

/* Runs the loop until `cond` holds or `ms` milliseconds pass. */
#define WAIT_UNTIL(cond, ms)                                                                       \
    do {                                                                                           \
        wait_begin(ms);                                                                            \
        while (!(cond) && wait_turn()) {                                                           \
        }                                                                                          \
        wait_end();                                                                                \
    } while (0)

#define RUN_FOR(ms) WAIT_UNTIL(false, ms)

/* ---- redis-server as a child process ------------------------------------------ */

static pid_t redis_pid = -1;

static void redis_kill(void)
{
    if (redis_pid > 0) {
        kill(redis_pid, SIGKILL);
        waitpid(redis_pid, NULL, 0);
        redis_pid = -1;
    }
}

static int tcp_socket(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) {
        perror("socket");
        exit(1);
    }
    return fd;
}

static struct sockaddr_in loopback(int port)
{
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return sa;
}

/* A listening socket on a port the kernel picks; *port receives it. */
static int listener_open(int *port, int backlog)
{
    int fd = tcp_socket();
    struct sockaddr_in sa = loopback(0);
    socklen_t len = sizeof(sa);
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(fd, backlog) != 0 ||
        getsockname(fd, (struct sockaddr *)&sa, &len) != 0) {
        perror("listener");
        exit(1);
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    *port = ntohs(sa.sin_port);
    return fd;
}

static int free_port(void)
{
    int port;
    close(listener_open(&port, 1));
    return port;
}

/* Sends one inline command to Redis and reads its reply into `out`, with a
 * blocking socket of our own. False when Redis does not answer. */
static bool redis_command(int port, const char *cmd, char *out, size_t cap)
{
    int fd = tcp_socket();
    struct timeval tv = {.tv_sec = 1};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    struct sockaddr_in sa = loopback(port);
    bool ok = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
              write(fd, cmd, strlen(cmd)) == (ssize_t)strlen(cmd);
    ssize_t n = ok ? read(fd, out, cap - 1) : -1;
    close(fd);
    out[n > 0 ? n : 0] = '\0';
    return n > 0;
}

/* How many clients Redis counts on `channel`; -1 when it does not answer. */
static long redis_numsub(int port, const char *channel)
{
    char cmd[BUS_CHANNEL_MAX + 32];
    char reply[256];
    snprintf(cmd, sizeof(cmd), "PUBSUB NUMSUB %s\r\n", channel);
    if (!redis_command(port, cmd, reply, sizeof(reply))) {
        return -1;
    }
    /* *2 $len channel :count */
    const char *colon = strrchr(reply, ':');
    return colon != NULL ? strtol(colon + 1, NULL, 10) : -1;
}

static bool redis_ready(int port)
{
    char reply[64];
    return redis_command(port, "PING\r\n", reply, sizeof(reply)) && strncmp(reply, "+PONG", 5) == 0;
}

static void redis_start(int port)
{
    static bool registered;
    if (!registered) {
        registered = true;
        atexit(redis_kill);
    }
    char port_s[16];
    snprintf(port_s, sizeof(port_s), "%d", port);

    pid_t pid = fork();
    if (pid == 0) {
        /* Dies with the test, even when the test crashes. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        int devnull = open("/dev/null", O_WRONLY);
        dup2(devnull, STDOUT_FILENO);
        dup2(devnull, STDERR_FILENO);
        execl(REDIS_SERVER, REDIS_SERVER, "--port", port_s, "--bind", "127.0.0.1", "--save", "",
              "--appendonly", "no", (char *)NULL);
        _exit(127);
    }
    redis_pid = pid;

    for (int i = 0; i < 250 && !redis_ready(port); i++) {
        usleep(20 * 1000);
    }
    if (!redis_ready(port)) {
        fprintf(stderr, "%s did not start on port %d\n", REDIS_SERVER, port);
        redis_kill();
        exit(1);
    }
}

/* ---- nodes: one bus each, recording what it sees --------------------------------- */

struct received {
    char channel[BUS_CHANNEL_MAX + 1];
    uint8_t *data;
    size_t len;
};

struct node {
    struct bus *bus;
    int ups;
    int downs;
    size_t count;
    struct received log[NODE_LOG_MAX];
    /* Re-entrancy cases: the node closes its bus from inside a callback. */
    bool close_on_message;
    bool close_on_up;
    bool close_on_down;
};

static void node_on_message(void *ud, const char *channel, size_t channel_len,
                            const uint8_t *payload, size_t len)
{
    struct node *n = ud;
    CHECK(channel_len <= BUS_CHANNEL_MAX);
    CHECK(channel[channel_len] == '\0');
    if (n->count < NODE_LOG_MAX && channel_len <= BUS_CHANNEL_MAX) {
        struct received *r = &n->log[n->count];
        memcpy(r->channel, channel, channel_len + 1);
        r->data = malloc(len + 1);
        memcpy(r->data, payload, len);
        r->len = len;
    }
    n->count++;
    if (n->close_on_message) {
        bus_close(n->bus);
        n->bus = NULL;
    }
}

static void node_on_state(void *ud, bool up)
{
    struct node *n = ud;
    /* Calls alternate, starting with up. */
    if (up) {
        n->ups++;
        CHECK_EQ_U(n->ups, n->downs + 1);
    } else {
        n->downs++;
        CHECK_EQ_U(n->downs, n->ups);
    }
    if (up ? n->close_on_up : n->close_on_down) {
        bus_close(n->bus);
        n->bus = NULL;
    }
}

static const struct bus_callbacks node_callbacks = {node_on_message, node_on_state};

/* Short timings, so that failures and retries fit in a unit test. */
static struct bus_config quick_config(void)
{
    struct bus_config c = {
        .connect_timeout_ms = 1000,
        .ping_interval_ms = 100,
        .ping_deadline_ms = 600,
        .backoff_min_ms = 20,
        .backoff_max_ms = 200,
    };
    return c;
}

static void node_open_with(struct node *n, int port, struct bus_config cfg)
{
    char url[64];
    snprintf(url, sizeof(url), "redis://127.0.0.1:%d", port);
    cfg.url = url;
    memset(n, 0, sizeof(*n));
    CHECK_EQ_U(bus_open(&loop, &cfg, &node_callbacks, n, &n->bus), STATUS_OK);
    if (n->bus == NULL) {
        exit(1);
    }
}

static void node_open(struct node *n, int port)
{
    node_open_with(n, port, quick_config());
}

static void node_close(struct node *n)
{
    bus_close(n->bus);
    n->bus = NULL;
    for (size_t i = 0; i < n->count && i < NODE_LOG_MAX; i++) {
        free(n->log[i].data);
    }
}

static size_t count_on(const struct node *n, const char *channel)
{
    size_t c = 0;
    for (size_t i = 0; i < n->count && i < NODE_LOG_MAX; i++) {
        c += strcmp(n->log[i].channel, channel) == 0;
    }
    return c;
}

/* The last message received on `channel`, or NULL. */
static const struct received *last_on(const struct node *n, const char *channel)
{
    const struct received *found = NULL;
    for (size_t i = 0; i < n->count && i < NODE_LOG_MAX; i++) {
        if (strcmp(n->log[i].channel, channel) == 0) {
            found = &n->log[i];
        }
    }
    return found;
}

static bool received_bytes(const struct node *n, const char *channel, const void *data, size_t len)
{
    const struct received *r = last_on(n, channel);
    return r != NULL && r->len == len && memcmp(r->data, data, len) == 0;
}

static enum status publish_str(struct node *n, const char *channel, const char *text)
{
    return bus_publish(n->bus, channel, (const uint8_t *)text, strlen(text));
}

/* Accepts what is waiting on a listening socket, keeping up to `cap`
 * descriptors in `fds`; returns how many were accepted so far. */
static size_t accept_into(int lfd, int *fds, size_t *n, size_t cap)
{
    int fd;
    while ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
        if (*n < cap) {
            fds[(*n)++] = fd;
        } else {
            close(fd);
        }
    }
    return *n;
}

/* Appends what `fd` has ready to the text in `buf` (`cap` bytes). */
static void read_into(int fd, char *buf, size_t cap)
{
    size_t len = strlen(buf);
    ssize_t n = read(fd, buf + len, cap - 1 - len);
    if (n > 0) {
        buf[len + (size_t)n] = '\0';
    }
}

static void write_str(int fd, const char *s, size_t len)
{
    CHECK_EQ_U(write(fd, s, len), len);
}

/* A scripted stand-in for Redis: a listening socket and the bus's two
 * connections to it, told apart by what they send first. */
struct fake {
    int lfd;
    int fds[2];
    size_t n;
    char got[2][256];
    int pub;
    int sub;
};

static int fake_open(struct fake *f)
{
    int port;
    memset(f, 0, sizeof(*f));
    f->lfd = listener_open(&port, 8);
    return port;
}

/* Reads both connections; true once one sent PING and the other subscribed
 * to `channel` (as a RESP bulk string), in any of its SUBSCRIBE commands. */
static bool fake_greeted(struct fake *f, const char *channel)
{
    char want[BUS_CHANNEL_MAX + 16];
    snprintf(want, sizeof(want), "$%zu\r\n%s\r\n", strlen(channel), channel);
    for (size_t i = 0; i < f->n; i++) {
        read_into(f->fds[i], f->got[i], sizeof(f->got[i]));
    }
    for (int i = 0; i < 2 && f->n == 2; i++) {
        const char *other = f->got[1 - i];
        if (strstr(f->got[i], "PING") != NULL && strstr(other, "SUBSCRIBE") != NULL &&
            strstr(other, want) != NULL) {
            f->pub = f->fds[i];
            f->sub = f->fds[1 - i];
            return true;
        }
    }
    return false;
}

/* Accepts both connections and waits for the greetings: PING on one,
 * SUBSCRIBE for both channels on the other. */
static bool fake_accept(struct fake *f, const char *channel1, const char *channel2)
{
    WAIT_UNTIL(accept_into(f->lfd, f->fds, &f->n, 2) == 2 && fake_greeted(f, channel1) &&
                   fake_greeted(f, channel2),
               WAIT_MS);
    return fake_greeted(f, channel1) && fake_greeted(f, channel2);
}

static void fake_close(struct fake *f)
{
    for (size_t i = 0; i < f->n; i++) {
        close(f->fds[i]);
    }
    close(f->lfd);
}

/* ---- tests --------------------------------------------------------------------------- */

static void test_open_rejects_bad_urls(void)
{
    static const char *const bad[] = {
        NULL,
        "",
        "http://127.0.0.1:6379",
        "redis://",
        "redis://:6379",
        "redis://h:0",
        "redis://h:65536",
        "redis://h:12x",
        "redis://h:",
        "redis://u@h:1",
        "redis://h:1/0",
        "redis://[::1",
        "redis://h:+1",
    };
    loop_start();
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct bus_config cfg = {.url = bad[i]};
        static char sentinel;
        struct bus *b = (struct bus *)&sentinel;
        CHECK_EQ_U(bus_open(&loop, &cfg, &node_callbacks, NULL, &b), STATUS_BAD_REQUEST);
        CHECK(b == NULL);
    }

    /* Accepted forms start connecting; nothing listens there. */
    char url[64];
    snprintf(url, sizeof(url), "redis://[::1]:%d", free_port());
    struct node n;
    memset(&n, 0, sizeof(n));
    struct bus_config cfg = {.url = url};
    CHECK_EQ_U(bus_open(&loop, &cfg, &node_callbacks, &n, &n.bus), STATUS_OK);
    CHECK(!bus_up(n.bus));
    node_close(&n);
    loop_stop();
}

static void test_round_trip_between_nodes(void)
{
    int port = free_port();
    redis_start(port);
    loop_start();
    struct node a;
    struct node b;
    node_open(&a, port);
    node_open(&b, port);
    /* Subscribed before up: the bus reports up only once Redis has them. */
    CHECK_EQ_U(bus_subscribe(a.bus, "room:1"), STATUS_OK);
    CHECK_EQ_U(bus_subscribe(b.bus, "room:1"), STATUS_OK);
    WAIT_UNTIL(a.ups == 1 && b.ups == 1, WAIT_MS);
    CHECK(bus_up(a.bus) && bus_up(b.bus));

    /* 64 KiB with NUL bytes all through it cross unchanged, to the other
     * node and back to the sender's own subscription. */
    size_t len = 64 * 1024;
    uint8_t *payload = malloc(len);
    for (size_t i = 0; i < len; i++) {
        payload[i] = i % 5 == 0 ? 0 : (uint8_t)(i * 31 + 7);
    }
    CHECK_EQ_U(bus_publish(a.bus, "room:1", payload, len), STATUS_OK);
    WAIT_UNTIL(a.count == 1 && b.count == 1, WAIT_MS);
    CHECK(received_bytes(&b, "room:1", payload, len));
    CHECK(received_bytes(&a, "room:1", payload, len));
    free(payload);

    /* The other way, and an empty payload. */
    static const uint8_t small[] = {0, 'x', 0};
    CHECK_EQ_U(bus_publish(b.bus, "room:1", small, sizeof(small)), STATUS_OK);
    WAIT_UNTIL(a.count == 2, WAIT_MS);
    CHECK(received_bytes(&a, "room:1", small, sizeof(small)));
    CHECK_EQ_U(bus_publish(b.bus, "room:1", NULL, 0), STATUS_OK);
    WAIT_UNTIL(a.count == 3, WAIT_MS);
    CHECK(received_bytes(&a, "room:1", "", 0));

    node_close(&a);
    node_close(&b);
    loop_stop();
    redis_kill();
}

static void test_subscribe_unsubscribe(void)
{
    int port = free_port();
    redis_start(port);
    loop_start();
    struct node a;
    node_open(&a, port);
    WAIT_UNTIL(a.ups == 1, WAIT_MS);

    /* While up, a subscription goes straight to Redis; twice is once. */
    CHECK_EQ_U(bus_subscribe(a.bus, "x"), STATUS_OK);
    CHECK_EQ_U(bus_subscribe(a.bus, "x"), STATUS_OK);
    CHECK_EQ_U(bus_subscribe(a.bus, "y"), STATUS_OK);
    WAIT_UNTIL(redis_numsub(port, "x") == 1 && redis_numsub(port, "y") == 1, WAIT_MS);
    CHECK_EQ_U(redis_numsub(port, "x"), 1);
    CHECK_EQ_U(publish_str(&a, "x", "one"), STATUS_OK);
    WAIT_UNTIL(a.count == 1, WAIT_MS);
    CHECK(received_bytes(&a, "x", "one", 3));

    /* Once unsubscribed, nothing more on x, even what Redis may already
     * have been sending; y, published after, shows the loop went round. */
    bus_unsubscribe(a.bus, "x");
    bus_unsubscribe(a.bus, "x");
    bus_unsubscribe(a.bus, "never");
    CHECK_EQ_U(publish_str(&a, "x", "two"), STATUS_OK);
    CHECK_EQ_U(publish_str(&a, "y", "marker"), STATUS_OK);
    WAIT_UNTIL(count_on(&a, "y") == 1, WAIT_MS);
    CHECK_EQ_U(count_on(&a, "y"), 1);
    CHECK_EQ_U(count_on(&a, "x"), 1);
    WAIT_UNTIL(redis_numsub(port, "x") == 0, WAIT_MS);
    CHECK_EQ_U(redis_numsub(port, "x"), 0);
    CHECK_EQ_U(redis_numsub(port, "y"), 1);

    node_close(&a);
    loop_stop();
    redis_kill();
}

static void test_rejects_bad_arguments(void)
{
    int port = free_port();
    redis_start(port);
    loop_start();
    struct node a;
    node_open(&a, port);
    WAIT_UNTIL(a.ups == 1, WAIT_MS);

    char name[BUS_CHANNEL_MAX + 2];
    memset(name, 'c', sizeof(name) - 1);
    name[BUS_CHANNEL_MAX + 1] = '\0';
    CHECK_EQ_U(bus_subscribe(a.bus, name), STATUS_BAD_REQUEST);
    CHECK_EQ_U(bus_subscribe(a.bus, ""), STATUS_BAD_REQUEST);
    CHECK_EQ_U(publish_str(&a, name, "x"), STATUS_BAD_REQUEST);
    CHECK_EQ_U(publish_str(&a, "", "x"), STATUS_BAD_REQUEST);
    name[BUS_CHANNEL_MAX] = '\0';
    CHECK_EQ_U(bus_subscribe(a.bus, name), STATUS_OK);
    /* The length is refused before the payload is read. */
    static const uint8_t one = 1;
    CHECK_EQ_U(bus_publish(a.bus, "x", &one, (size_t)BUS_PAYLOAD_MAX + 1), STATUS_TOO_LARGE);

    node_close(&a);
    loop_stop();
    redis_kill();
}

static void test_redis_killed_and_restarted(void)
{
    int port = free_port();
    redis_start(port);
    loop_start();
    struct node a;
    struct node b;
    struct node c;
    node_open(&a, port);
    node_open(&b, port);
    node_open(&c, port);
    c.close_on_down = true;
    bus_subscribe(a.bus, "room");
    bus_subscribe(b.bus, "room");
    WAIT_UNTIL(a.ups == 1 && b.ups == 1 && c.ups == 1, WAIT_MS);

    redis_kill();
    WAIT_UNTIL(a.downs == 1 && b.downs == 1 && c.bus == NULL, 3000);
    CHECK_EQ_U(a.downs, 1);
    CHECK_EQ_U(b.downs, 1);
    CHECK(c.bus == NULL);
    CHECK(!bus_up(a.bus));
    CHECK_EQ_U(publish_str(&a, "room", "lost"), STATUS_UNAVAILABLE);
    /* Made while down, so only the resubscription can carry it. */
    CHECK_EQ_U(bus_subscribe(b.bus, "late"), STATUS_OK);
    RUN_FOR(300);
    CHECK_EQ_U(a.ups, 1);
    CHECK_EQ_U(a.downs, 1);

    /* Up again means resubscribed: one publish each must arrive. */
    redis_start(port);
    WAIT_UNTIL(a.ups == 2 && b.ups == 2, WAIT_MS);
    CHECK(bus_up(a.bus) && bus_up(b.bus));
    CHECK_EQ_U(publish_str(&a, "room", "again"), STATUS_OK);
    CHECK_EQ_U(publish_str(&a, "late", "new"), STATUS_OK);
    /* a hears its own publish too, on its own connection: wait for both. */
    WAIT_UNTIL(b.count == 2 && count_on(&a, "room") == 1, WAIT_MS);
    CHECK(received_bytes(&b, "room", "again", 5));
    CHECK(received_bytes(&b, "late", "new", 3));
    CHECK_EQ_U(count_on(&a, "room"), 1);

    node_close(&a);
    node_close(&b);
    node_close(&c);
    loop_stop();
    redis_kill();
}

static void test_refused_then_up(void)
{
    int port = free_port();
    loop_start();
    /* A refused connect must be noticed from the socket itself: waiting
     * for this timeout would not bring the bus up in time. */
    struct bus_config cfg = quick_config();
    cfg.connect_timeout_ms = 20000;
    struct node a;
    node_open_with(&a, port, cfg);
    bus_subscribe(a.bus, "room");
    RUN_FOR(500);
    CHECK_EQ_U(a.ups, 0);
    CHECK_EQ_U(a.downs, 0);
    CHECK(!bus_up(a.bus));

    redis_start(port);
    WAIT_UNTIL(a.ups == 1, 3000);
    CHECK_EQ_U(a.ups, 1);
    CHECK_EQ_U(publish_str(&a, "room", "hello"), STATUS_OK);
    WAIT_UNTIL(a.count == 1, WAIT_MS);
    CHECK(received_bytes(&a, "room", "hello", 5));

    node_close(&a);
    loop_stop();
    redis_kill();
}

/* A server that resets its connections: the adapter must hand the poll
 * error to hiredis (the adapter shipped with hiredis drops it, and the bus
 * would wait for its long timeouts). The bus reconnecting at once shows it. */
static void test_reset_is_reported(void)
{
    int port;
    int lfd = listener_open(&port, 64);
    loop_start();
    struct bus_config cfg = quick_config();
    cfg.connect_timeout_ms = 20000;
    cfg.ping_deadline_ms = 20000;
    struct node a;
    node_open_with(&a, port, cfg);

    int fds[16];
    size_t n = 0;
    WAIT_UNTIL(accept_into(lfd, fds, &n, 16) >= 2, WAIT_MS);
    CHECK_EQ_U(n, 2);
    /* Give the bus time to see both connections established. */
    RUN_FOR(100);
    for (size_t i = 0; i < n; i++) {
        struct linger abort_close = {.l_onoff = 1, .l_linger = 0};
        setsockopt(fds[i], SOL_SOCKET, SO_LINGER, &abort_close, sizeof(abort_close));
        close(fds[i]);
    }
    size_t reset = n;
    WAIT_UNTIL(accept_into(lfd, fds, &n, 16) >= reset + 2, 2000);
    CHECK(n >= reset + 2);
    CHECK_EQ_U(a.ups, 0);

    node_close(&a);
    loop_stop();
    for (size_t i = reset; i < n; i++) {
        close(fds[i]);
    }
    close(lfd);
}

/* A server that accepts connections and never answers: without the connect
 * timeout, hiredis 0.14 would wait on the first two connections forever.
 * (The ping deadline would end it too, so it is set out of reach here.) A
 * connect that hangs before TCP completes meets the same timer. */
static void test_connect_timeout(void)
{
    int port;
    int lfd = listener_open(&port, 64);
    loop_start();
    struct bus_config cfg = quick_config();
    cfg.connect_timeout_ms = 300;
    cfg.ping_deadline_ms = 20000;
    cfg.backoff_max_ms = 100;
    struct node a;
    node_open_with(&a, port, cfg);
    RUN_FOR(1500);
    CHECK_EQ_U(a.ups, 0);
    CHECK(!bus_up(a.bus));

    int fds[64];
    size_t n = 0;
    accept_into(lfd, fds, &n, 64);
    CHECK(n >= 4);

    node_close(&a);
    loop_stop();
    for (size_t i = 0; i < n; i++) {
        close(fds[i]);
    }
    close(lfd);
}

/* The bus is up only once Redis confirmed the subscriptions, and delivers
 * only channels of its set. A scripted server controls the order exactly. */
static void test_up_waits_for_subscriptions(void)
{
    struct fake f;
    int port = fake_open(&f);
    loop_start();
    struct bus_config cfg = quick_config();
    cfg.connect_timeout_ms = 20000;
    cfg.ping_deadline_ms = 20000;
    struct node a;
    node_open_with(&a, port, cfg);
    bus_subscribe(a.bus, "room");
    bus_subscribe(a.bus, "gone");
    bool greeted = fake_accept(&f, "room", "gone");
    CHECK(greeted);
    if (!greeted) {
        /* Replies on the wrong connection would trip an assert in hiredis. */
        goto done;
    }

    static const char pong[] = "+PONG\r\n";
    static const char room_ok[] = "*3\r\n$9\r\nsubscribe\r\n$4\r\nroom\r\n:1\r\n";
    static const char gone_ok[] = "*3\r\n$9\r\nsubscribe\r\n$4\r\ngone\r\n:2\r\n";
    write_str(f.pub, pong, sizeof(pong) - 1);
    write_str(f.sub, room_ok, sizeof(room_ok) - 1);
    RUN_FOR(200);
    CHECK_EQ_U(a.ups, 0);
    write_str(f.sub, gone_ok, sizeof(gone_ok) - 1);
    WAIT_UNTIL(a.ups == 1, WAIT_MS);
    CHECK_EQ_U(a.ups, 1);

    /* Redis may still send for a channel just dropped, or any other. */
    bus_unsubscribe(a.bus, "gone");
    static const char msgs[] = "*3\r\n$7\r\nmessage\r\n$4\r\ngone\r\n$1\r\ng\r\n"
                               "*3\r\n$7\r\nmessage\r\n$5\r\nother\r\n$1\r\no\r\n"
                               "*3\r\n$7\r\nmessage\r\n$4\r\nroom\r\n$3\r\na\0b\r\n";
    write_str(f.sub, msgs, sizeof(msgs) - 1);
    WAIT_UNTIL(a.count == 1, WAIT_MS);
    RUN_FOR(50);
    CHECK_EQ_U(a.count, 1);
    CHECK(received_bytes(&a, "room", "a\0b", 3));

done:
    node_close(&a);
    loop_stop();
    fake_close(&f);
}

/* A Redis that stops answering while its connections stay open. */
static void test_ping_deadline(void)
{
    int port = free_port();
    redis_start(port);
    loop_start();
    struct node a;
    node_open(&a, port);
    bus_subscribe(a.bus, "room");
    WAIT_UNTIL(a.ups == 1, WAIT_MS);

    kill(redis_pid, SIGSTOP);
    WAIT_UNTIL(a.downs == 1, 3000);
    CHECK_EQ_U(a.downs, 1);
    CHECK_EQ_U(publish_str(&a, "room", "lost"), STATUS_UNAVAILABLE);

    kill(redis_pid, SIGCONT);
    WAIT_UNTIL(a.ups == 2, WAIT_MS);
    CHECK_EQ_U(a.ups, 2);
    CHECK_EQ_U(publish_str(&a, "room", "back"), STATUS_OK);
    WAIT_UNTIL(a.count == 1, WAIT_MS);
    CHECK(received_bytes(&a, "room", "back", 4));

    node_close(&a);
    loop_stop();
    redis_kill();
}

/* A loop blocked for longer than the ping deadline is busy, not a sign of
 * a dead Redis: the replies are waiting on the socket. */
static void test_busy_loop_is_not_dead(void)
{
    int port = free_port();
    redis_start(port);
    loop_start();
    struct node a;
    node_open(&a, port);
    WAIT_UNTIL(a.ups == 1, WAIT_MS);
    RUN_FOR(150);

    for (int i = 0; i < 2; i++) {
        usleep(1200 * 1000);
        RUN_FOR(250);
    }
    CHECK_EQ_U(a.downs, 0);
    CHECK(bus_up(a.bus));

    node_close(&a);
    loop_stop();
    redis_kill();
}

static void test_close_inside_callback(void)
{
    int port = free_port();
    redis_start(port);
    loop_start();
    struct node a;
    node_open(&a, port);
    a.close_on_message = true;
    bus_subscribe(a.bus, "room");
    WAIT_UNTIL(a.ups == 1, WAIT_MS);
    /* Two messages in one read: the second must not reach a closed bus. */
    CHECK_EQ_U(publish_str(&a, "room", "first"), STATUS_OK);
    CHECK_EQ_U(publish_str(&a, "room", "second"), STATUS_OK);
    WAIT_UNTIL(a.bus == NULL, WAIT_MS);
    CHECK(a.bus == NULL);
    RUN_FOR(100);
    CHECK_EQ_U(a.count, 1);

    /* on_state(true) comes from inside a hiredis reply callback. */
    struct node b;
    node_open(&b, port);
    b.close_on_up = true;
    bus_subscribe(b.bus, "room");
    WAIT_UNTIL(b.bus == NULL, WAIT_MS);
    CHECK(b.bus == NULL);
    RUN_FOR(50);

    node_close(&a);
    node_close(&b);
    loop_stop();
    redis_kill();
}

TEST_MAIN(TEST_CASE(test_open_rejects_bad_urls), TEST_CASE(test_round_trip_between_nodes),
          TEST_CASE(test_subscribe_unsubscribe), TEST_CASE(test_rejects_bad_arguments),
          TEST_CASE(test_redis_killed_and_restarted), TEST_CASE(test_refused_then_up),
          TEST_CASE(test_reset_is_reported), TEST_CASE(test_connect_timeout),
          TEST_CASE(test_up_waits_for_subscriptions), TEST_CASE(test_ping_deadline),
          TEST_CASE(test_busy_loop_is_not_dead), TEST_CASE(test_close_inside_callback))
