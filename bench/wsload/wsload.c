/*
 * wsload: WebSocket (WebTorrent tracker) load generator for bench/ws-load.js.
 *
 * One thread, one epoll loop, nonblocking sockets, libc only (Linux). It opens N connections,
 * upgrades each to a WebSocket and announces once; then, on `go W D` from stdin, the first A of
 * them announce back to back with K offers each (one announce in flight per connection) while
 * every connection keeps reading (the idle ones receive the forwarded offers). Progress goes to
 * stdout, one JSON object a line:
 *
 *   {"phase":"connected",...}   every connection got its first reply or failed
 *   {"phase":"measuring",...}   the W warm-up seconds are over, the D measured seconds start
 *   {"phase":"done",...}        the measured seconds are over; the connections stop announcing
 *
 * stdin takes one command a line, run in order: `go W D` (again after `done` for another run)
 * and `quit` (close everything, exit 0). End of stdin is a `quit` after the queued commands.
 *
 * Client frames are masked (RFC 6455 5.3) with a random key per connection. The frames a
 * connection sends again and again are built and masked once and then resent as they are.
 * A server text message containing "interval" is a reply, one containing "failure reason" a
 * failure (both answer the announce in flight), and one containing "offer": a received offer.
 *
 * On loopback the sender's send() delivers the data and wakes the receiver, so every reply a
 * tracker sends to a sleeping generator also pays for waking it up, a cost the tracker would not
 * have with clients on other machines. --spin polls epoll without sleeping during a run (the
 * generator then uses its whole core: generatorCpu is ~1, and generatorBusy, the share of the
 * measured time not spent in epoll_wait or in empty polls, tells whether it is the limit).
 *
 * cc -O2 -Wall -Wextra -o wsload wsload.c
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define TOOL_NAME "wsload"
#include "../c/bench-common.h"

#define MAX_INFLIGHT_CONNECTS 250    /* connects + handshakes + first announces at once */
#define HANDSHAKE_TIMEOUT_MS 30000   /* from connect() to the first reply */
#define MAX_HEAD 16384               /* HTTP response head */
#define MAX_MESSAGE (16u << 20)      /* server message, after reassembly */
#define READ_BUF (256 * 1024)
#define STDIN_KEY UINT64_MAX

/* Must stay the same string as SDP.sdp in bench/ws-load.js (bench/wsload/check.mjs checks). */
static const char SDP[] =
    "v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\n"
    "a=msid-semantic: WMS\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n"
    "c=IN IP4 0.0.0.0\r\na=candidate:1 1 udp 2113937151 127.0.0.1 54321 typ host\r\n"
    "a=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuvwx\r\na=ice-options:trickle\r\n"
    "a=fingerprint:sha-256 "
    "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:"
    "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF\r\n"
    "a=setup:actpass\r\na=mid:0\r\na=sctp-port:5000\r\na=max-message-size:262144\r\n";

/* ---------------------------------------------------------------- small helpers */

static void buf_puts(struct buf *b, const char *s) { buf_put(b, s, strlen(s)); }

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_s(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/* rng64() (bench-common.h) is seeded from --seed or getrandom(): ids, keys and masks. */
static void rng_bytes(uint8_t *out, size_t n) {
  while (n > 0) {
    uint64_t r = rng64();
    for (int i = 0; i < 8 && n > 0; i++, n--) {
      *out++ = (uint8_t)r;
      r >>= 8;
    }
  }
}

/*
 * A binary string as JSON.stringify writes it: every byte is one code point (0-255), escaped
 * the way JSON.stringify escapes (\" \\ \b \t \n \f \r, other controls as \u00xx) and encoded
 * in UTF-8, so bytes 0x80-0xff take two bytes.
 */
static void json_latin1(struct buf *b, const uint8_t *s, size_t n) {
  static const char hex[] = "0123456789abcdef";
  buf_reserve(b, n * 6 + 2);
  uint8_t *o = b->p + b->len;
  *o++ = '"';
  for (size_t i = 0; i < n; i++) {
    uint8_t c = s[i];
    if (c == '"' || c == '\\') {
      *o++ = '\\';
      *o++ = c;
    } else if (c < 0x20) {
      *o++ = '\\';
      switch (c) {
        case '\b': *o++ = 'b'; break;
        case '\t': *o++ = 't'; break;
        case '\n': *o++ = 'n'; break;
        case '\f': *o++ = 'f'; break;
        case '\r': *o++ = 'r'; break;
        default:
          *o++ = 'u';
          *o++ = '0';
          *o++ = '0';
          *o++ = hex[c >> 4];
          *o++ = hex[c & 15];
      }
    } else if (c < 0x80) {
      *o++ = c;
    } else {
      *o++ = (uint8_t)(0xc0 | (c >> 6));
      *o++ = (uint8_t)(0x80 | (c & 0x3f));
    }
  }
  *o++ = '"';
  b->len = (size_t)(o - b->p);
}

/* A client frame (FIN, `opcode`) of `payload`, masked with `mask`, appended to `out`. */
static void put_frame(struct buf *out, int opcode, const uint8_t *payload, size_t n,
                      const uint8_t mask[4]) {
  uint8_t head[14];
  size_t h = 0;
  head[h++] = (uint8_t)(0x80 | opcode);
  if (n < 126) {
    head[h++] = (uint8_t)(0x80 | n);
  } else if (n < 65536) {
    head[h++] = 0x80 | 126;
    head[h++] = (uint8_t)(n >> 8);
    head[h++] = (uint8_t)n;
  } else {
    head[h++] = 0x80 | 127;
    for (int i = 7; i >= 0; i--) head[h++] = (uint8_t)((uint64_t)n >> (8 * i));
  }
  memcpy(head + h, mask, 4);
  h += 4;
  buf_reserve(out, h + n);
  memcpy(out->p + out->len, head, h);
  uint8_t *o = out->p + out->len + h;
  for (size_t i = 0; i < n; i++) o[i] = payload[i] ^ mask[i & 3];
  out->len += h + n;
}

/* ---------------------------------------------------------------- options */

static struct {
  const char *host, *path;
  int port;
  long connections, swarms, active, offers;
  int seeded, trace, spin;
  uint64_t seed;
} opt = {.host = "127.0.0.1", .path = "/announce", .port = -1, .connections = -1,
         .swarms = -1, .active = -1, .offers = -1};

static void usage(FILE *f) {
  fputs("usage: wsload --port P [--host 127.0.0.1] [--path /announce] --connections N\n"
        "              --swarms S --active A --offers K [--seed X] [--spin] [--trace]\n"
        "  stdin: `go W D` (W s warm-up, D s measured), `quit`; stdout: one JSON line a phase\n"
        "  --spin polls epoll without sleeping during a run (see the header comment)\n"
        "  --trace prints each connection's info_hash and peer_id (hex) to stderr\n",
        f);
}

static long num_arg(const char *name, const char *v, long min, long max) {
  char *end;
  errno = 0;
  long x = strtol(v, &end, 10);
  if (errno || end == v || *end || x < min || x > max) {
    usage(stderr);
    die("%s: expected an integer in [%ld, %ld], got '%s'", name, min, max, v);
  }
  return x;
}

static void parse_args(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
      usage(stdout);
      exit(0);
    }
    if (!strcmp(a, "--trace")) {
      opt.trace = 1;
      continue;
    }
    if (!strcmp(a, "--spin")) {
      opt.spin = 1;
      continue;
    }
    if (i + 1 >= argc) {
      usage(stderr);
      die("%s: unknown option or missing value", a);
    }
    const char *v = argv[++i];
    if (!strcmp(a, "--port")) opt.port = (int)num_arg(a, v, 1, 65535);
    else if (!strcmp(a, "--host")) opt.host = v;
    else if (!strcmp(a, "--path")) opt.path = v;
    else if (!strcmp(a, "--connections")) opt.connections = num_arg(a, v, 1, 10000000);
    else if (!strcmp(a, "--swarms")) opt.swarms = num_arg(a, v, 1, 10000000);
    else if (!strcmp(a, "--active")) opt.active = num_arg(a, v, 0, LONG_MAX);
    else if (!strcmp(a, "--offers")) opt.offers = num_arg(a, v, 0, 10000);
    else if (!strcmp(a, "--seed")) {
      char *end;
      errno = 0;
      opt.seed = strtoull(v, &end, 0);
      if (errno || end == v || *end) die("--seed: expected an integer, got '%s'", v);
      opt.seeded = 1;
    } else {
      usage(stderr);
      die("unknown option %s", a);
    }
  }
  if (opt.port < 0 || opt.connections < 0 || opt.swarms < 0 || opt.active < 0 || opt.offers < 0) {
    usage(stderr);
    die("--port, --connections, --swarms, --active and --offers are required");
  }
  if (opt.path[0] != '/' || strpbrk(opt.path, " \r\n")) die("--path: expected /something");
  if (strpbrk(opt.host, " \r\n")) die("--host: bad host");
  if (opt.active > opt.connections) opt.active = opt.connections;
}

/* ---------------------------------------------------------------- connections */

enum { ST_IDLE, ST_CONNECTING, ST_HANDSHAKE, ST_FIRST, ST_OPEN, ST_CLOSED };

struct conn {
  int fd;
  uint8_t state;
  uint8_t held;     /* the first announce got a reply (not a failure) */
  uint8_t looping;  /* announces back to back */
  uint8_t inflight; /* a loop announce awaits its answer */
  uint8_t want_out; /* EPOLLOUT registered */
  uint8_t msg_op;   /* opcode of the fragmented message being reassembled, 0 if none */
  uint8_t mask[4];
  uint8_t peer_id[20];
  int64_t started_ms;
  struct buf out;   /* bytes not yet written */
  struct buf in;    /* bytes read but not yet parsed (head or partial frame) */
  struct buf msg;   /* fragments of the message being reassembled */
  struct buf loop;  /* the masked loop announce frame, built once */
};

static struct conn *conns;
static uint8_t *hashes; /* swarms * 20 bytes */
static struct addrinfo *target;
static int ep;
static char host_header[300];
static uint8_t rbuf[READ_BUF];

static struct {
  long started, completed, inflight_connects, failed;
  long replies, offers_in, failures, first_failures;
  char first_error[200];
} st;

static void record_error(long i, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void record_error(long i, const char *fmt, ...) {
  if (st.first_error[0]) return;
  va_list ap;
  va_start(ap, fmt);
  int n = snprintf(st.first_error, sizeof st.first_error, "connection %ld: ", i);
  vsnprintf(st.first_error + n, sizeof st.first_error - (size_t)n, fmt, ap);
  va_end(ap);
}

static void ep_set(struct conn *c, long i, int out) {
  struct epoll_event ev = {.events = EPOLLIN | (out ? EPOLLOUT : 0), .data.u64 = (uint64_t)i};
  if (epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev) < 0) die("epoll_ctl: %s", strerror(errno));
  c->want_out = (uint8_t)out;
}

/* The first announce or handshake is over for this connection (replied, failed or closed). */
static void connect_settled(void) {
  st.completed++;
  st.inflight_connects--;
}

static void close_conn(struct conn *c) {
  if (c->state == ST_CLOSED) return;
  if (c->state != ST_IDLE && c->state != ST_OPEN) { /* before the first answer: failed */
    st.failed++;
    connect_settled();
  }
  if (c->fd >= 0) close(c->fd);
  c->fd = -1;
  c->state = ST_CLOSED;
  c->looping = c->inflight = 0;
  buf_free(&c->out);
  buf_free(&c->in);
  buf_free(&c->msg);
  buf_free(&c->loop);
}

/* Writes what is queued; 0 when the connection failed (and was closed). */
static int flush_out(struct conn *c, long i) {
  while (buf_pending(&c->out) > 0) {
    ssize_t n = send(c->fd, c->out.p + c->out.off, buf_pending(&c->out), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      record_error(i, "send: %s", strerror(errno));
      close_conn(c);
      return 0;
    }
    buf_consume(&c->out, (size_t)n);
  }
  int out = buf_pending(&c->out) > 0;
  if (out != c->want_out) ep_set(c, i, out);
  return 1;
}

/* Sends `n` bytes, queueing what the socket does not take now. */
static int send_bytes(struct conn *c, long i, const uint8_t *p, size_t n) {
  if (buf_pending(&c->out) == 0) {
    for (;;) {
      ssize_t w = send(c->fd, p, n, MSG_NOSIGNAL);
      if (w < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) break;
        record_error(i, "send: %s", strerror(errno));
        close_conn(c);
        return 0;
      }
      p += w;
      n -= (size_t)w;
      if (n == 0) return 1;
    }
  }
  buf_put(&c->out, p, n);
  if (!c->want_out) ep_set(c, i, 1);
  return 1;
}

static void announce_head(struct buf *b, struct conn *c, long i) {
  buf_puts(b, "{\"action\":\"announce\",\"info_hash\":");
  json_latin1(b, hashes + (size_t)(i % opt.swarms) * 20, 20);
  buf_puts(b, ",\"peer_id\":");
  json_latin1(b, c->peer_id, 20);
}

static void build_loop_frame(struct conn *c, long i) {
  struct buf j = {0};
  char num[64];
  announce_head(&j, c, i);
  snprintf(num, sizeof num, ",\"left\":1000,\"numwant\":%ld,", opt.offers);
  buf_puts(&j, num);
  buf_puts(&j, "\"uploaded\":0,\"downloaded\":0,\"offers\":[");
  for (long k = 0; k < opt.offers; k++) {
    uint8_t oid[20];
    rng_bytes(oid, sizeof oid);
    if (k > 0) buf_puts(&j, ",");
    buf_puts(&j, "{\"offer\":{\"type\":\"offer\",\"sdp\":");
    json_latin1(&j, (const uint8_t *)SDP, sizeof SDP - 1);
    buf_puts(&j, "},\"offer_id\":");
    json_latin1(&j, oid, sizeof oid);
    buf_puts(&j, "}");
  }
  buf_puts(&j, "]}");
  put_frame(&c->loop, 0x1, j.p, j.len, c->mask);
  buf_free(&j);
}

static void send_first_announce(struct conn *c, long i) {
  struct buf j = {0}, f = {0};
  announce_head(&j, c, i);
  /* About 20 % seeders, as in ws-load.js's JS generator. */
  buf_puts(&j, rng64() % 5 == 0 ? ",\"event\":\"started\",\"left\":0"
                                : ",\"event\":\"started\",\"left\":1000");
  buf_puts(&j, ",\"numwant\":0,\"uploaded\":0,\"downloaded\":0,\"offers\":[]}");
  put_frame(&f, 0x1, j.p, j.len, c->mask);
  send_bytes(c, i, f.p, f.len);
  buf_free(&j);
  buf_free(&f);
}

static void send_loop(struct conn *c, long i) {
  c->inflight = 1;
  send_bytes(c, i, c->loop.p, c->loop.len);
}

static void start_conn(long i) {
  struct conn *c = &conns[i];
  c->started_ms = now_ms();
  st.started++;
  st.inflight_connects++;
  c->state = ST_CONNECTING;
  int fd = socket(target->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    record_error(i, "socket: %s", strerror(errno));
    close_conn(c);
    return;
  }
  c->fd = fd;
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  struct epoll_event ev = {.events = EPOLLOUT, .data.u64 = (uint64_t)i};
  if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) die("epoll_ctl: %s", strerror(errno));
  c->want_out = 1;
  if (connect(fd, target->ai_addr, target->ai_addrlen) < 0 && errno != EINPROGRESS) {
    record_error(i, "connect: %s", strerror(errno));
    close_conn(c);
  }
  /* Connected or not, EPOLLOUT reports it. */
}

static void connected(struct conn *c, long i) {
  int err = 0;
  socklen_t len = sizeof err;
  if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0) err = errno;
  if (err) {
    record_error(i, "connect: %s", strerror(err));
    close_conn(c);
    return;
  }
  uint8_t key[16];
  char key64[25];
  static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  rng_bytes(key, sizeof key);
  for (int k = 0, o = 0; k < 16; k += 3) {
    uint32_t v = (uint32_t)key[k] << 16;
    if (k + 1 < 16) v |= (uint32_t)key[k + 1] << 8;
    if (k + 2 < 16) v |= key[k + 2];
    key64[o++] = b64[(v >> 18) & 63];
    key64[o++] = b64[(v >> 12) & 63];
    key64[o++] = k + 1 < 16 ? b64[(v >> 6) & 63] : '=';
    key64[o++] = k + 2 < 16 ? b64[v & 63] : '=';
  }
  key64[24] = 0;
  char req[1024];
  int n = snprintf(req, sizeof req,
                   "GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                   "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n",
                   opt.path, host_header, key64);
  if (n < 0 || (size_t)n >= sizeof req) die("--path too long");
  c->state = ST_HANDSHAKE;
  /* Registered for EPOLLOUT alone while connecting: now reads, and writes if some is left. */
  if (send_bytes(c, i, (const uint8_t *)req, (size_t)n)) ep_set(c, i, buf_pending(&c->out) > 0);
}

/* A complete server message. */
static void on_message(struct conn *c, long i, int op, const uint8_t *p, size_t n) {
  if (op != 0x1) return;
  int reply = memmem(p, n, "\"interval\"", 10) != NULL;
  int failure = memmem(p, n, "\"failure reason\"", 16) != NULL;
  if (memmem(p, n, "\"offer\":", 8) != NULL) st.offers_in++;
  if (reply) st.replies++;
  if (failure) st.failures++;
  if (!reply && !failure) return;
  if (c->state == ST_FIRST) {
    c->state = ST_OPEN;
    c->held = (uint8_t)reply;
    if (!reply) st.first_failures++;
    connect_settled();
  } else if (c->inflight) {
    c->inflight = 0;
    if (c->looping) send_loop(c, i);
  }
}

static int protocol_error(struct conn *c, long i, const char *what) {
  record_error(i, "bad server frame: %s", what);
  close_conn(c);
  return 0;
}

/* One complete frame; 0 when the connection is closed. */
static int on_frame(struct conn *c, long i, uint8_t b0, const uint8_t *p, size_t n) {
  int fin = b0 & 0x80, op = b0 & 0x0f;
  if (op >= 0x8) { /* control frame */
    if (!fin || n > 125) return protocol_error(c, i, "fragmented or long control frame");
    if (op == 0x8) { /* close: echo it (best effort) and close */
      struct buf f = {0};
      put_frame(&f, 0x8, p, n >= 2 ? 2 : 0, c->mask);
      if (send(c->fd, f.p, f.len, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) { /* closing anyway */
      }
      buf_free(&f);
      close_conn(c);
      return 0;
    }
    if (op == 0x9) { /* ping: pong with the same payload */
      struct buf f = {0};
      put_frame(&f, 0xa, p, n, c->mask);
      int ok = send_bytes(c, i, f.p, f.len);
      buf_free(&f);
      return ok;
    }
    if (op == 0xa) return 1;
    return protocol_error(c, i, "unknown control opcode");
  }
  if (op == 0x0) {
    if (!c->msg_op) return protocol_error(c, i, "continuation without a message");
    if (buf_pending(&c->msg) + n > MAX_MESSAGE) return protocol_error(c, i, "message too large");
    buf_put(&c->msg, p, n);
    if (fin) {
      on_message(c, i, c->msg_op, c->msg.p + c->msg.off, buf_pending(&c->msg));
      c->msg_op = 0;
      buf_free(&c->msg);
    }
    return c->state != ST_CLOSED;
  }
  if (op != 0x1 && op != 0x2) return protocol_error(c, i, "unknown data opcode");
  if (c->msg_op) return protocol_error(c, i, "new message inside a fragmented one");
  if (fin) {
    on_message(c, i, op, p, n);
  } else {
    c->msg_op = (uint8_t)op;
    buf_put(&c->msg, p, n);
  }
  return c->state != ST_CLOSED;
}

/* Parses the complete frames at the start of p; returns the bytes used (the rest is partial). */
static size_t parse_frames(struct conn *c, long i, const uint8_t *p, size_t len) {
  size_t off = 0;
  while (c->state != ST_CLOSED && len - off >= 2) {
    const uint8_t *f = p + off;
    uint64_t n = f[1] & 0x7f;
    size_t h = 2;
    const char *bad = NULL;
    if (f[0] & 0x70) bad = "reserved bits set"; /* no extension was negotiated */
    else if (f[1] & 0x80) bad = "masked server frame";
    if (n == 126) {
      if (len - off < 4) break;
      n = (uint64_t)f[2] << 8 | f[3];
      h = 4;
    } else if (n == 127) {
      if (len - off < 10) break;
      n = 0;
      for (int k = 2; k < 10; k++) n = n << 8 | f[k];
      h = 10;
    }
    if (bad == NULL && n > MAX_MESSAGE) bad = "frame too large";
    if (bad != NULL) {
      protocol_error(c, i, bad);
      break;
    }
    if (len - off - h < n) break;
    if (!on_frame(c, i, f[0], f + h, (size_t)n)) return off;
    off += h + (size_t)n;
  }
  return off;
}

/* The HTTP response head in c->in; 1 when complete and 101 (the rest of c->in is frames). */
static int parse_head(struct conn *c, long i) {
  const uint8_t *p = c->in.p + c->in.off;
  size_t n = buf_pending(&c->in);
  const uint8_t *end = memmem(p, n, "\r\n\r\n", 4);
  if (end == NULL) {
    if (n > MAX_HEAD) {
      record_error(i, "response head too long");
      close_conn(c);
    }
    return 0;
  }
  /* Status line: HTTP/1.x 101 ... */
  const uint8_t *sp = memchr(p, ' ', (size_t)(end - p));
  if (n < 9 || memcmp(p, "HTTP/1.", 7) != 0 || sp == NULL || end - sp < 4 ||
      memcmp(sp + 1, "101", 3) != 0 || (sp[4] != ' ' && sp[4] != '\r')) {
    const uint8_t *eol = memmem(p, (size_t)(end - p) + 2, "\r\n", 2);
    record_error(i, "upgrade refused: %.*s", (int)(eol - p > 80 ? 80 : eol - p), (const char *)p);
    close_conn(c);
    return 0;
  }
  buf_consume(&c->in, (size_t)(end + 4 - p));
  c->state = ST_FIRST;
  send_first_announce(c, i);
  return c->state != ST_CLOSED;
}

static void on_readable(struct conn *c, long i) {
  ssize_t n;
  do n = recv(c->fd, rbuf, sizeof rbuf, 0);
  while (n < 0 && errno == EINTR);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
  if (n <= 0) {
    if (c->state != ST_OPEN) {
      if (n < 0) record_error(i, "recv: %s", strerror(errno));
      else record_error(i, "closed by the server");
    }
    close_conn(c);
    return;
  }
  if (c->state == ST_HANDSHAKE) {
    buf_put(&c->in, rbuf, (size_t)n);
    if (!parse_head(c, i)) return;
    size_t used = parse_frames(c, i, c->in.p + c->in.off, buf_pending(&c->in));
    if (c->state != ST_CLOSED) buf_consume(&c->in, used);
  } else if (buf_pending(&c->in) > 0) { /* finish the partial frame first */
    buf_put(&c->in, rbuf, (size_t)n);
    size_t used = parse_frames(c, i, c->in.p + c->in.off, buf_pending(&c->in));
    if (c->state != ST_CLOSED) buf_consume(&c->in, used);
  } else {
    size_t used = parse_frames(c, i, rbuf, (size_t)n);
    if (c->state != ST_CLOSED && used < (size_t)n) buf_put(&c->in, rbuf + used, (size_t)n - used);
  }
}

static void on_event(long i, uint32_t events) {
  struct conn *c = &conns[i];
  if (c->state == ST_CLOSED) return;
  if (c->state == ST_CONNECTING) {
    if (events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) connected(c, i);
    return;
  }
  if (events & EPOLLOUT) {
    if (!flush_out(c, i)) return;
  }
  if (events & (EPOLLIN | EPOLLERR | EPOLLHUP)) on_readable(c, i);
}

/* ---------------------------------------------------------------- phases and stdin */

enum { PH_CONNECTING, PH_READY, PH_RUNNING };
static int phase = PH_CONNECTING;
static double t_connect0;

struct cmd {
  int quit;
  double warm, secs;
};
static struct cmd cmdq[64];
static int cmd_head, cmd_tail;
static int stdin_eof;

static struct {
  double warm_end, end, t0, cpu0;
  long replies0, offers0, failures0;
  int measuring;
  double idle; /* seconds of the measured window spent waiting in epoll_wait */
} run;

static void out_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void out_line(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vprintf(fmt, ap);
  va_end(ap);
  putchar('\n');
  if (fflush(stdout) != 0) die("stdout: %s", strerror(errno));
}

static void stdin_line(char *line) {
  char *e = line + strlen(line);
  while (e > line && (e[-1] == '\r' || e[-1] == ' ' || e[-1] == '\t')) *--e = 0;
  while (*line == ' ' || *line == '\t') line++;
  if (*line == 0) return;
  struct cmd c = {0};
  char extra;
  if (!strcmp(line, "quit")) {
    c.quit = 1;
  } else if (sscanf(line, "go %lf %lf %c", &c.warm, &c.secs, &extra) == 2 && c.warm >= 0 &&
             c.secs > 0 && c.warm < 1e6 && c.secs < 1e6) {
  } else {
    fprintf(stderr, "wsload: ignored stdin line '%s' (expected `go W D` or `quit`)\n", line);
    return;
  }
  if ((cmd_tail + 1) % 64 == cmd_head) {
    fprintf(stderr, "wsload: too many queued commands, ignored '%s'\n", line);
    return;
  }
  cmdq[cmd_tail] = c;
  cmd_tail = (cmd_tail + 1) % 64;
}

static char sin_buf[4096];
static size_t sin_len;

/* Reads what stdin has (one read: epoll said it is readable, or it is a regular file). */
static void read_stdin(void) {
  ssize_t n;
  do n = read(0, sin_buf + sin_len, sizeof sin_buf - 1 - sin_len);
  while (n < 0 && errno == EINTR);
  if (n <= 0) {
    if (n < 0 && errno == EAGAIN) return;
    stdin_eof = 1;
    if (sin_len > 0) {
      sin_buf[sin_len] = 0;
      stdin_line(sin_buf);
      sin_len = 0;
    }
    epoll_ctl(ep, EPOLL_CTL_DEL, 0, NULL);
    return;
  }
  sin_len += (size_t)n;
  sin_buf[sin_len] = 0;
  char *s = sin_buf, *nl;
  while ((nl = strchr(s, '\n')) != NULL) {
    *nl = 0;
    stdin_line(s);
    s = nl + 1;
  }
  sin_len = (size_t)(sin_buf + sin_len - s);
  memmove(sin_buf, s, sin_len);
  if (sin_len == sizeof sin_buf - 1) sin_len = 0; /* an absurd line: drop it */
}

static void quit_now(void) {
  for (long i = 0; i < opt.connections; i++) close_conn(&conns[i]);
  exit(0);
}

static void start_go(const struct cmd *c) {
  long n = 0;
  for (long i = 0; i < opt.connections && n < opt.active; i++) {
    struct conn *k = &conns[i];
    if (k->state != ST_OPEN || !k->held) continue;
    n++;
    if (k->loop.len == 0) build_loop_frame(k, i);
    k->looping = 1;
    if (!k->inflight) send_loop(k, i);
  }
  double t = now_s();
  run.warm_end = t + c->warm;
  run.end = run.warm_end + c->secs;
  run.measuring = 0;
  phase = PH_RUNNING;
}

static void run_timers(void) {
  double t = now_s();
  if (phase != PH_RUNNING) return;
  if (!run.measuring && t >= run.warm_end) {
    run.measuring = 1;
    run.idle = 0;
    run.t0 = t;
    run.cpu0 = cpu_s();
    run.replies0 = st.replies;
    run.offers0 = st.offers_in;
    run.failures0 = st.failures;
    run.end = t + (run.end - run.warm_end);
    out_line("{\"phase\":\"measuring\"}");
  }
  if (run.measuring && t >= run.end) {
    double secs = t - run.t0, cpu = cpu_s() - run.cpu0;
    long replies = st.replies - run.replies0, offers = st.offers_in - run.offers0;
    long open = 0;
    for (long i = 0; i < opt.connections; i++) {
      conns[i].looping = 0;
      open += conns[i].state == ST_OPEN;
    }
    out_line("{\"phase\":\"done\",\"replies\":%ld,\"repliesPerSec\":%.0f,\"offersIn\":%ld,"
             "\"offersPerSec\":%.0f,\"failures\":%ld,\"seconds\":%.3f,\"stillOpen\":%ld,"
             "\"generatorCpu\":%.3f,\"generatorBusy\":%.3f}",
             replies, replies / secs, offers, offers / secs, st.failures - run.failures0, secs,
             open, cpu / secs, secs > run.idle ? 1 - run.idle / secs : 0);
    phase = PH_READY;
  }
}

static void connect_phase_over(void) {
  long held = 0;
  for (long i = 0; i < opt.connections; i++) held += conns[i].state == ST_OPEN && conns[i].held;
  if (held == 0) {
    die("no connection could be opened (%ld failed; first error: %s)", st.failed,
        st.first_error[0] ? st.first_error : "none");
  }
  if (st.failed > 0) {
    fprintf(stderr, "wsload: %ld connections failed; first: %s\n", st.failed, st.first_error);
  }
  out_line("{\"phase\":\"connected\",\"connections\":%ld,\"held\":%ld,\"failed\":%ld,"
           "\"failures\":%ld,\"connectSeconds\":%.2f}",
           opt.connections, held, st.failed, st.first_failures, now_s() - t_connect0);
  phase = PH_READY;
}

static void run_commands(void) {
  while (phase == PH_READY) {
    if (cmd_head != cmd_tail) {
      struct cmd c = cmdq[cmd_head];
      cmd_head = (cmd_head + 1) % 64;
      if (c.quit) quit_now();
      start_go(&c);
    } else {
      if (stdin_eof) quit_now();
      return;
    }
  }
}

static void check_handshake_timeouts(void) {
  int64_t t = now_ms();
  for (long i = 0; i < st.started; i++) {
    struct conn *c = &conns[i];
    int settling = c->state >= ST_CONNECTING && c->state <= ST_FIRST;
    if (settling && t - c->started_ms > HANDSHAKE_TIMEOUT_MS) {
      record_error(i, "no reply within %d s", HANDSHAKE_TIMEOUT_MS / 1000);
      close_conn(c);
    }
  }
}

/* ---------------------------------------------------------------- main */

static void raise_nofile(void) {
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
      (rlim_t)opt.connections + 16 > rl.rlim_cur) {
    fprintf(stderr, "wsload: open file limit %llu is below %ld connections; some will fail\n",
            (unsigned long long)rl.rlim_cur, opt.connections);
  }
}

int main(int argc, char **argv) {
  parse_args(argc, argv);
  signal(SIGPIPE, SIG_IGN);
  raise_nofile();

  if (opt.seeded) {
    rng_state = opt.seed;
  } else if (getrandom(&rng_state, sizeof rng_state, 0) != (ssize_t)sizeof rng_state) {
    rng_state = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
  }

  char port[16];
  snprintf(port, sizeof port, "%d", opt.port);
  struct addrinfo hints = {.ai_socktype = SOCK_STREAM};
  int gai = getaddrinfo(opt.host, port, &hints, &target);
  if (gai != 0) die("%s: %s", opt.host, gai_strerror(gai));
  if (strchr(opt.host, ':')) { /* an IPv6 literal */
    snprintf(host_header, sizeof host_header, "[%s]:%d", opt.host, opt.port);
  } else {
    snprintf(host_header, sizeof host_header, "%s:%d", opt.host, opt.port);
  }

  hashes = xrealloc(NULL, (size_t)opt.swarms * 20);
  rng_bytes(hashes, (size_t)opt.swarms * 20);
  conns = calloc((size_t)opt.connections, sizeof *conns);
  if (conns == NULL) die("out of memory");
  for (long i = 0; i < opt.connections; i++) {
    struct conn *c = &conns[i];
    c->fd = -1;
    rng_bytes(c->peer_id, sizeof c->peer_id);
    do rng_bytes(c->mask, sizeof c->mask);
    while (!(c->mask[0] | c->mask[1] | c->mask[2] | c->mask[3]));
    if (opt.trace) {
      fprintf(stderr, "wsload: trace %ld info_hash=", i);
      const uint8_t *ih = hashes + (size_t)(i % opt.swarms) * 20;
      for (int k = 0; k < 20; k++) fprintf(stderr, "%02x", ih[k]);
      fputs(" peer_id=", stderr);
      for (int k = 0; k < 20; k++) fprintf(stderr, "%02x", c->peer_id[k]);
      fputc('\n', stderr);
    }
  }

  ep = epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0) die("epoll_create1: %s", strerror(errno));
  struct epoll_event sev = {.events = EPOLLIN, .data.u64 = STDIN_KEY};
  if (epoll_ctl(ep, EPOLL_CTL_ADD, 0, &sev) < 0) {
    if (errno != EPERM) die("stdin: %s", strerror(errno));
    while (!stdin_eof) read_stdin(); /* a regular file or /dev/null: read it all now */
  }

  t_connect0 = now_s();
  int64_t next_timeout_check = now_ms() + 1000;
  static struct epoll_event evs[1024];
  double w0 = 0; /* when this loop turn (spinning) or epoll_wait (not) started */
  for (;;) {
    if (run.measuring && opt.spin) w0 = now_s();
    if (phase == PH_CONNECTING) {
      while (st.started < opt.connections && st.inflight_connects < MAX_INFLIGHT_CONNECTS)
        start_conn(st.started);
      if (st.completed == opt.connections) connect_phase_over();
    }
    run_commands();
    run_timers();

    int timeout = -1;
    if (phase == PH_CONNECTING) timeout = 1000;
    if (phase == PH_RUNNING) {
      double due = (run.measuring ? run.end : run.warm_end) - now_s();
      timeout = due <= 0 ? 0 : (int)(due * 1000) + 1;
    }
    int spin = opt.spin && phase == PH_RUNNING;
    if (!spin) w0 = now_s();
    int n = epoll_wait(ep, evs, 1024, spin ? 0 : timeout);
    /* Idle: asleep in epoll_wait, or (spinning) a whole loop turn whose poll found nothing. */
    if (run.measuring && (!spin || n == 0)) run.idle += now_s() - (w0 > run.t0 ? w0 : run.t0);
    if (n < 0) {
      if (errno == EINTR) continue;
      die("epoll_wait: %s", strerror(errno));
    }
    for (int k = 0; k < n; k++) {
      if (evs[k].data.u64 == STDIN_KEY) read_stdin();
      else on_event((long)evs[k].data.u64, evs[k].events);
    }
    if (phase == PH_CONNECTING && now_ms() >= next_timeout_check) {
      check_handshake_timeouts();
      next_timeout_check = now_ms() + 1000;
    }
  }
}
