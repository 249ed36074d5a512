/*
 * wsfloor: the cheapest WebSocket (WebTorrent) tracker that still does the essential work of
 * bench/ws-load.js's load, to measure a floor for what any tracker can reach on a machine.
 *
 *   wsfloor --port P [--host 127.0.0.1]      (port 0: ephemeral; prints {"port":N} when listening)
 *   wsfloor --self-test                      (SHA-1 and Sec-WebSocket-Accept test vectors)
 *
 * One thread, one level-triggered epoll loop, nonblocking sockets, libc only (Linux). What it
 * does per connection and message, and no more:
 *
 *   - upgrade: reads the HTTP request head, answers 101 with Sec-WebSocket-Accept (SHA-1 of the
 *     key and the RFC 6455 GUID, base64; SHA-1 written here from FIPS 180-4);
 *   - frames: parses client frames (7/16/64-bit lengths; they must be masked), unmasks the
 *     payload, handles frames split across reads, several per read and fragmented messages;
 *     answers pings with pongs and close frames with a close frame, then closes;
 *   - per text message, one pass over its quotes (no JSON parser): the raw JSON bytes of the
 *     "info_hash" and "peer_id" string values, whether "left" is 0, "event":"stopped", and the
 *     spans of the "offer" values and "offer_id" values. The info hash's raw bytes key the swarm
 *     (so the same hash written with different escapes would be two swarms); the connection
 *     joins it on its first announce (one swarm per connection: announcing another hash moves
 *     it). Every text message with an info_hash counts as an announce (no action check, answers
 *     are not forwarded, numwant is ignored);
 *   - reply: one text frame {"action":"announce","interval":120,"info_hash":...,"complete":C,
 *     "incomplete":I}; then the k-th offer (k < number of "offer_id", at most swarm size - 1) goes
 *     to a distinct random other member of the swarm as one text frame
 *     {"action":"announce","offer":<the k-th offer value, copied>,"offer_id":...,"peer_id":...,
 *     "info_hash":...}, the message a real tracker forwards.
 *
 * Every message is one send(2) (frame head and payload built contiguously), as the Node
 * trackers do; what a socket does not take is queued and written on EPOLLOUT.
 *
 * cc -O2 -Wall -Wextra -o wsfloor wsfloor.c
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
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

#define TOOL_NAME "wsfloor"
#include "../c/bench-common.h"

#define READ_BUF (256 * 1024)
#define MAX_HEAD 8192                /* HTTP request head */
#define MAX_MESSAGE (1u << 20)       /* client message, after reassembly */
#define MAX_QUEUED (64u << 20)       /* bytes queued for one slow connection before closing it */
#define MAX_HASH_JSON 256            /* raw JSON bytes of an info_hash value (20 x \u00xx: 120) */
#define MAX_OFFERS 256               /* offers forwarded per announce */

/* ---------------------------------------------------------------- small helpers */

#define buf_lit(b, s) buf_put((b), (s), sizeof(s) - 1)

static void buf_uint(struct buf *b, uint32_t v) {
  char t[10];
  int n = 0;
  do t[n++] = (char)('0' + v % 10);
  while ((v /= 10) != 0);
  buf_reserve(b, (size_t)n);
  while (n > 0) b->p[b->len++] = (uint8_t)t[--n];
}

/* rng64() (bench-common.h) is seeded from getrandom(): it picks the offers' recipients. */
/* Uniform enough in [0, n) for n far below 2^32. */
static uint32_t rng_below(uint32_t n) { return (uint32_t)(((rng64() >> 32) * n) >> 32); }

/* ---------------------------------------------------------------- SHA-1 (FIPS 180-4) and base64 */

static uint32_t rol32(uint32_t x, int n) { return x << n | x >> (32 - n); }

static void sha1_block(uint32_t h[5], const uint8_t *m) {
  uint32_t w[80];
  for (int t = 0; t < 16; t++)
    w[t] = (uint32_t)m[4 * t] << 24 | (uint32_t)m[4 * t + 1] << 16 | (uint32_t)m[4 * t + 2] << 8 |
           m[4 * t + 3];
  for (int t = 16; t < 80; t++) w[t] = rol32(w[t - 3] ^ w[t - 8] ^ w[t - 14] ^ w[t - 16], 1);
  uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
  for (int t = 0; t < 80; t++) {
    uint32_t f, k;
    if (t < 20) f = (b & c) | (~b & d), k = 0x5a827999;
    else if (t < 40) f = b ^ c ^ d, k = 0x6ed9eba1;
    else if (t < 60) f = (b & c) | (b & d) | (c & d), k = 0x8f1bbcdc;
    else f = b ^ c ^ d, k = 0xca62c1d6;
    uint32_t x = rol32(a, 5) + f + e + k + w[t];
    e = d;
    d = c;
    c = rol32(b, 30);
    b = a;
    a = x;
  }
  h[0] += a, h[1] += b, h[2] += c, h[3] += d, h[4] += e;
}

static void sha1(const uint8_t *p, size_t n, uint8_t out[20]) {
  uint32_t h[5] = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0};
  size_t i = 0;
  for (; n - i >= 64; i += 64) sha1_block(h, p + i);
  uint8_t last[128] = {0};
  size_t r = n - i;
  memcpy(last, p + i, r);
  last[r] = 0x80;
  size_t total = r + 1 + 8 <= 64 ? 64 : 128;
  uint64_t bits = (uint64_t)n * 8;
  for (int k = 0; k < 8; k++) last[total - 1 - k] = (uint8_t)(bits >> (8 * k));
  sha1_block(h, last);
  if (total == 128) sha1_block(h, last + 64);
  for (int k = 0; k < 5; k++) {
    out[4 * k] = (uint8_t)(h[k] >> 24);
    out[4 * k + 1] = (uint8_t)(h[k] >> 16);
    out[4 * k + 2] = (uint8_t)(h[k] >> 8);
    out[4 * k + 3] = (uint8_t)h[k];
  }
}

/* base64 of n bytes into out (4 * ceil(n / 3) chars and a NUL). */
static void base64(const uint8_t *p, size_t n, char *out) {
  static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (size_t i = 0; i < n; i += 3) {
    uint32_t v = (uint32_t)p[i] << 16;
    if (i + 1 < n) v |= (uint32_t)p[i + 1] << 8;
    if (i + 2 < n) v |= p[i + 2];
    *out++ = b64[(v >> 18) & 63];
    *out++ = b64[(v >> 12) & 63];
    *out++ = i + 1 < n ? b64[(v >> 6) & 63] : '=';
    *out++ = i + 2 < n ? b64[v & 63] : '=';
  }
  *out = 0;
}

/* Sec-WebSocket-Accept for a Sec-WebSocket-Key (RFC 6455 4.2.2): 28 chars and a NUL. */
static void ws_accept(const char *key, size_t n, char out[29]) {
  static const char guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
  uint8_t in[256 + sizeof guid], d[20];
  if (n > 256) n = 256;
  memcpy(in, key, n);
  memcpy(in + n, guid, sizeof guid - 1);
  sha1(in, n + sizeof guid - 1, d);
  base64(d, 20, out);
}

static int self_test(void) {
  static const struct {
    const char *in, *hex;
  } v[] = {
      {"", "da39a3ee5e6b4b0d3255bfef95601890afd80709"},
      {"abc", "a9993e364706816aba3e25717850c26c9cd0d89d"},
      {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
       "84983e441c3bd26ebaae4aa1f95129e5e54670f1"},
      {"The quick brown fox jumps over the lazy dog", "2fd4e1c67a2d28fced849ee1bb76e7391b93eb12"},
  };
  int bad = 0;
  for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
    uint8_t d[20];
    char hex[41];
    sha1((const uint8_t *)v[i].in, strlen(v[i].in), d);
    for (int k = 0; k < 20; k++) snprintf(hex + 2 * k, 3, "%02x", d[k]);
    if (strcmp(hex, v[i].hex)) fprintf(stderr, "sha1(\"%s\") = %s, want %s\n", v[i].in, hex, v[i].hex), bad++;
  }
  /* A million 'a' (FIPS 180 test vector), in one call. */
  uint8_t *m = xrealloc(NULL, 1000000), d[20];
  char hex[41];
  memset(m, 'a', 1000000);
  sha1(m, 1000000, d);
  free(m);
  for (int k = 0; k < 20; k++) snprintf(hex + 2 * k, 3, "%02x", d[k]);
  if (strcmp(hex, "34aa973cd4c4daa4f61eeb2bdbad27316534016f")) fprintf(stderr, "sha1(1M a) = %s\n", hex), bad++;
  char acc[29];
  ws_accept("dGhlIHNhbXBsZSBub25jZQ==", 24, acc); /* RFC 6455 1.3 */
  if (strcmp(acc, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")) fprintf(stderr, "accept = %s\n", acc), bad++;
  puts(bad ? "self-test: FAILED" : "self-test: ok");
  return bad ? 1 : 0;
}

/* ---------------------------------------------------------------- swarms */

struct swarm {
  uint8_t *key; /* raw JSON bytes of the info_hash string value, without the quotes */
  uint32_t keylen, hash;
  int *members; /* fds, dense */
  uint32_t n, cap, seeders;
};

static struct swarm **table; /* open addressing, power-of-two size, never shrinks */
static uint32_t table_cap, table_n;

static uint32_t fnv1a(const uint8_t *p, size_t n) {
  uint32_t h = 2166136261u;
  for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 16777619u;
  return h;
}

static struct swarm *swarm_get(const uint8_t *key, size_t n) {
  uint32_t h = fnv1a(key, n);
  if (table_n * 2 >= table_cap) {
    uint32_t cap = table_cap ? table_cap * 2 : 1024;
    struct swarm **t = calloc(cap, sizeof *t);
    if (t == NULL) die("out of memory");
    for (uint32_t i = 0; i < table_cap; i++) {
      struct swarm *s = table[i];
      if (s == NULL) continue;
      uint32_t j = s->hash & (cap - 1);
      while (t[j] != NULL) j = (j + 1) & (cap - 1);
      t[j] = s;
    }
    free(table);
    table = t;
    table_cap = cap;
  }
  uint32_t j = h & (table_cap - 1);
  for (struct swarm *s; (s = table[j]) != NULL; j = (j + 1) & (table_cap - 1)) {
    if (s->hash == h && s->keylen == n && memcmp(s->key, key, n) == 0) return s;
  }
  struct swarm *s = calloc(1, sizeof *s);
  if (s == NULL) die("out of memory");
  s->key = xrealloc(NULL, n ? n : 1);
  memcpy(s->key, key, n);
  s->keylen = (uint32_t)n;
  s->hash = h;
  table[j] = s;
  table_n++;
  return s;
}

/* ---------------------------------------------------------------- connections */

enum { ST_FREE, ST_HANDSHAKE, ST_OPEN };

struct conn {
  uint8_t state;
  uint8_t want_out; /* EPOLLOUT registered */
  uint8_t msg_op;   /* opcode of the fragmented message being reassembled, 0 if none */
  uint8_t seeder;
  uint32_t pos;     /* index in sw->members */
  struct swarm *sw; /* NULL until the first announce */
  struct buf in;    /* head or partial frame */
  struct buf out;   /* bytes the socket did not take yet */
  struct buf msg;   /* fragments of the message being reassembled */
};

static struct conn *conns; /* by fd */
static int max_fds;
static int ep, lfd;
static uint8_t rbuf[READ_BUF];
static struct buf frame; /* scratch: one outgoing frame */

static void swarm_remove(struct conn *c) {
  struct swarm *s = c->sw;
  if (s == NULL) return;
  int last = s->members[--s->n];
  if (c->pos != s->n) {
    s->members[c->pos] = last;
    conns[last].pos = c->pos;
  }
  if (c->seeder) s->seeders--;
  c->sw = NULL;
}

static void swarm_add(struct conn *c, int fd, struct swarm *s, int seeder) {
  if (s->n == s->cap) {
    s->cap = s->cap ? s->cap * 2 : 8;
    s->members = xrealloc(s->members, s->cap * sizeof *s->members);
  }
  c->pos = s->n;
  s->members[s->n++] = fd;
  c->sw = s;
  c->seeder = (uint8_t)seeder;
  s->seeders += (uint32_t)seeder;
}

static void close_conn(int fd) {
  struct conn *c = &conns[fd];
  if (c->state == ST_FREE) return;
  swarm_remove(c);
  close(fd); /* also leaves the epoll set */
  buf_free(&c->in);
  buf_free(&c->out);
  buf_free(&c->msg);
  memset(c, 0, sizeof *c);
}

static void ep_set(struct conn *c, int fd, int out) {
  struct epoll_event ev = {.events = EPOLLIN | (out ? EPOLLOUT : 0), .data.fd = fd};
  if (epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev) < 0) die("epoll_ctl: %s", strerror(errno));
  c->want_out = (uint8_t)out;
}

/* One send(2) of p (queued behind what is pending); 0 when the connection was closed. */
static int send_bytes(int fd, const uint8_t *p, size_t n) {
  struct conn *c = &conns[fd];
  if (buf_pending(&c->out) == 0) {
    ssize_t w;
    do w = send(fd, p, n, MSG_NOSIGNAL);
    while (w < 0 && errno == EINTR);
    if (w < 0) {
      if (errno != EAGAIN && errno != EWOULDBLOCK) {
        close_conn(fd);
        return 0;
      }
      w = 0;
    }
    p += w;
    n -= (size_t)w;
    if (n == 0) return 1;
  }
  if (buf_pending(&c->out) + n > MAX_QUEUED) { /* not reading: drop it */
    close_conn(fd);
    return 0;
  }
  buf_put(&c->out, p, n);
  if (!c->want_out) ep_set(c, fd, 1);
  return 1;
}

static void flush_out(int fd) {
  struct conn *c = &conns[fd];
  while (buf_pending(&c->out) > 0) {
    ssize_t w = send(fd, c->out.p + c->out.off, buf_pending(&c->out), MSG_NOSIGNAL);
    if (w < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      close_conn(fd);
      return;
    }
    buf_consume(&c->out, (size_t)w);
  }
  if (buf_pending(&c->out) == 0) {
    buf_free(&c->out); /* idle connections hold no buffer */
    if (c->want_out) ep_set(c, fd, 0);
  }
}

/* Starts a frame in `frame`: the payload goes from offset 10; frame_send writes the head. */
static void frame_start(void) {
  frame.off = 0;
  frame.len = 10;
  buf_reserve(&frame, 1024);
}

static int frame_send(int fd, int opcode) {
  size_t n = frame.len - 10, h = n < 126 ? 2 : n < 65536 ? 4 : 10;
  uint8_t *f = frame.p + 10 - h;
  f[0] = (uint8_t)(0x80 | opcode);
  if (h == 2) {
    f[1] = (uint8_t)n;
  } else if (h == 4) {
    f[1] = 126;
    f[2] = (uint8_t)(n >> 8);
    f[3] = (uint8_t)n;
  } else {
    f[1] = 127;
    for (int i = 0; i < 8; i++) f[2 + i] = (uint8_t)((uint64_t)n >> (8 * (7 - i)));
  }
  return send_bytes(fd, f, h + n);
}

/* ---------------------------------------------------------------- the announce */

/* The closing quote of a JSON string whose content starts at p (not escaped), or NULL. */
static const uint8_t *str_end(const uint8_t *p, const uint8_t *end) {
  for (;;) {
    const uint8_t *q = memchr(p, '"', (size_t)(end - p));
    if (q == NULL) return NULL;
    const uint8_t *b = q;
    while (b > p && b[-1] == '\\') b--;
    if (((q - b) & 1) == 0) return q;
    p = q + 1;
  }
}

/* The end (exclusive) of the JSON value starting at p: strings, objects and arrays matched
 * (strings skipped with their escapes), anything else up to , } ] or whitespace; NULL if cut. */
static const uint8_t *value_end(const uint8_t *p, const uint8_t *end) {
  if (p >= end) return NULL;
  if (*p == '"') {
    const uint8_t *q = str_end(p + 1, end);
    return q ? q + 1 : NULL;
  }
  if (*p == '{' || *p == '[') {
    int depth = 0;
    for (const uint8_t *s = p; s < end; s++) {
      uint8_t ch = *s;
      if (ch == '"') {
        s = str_end(s + 1, end);
        if (s == NULL) return NULL;
      } else if (ch == '{' || ch == '[') {
        depth++;
      } else if (ch == '}' || ch == ']') {
        if (--depth == 0) return s + 1;
      }
    }
    return NULL;
  }
  const uint8_t *s = p;
  while (s < end && *s != ',' && *s != '}' && *s != ']' && *s != ' ' && *s != '\n') s++;
  return s;
}

static const uint8_t *skip_ws(const uint8_t *p, const uint8_t *end) {
  while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')) p++;
  return p;
}

struct span {
  const uint8_t *p;
  size_t n;
};

struct scan {
  struct span info_hash, peer_id; /* string contents, without quotes */
  int left0, stopped;
  uint32_t offers, offer_ids;
  struct span offer[MAX_OFFERS], offer_id[MAX_OFFERS]; /* whole values */
};

/*
 * One pass over the message's quotes. In valid JSON, a quote not preceded by a backslash that
 * is followed by `info_hash":` (say) can only open that key, at any depth; string values of
 * interest are skipped whole, offer values too (so keys inside them are not seen).
 */
static void scan_message(const uint8_t *p, size_t n, struct scan *m) {
  const uint8_t *end = p + n;
  m->info_hash.p = m->peer_id.p = NULL;
  m->left0 = m->stopped = 0;
  m->offers = m->offer_ids = 0;
#define AT(lit) ((size_t)(end - q) >= sizeof(lit) - 1 && memcmp(q, lit, sizeof(lit) - 1) == 0)
  for (const uint8_t *q = memchr(p, '"', n); q != NULL && q + 1 < end;
       q = memchr(q + 1, '"', (size_t)(end - q - 1))) {
    if (q > p && q[-1] == '\\') continue;
    struct span *str = NULL;
    const uint8_t *v;
    switch (q[1]) {
      case 'i':
        if (AT("\"info_hash\":")) str = &m->info_hash, v = q + 12;
        break;
      case 'p':
        if (AT("\"peer_id\":")) str = &m->peer_id, v = q + 10;
        break;
      case 'l':
        if (AT("\"left\":")) {
          v = skip_ws(q + 7, end);
          m->left0 = v < end && *v == '0' && (v + 1 == end || v[1] < '0' || v[1] > '9') &&
                     (v + 1 == end || v[1] != '.');
          q = v - 1;
        }
        break;
      case 'e':
        if (AT("\"event\":\"stopped\"")) m->stopped = 1;
        break;
      case 'o':
        if (AT("\"offer\":") || AT("\"offer_id\":")) {
          int id = q[6] == '_';
          v = skip_ws(q + (id ? 11 : 8), end);
          const uint8_t *e = value_end(v, end);
          if (e == NULL) return;
          uint32_t *k = id ? &m->offer_ids : &m->offers;
          if (*k < MAX_OFFERS) (id ? m->offer_id : m->offer)[*k] = (struct span){v, (size_t)(e - v)};
          ++*k;
          q = e - 1;
        }
        break;
    }
    if (str != NULL) { /* a string value: its raw bytes */
      v = skip_ws(v, end);
      if (v >= end || *v != '"') continue;
      const uint8_t *e = str_end(v + 1, end);
      if (e == NULL) return;
      if (str->p == NULL) *str = (struct span){v + 1, (size_t)(e - v - 1)};
      q = e;
    }
  }
#undef AT
}

static struct scan sc;

static void put_string(struct span s) {
  buf_lit(&frame, "\"");
  buf_put(&frame, s.p, s.n);
  buf_lit(&frame, "\"");
}

static void on_announce(int fd, const uint8_t *p, size_t n) {
  struct conn *c = &conns[fd];
  scan_message(p, n, &sc);
  if (sc.info_hash.p == NULL || sc.info_hash.n > MAX_HASH_JSON) {
    frame_start();
    buf_lit(&frame, "{\"failure reason\":\"invalid info_hash\"}");
    frame_send(fd, 0x1);
    return;
  }
  struct swarm *s = c->sw;
  if (s == NULL || s->keylen != sc.info_hash.n || memcmp(s->key, sc.info_hash.p, s->keylen)) {
    s = swarm_get(sc.info_hash.p, sc.info_hash.n);
    swarm_remove(c);
    swarm_add(c, fd, s, sc.left0);
  } else if (c->seeder != sc.left0) {
    s->seeders += sc.left0 ? 1u : -1u;
    c->seeder = (uint8_t)sc.left0;
  }
  if (sc.stopped) swarm_remove(c);

  frame_start();
  buf_lit(&frame, "{\"action\":\"announce\",\"interval\":" "120" ",\"info_hash\":");
  put_string(sc.info_hash);
  buf_lit(&frame, ",\"complete\":");
  buf_uint(&frame, s->seeders);
  buf_lit(&frame, ",\"incomplete\":");
  buf_uint(&frame, s->n - s->seeders);
  buf_lit(&frame, "}");
  if (!frame_send(fd, 0x1) || sc.stopped) return;

  /* The offers: to k distinct random other members (Floyd's sampling over the others). */
  uint32_t others = s->n - 1, k = sc.offer_ids;
  if (k > MAX_OFFERS) k = MAX_OFFERS;
  if (k > others) k = others;
  static int to[MAX_OFFERS];
  static uint32_t pick[MAX_OFFERS];
  for (uint32_t j = others - k, i = 0; j < others; j++, i++) {
    uint32_t t = rng_below(j + 1), x;
    for (x = 0; x < i && pick[x] != t; x++) {
    }
    pick[i] = x < i ? j : t;
  }
  for (uint32_t i = 0; i < k; i++) to[i] = s->members[pick[i] < c->pos ? pick[i] : pick[i] + 1];
  for (uint32_t i = 0; i < k; i++) {
    if (conns[to[i]].state != ST_OPEN) continue; /* closed by an earlier send error */
    frame_start();
    buf_lit(&frame, "{\"action\":\"announce\",\"offer\":");
    if (i < sc.offers) buf_put(&frame, sc.offer[i].p, sc.offer[i].n);
    else buf_lit(&frame, "{}");
    buf_lit(&frame, ",\"offer_id\":");
    buf_put(&frame, sc.offer_id[i].p, sc.offer_id[i].n);
    if (sc.peer_id.p != NULL) {
      buf_lit(&frame, ",\"peer_id\":");
      put_string(sc.peer_id);
    }
    buf_lit(&frame, ",\"info_hash\":");
    put_string(sc.info_hash);
    buf_lit(&frame, "}");
    frame_send(to[i], 0x1);
  }
}

/* ---------------------------------------------------------------- frames */

static void unmask(uint8_t *p, size_t n, const uint8_t key[4]) {
  uint32_t k32;
  memcpy(&k32, key, 4);
  uint64_t k64 = (uint64_t)k32 << 32 | k32;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t x;
    memcpy(&x, p + i, 8);
    x ^= k64;
    memcpy(p + i, &x, 8);
  }
  for (; i < n; i++) p[i] ^= key[i & 3];
}

/* One complete, unmasked frame; 0 when the connection is closed. */
static int on_frame(int fd, uint8_t b0, const uint8_t *p, size_t n) {
  struct conn *c = &conns[fd];
  int fin = b0 & 0x80, op = b0 & 0x0f;
  if (op >= 0x8) {
    if (!fin || n > 125) goto bad;
    if (op == 0x8) { /* close: answer with the status code, then close */
      frame_start();
      buf_put(&frame, p, n >= 2 ? 2 : 0);
      frame_send(fd, 0x8);
      close_conn(fd);
      return 0;
    }
    if (op == 0x9) {
      frame_start();
      buf_put(&frame, p, n);
      return frame_send(fd, 0xa);
    }
    if (op == 0xa) return 1;
    goto bad;
  }
  if (op == 0x0) {
    if (!c->msg_op || buf_pending(&c->msg) + n > MAX_MESSAGE) goto bad;
    buf_put(&c->msg, p, n);
    if (!fin) return 1;
    op = c->msg_op;
    c->msg_op = 0;
    struct buf m = c->msg; /* on_announce may not free it: it is ours now */
    memset(&c->msg, 0, sizeof c->msg);
    if (op == 0x1) on_announce(fd, m.p + m.off, buf_pending(&m));
    buf_free(&m);
    return c->state == ST_OPEN;
  }
  if ((op != 0x1 && op != 0x2) || c->msg_op) goto bad;
  if (!fin) {
    c->msg_op = (uint8_t)op;
    buf_put(&c->msg, p, n);
    return 1;
  }
  if (op == 0x1) on_announce(fd, p, n);
  return c->state == ST_OPEN;
bad:
  close_conn(fd);
  return 0;
}

/* Parses (and unmasks) the complete frames at the start of p; returns the bytes used, or
 * SIZE_MAX when the connection was closed. */
static size_t parse_frames(int fd, uint8_t *p, size_t len) {
  size_t off = 0;
  while (len - off >= 2) {
    uint8_t *f = p + off;
    uint64_t n = f[1] & 0x7f;
    size_t h = 2;
    if ((f[0] & 0x70) || !(f[1] & 0x80)) { /* reserved bits, or a client frame not masked */
      close_conn(fd);
      return SIZE_MAX;
    }
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
    if (n > MAX_MESSAGE) {
      close_conn(fd);
      return SIZE_MAX;
    }
    if (len - off - h < 4 + n) break;
    uint8_t *payload = f + h + 4;
    unmask(payload, (size_t)n, f + h);
    if (!on_frame(fd, f[0], payload, (size_t)n)) return SIZE_MAX;
    off += h + 4 + (size_t)n;
  }
  return off;
}

/* The request head in c->in: 1 when it is complete and upgraded (the rest of c->in is frames). */
static int on_head(int fd) {
  struct conn *c = &conns[fd];
  char *p = (char *)c->in.p + c->in.off;
  size_t n = buf_pending(&c->in);
  char *end = memmem(p, n, "\r\n\r\n", 4);
  if (end == NULL) {
    if (n > MAX_HEAD) close_conn(fd);
    return 0;
  }
  const char *key = NULL;
  size_t keylen = 0;
  for (char *l = memchr(p, '\n', (size_t)(end - p)); l != NULL && l < end;
       l = memchr(l + 1, '\n', (size_t)(end - l))) {
    static const char name[] = "sec-websocket-key:";
    if ((size_t)(end - l - 1) > sizeof name - 1 && strncasecmp(l + 1, name, sizeof name - 1) == 0) {
      const char *v = l + sizeof name, *e = v;
      while (*v == ' ' || *v == '\t') v++;
      for (e = v; e < end && *e != '\r' && *e != ' ' && *e != '\t'; e++) {
      }
      key = v;
      keylen = (size_t)(e - v);
    }
  }
  if (n < 4 || memcmp(p, "GET ", 4) != 0 || key == NULL || keylen == 0 || keylen > 64) {
    static const char no[] = "HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n";
    if (send(fd, no, sizeof no - 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) { /* closing anyway */
    }
    close_conn(fd);
    return 0;
  }
  char acc[29], res[160];
  ws_accept(key, keylen, acc);
  int rn = snprintf(res, sizeof res,
                    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                    "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n",
                    acc);
  buf_consume(&c->in, (size_t)(end + 4 - p));
  c->state = ST_OPEN;
  return send_bytes(fd, (const uint8_t *)res, (size_t)rn);
}

static void on_readable(int fd) {
  struct conn *c = &conns[fd];
  ssize_t n;
  do n = recv(fd, rbuf, sizeof rbuf, 0);
  while (n < 0 && errno == EINTR);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
  if (n <= 0) {
    close_conn(fd);
    return;
  }
  if (c->state == ST_HANDSHAKE) {
    buf_put(&c->in, rbuf, (size_t)n);
    if (!on_head(fd)) return;
  } else if (buf_pending(&c->in) == 0) { /* the usual case: frames straight from rbuf */
    size_t used = parse_frames(fd, rbuf, (size_t)n);
    if (used != SIZE_MAX && used < (size_t)n) buf_put(&c->in, rbuf + used, (size_t)n - used);
    return;
  } else {
    buf_put(&c->in, rbuf, (size_t)n);
  }
  /* c->in holds the start of a frame (or frames after the head). on_frame may send to other
   * connections but never touches this one's c->in, unless it closes this one. */
  size_t used = parse_frames(fd, c->in.p + c->in.off, buf_pending(&c->in));
  if (used == SIZE_MAX) return;
  buf_consume(&c->in, used);
  if (buf_pending(&c->in) == 0) buf_free(&c->in);
}

static void on_accept(void) {
  for (;;) {
    int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      return; /* EAGAIN, or out of descriptors (retried on the next event) */
    }
    if (fd >= max_fds) {
      close(fd);
      continue;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) die("epoll_ctl: %s", strerror(errno));
    memset(&conns[fd], 0, sizeof conns[fd]);
    conns[fd].state = ST_HANDSHAKE;
  }
}

/* ---------------------------------------------------------------- main */

static volatile sig_atomic_t stop;
static void on_signal(int sig) {
  (void)sig;
  stop = 1;
}

int main(int argc, char **argv) {
  const char *host = "127.0.0.1";
  long port = -1;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--self-test")) return self_test();
    if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
      puts("usage: wsfloor --port P [--host 127.0.0.1] | wsfloor --self-test");
      return 0;
    }
    if (i + 1 >= argc) die("%s: unknown option or missing value", argv[i]);
    if (!strcmp(argv[i], "--port")) {
      char *e;
      port = strtol(argv[++i], &e, 10);
      if (*e || port < 0 || port > 65535) die("--port: expected 0-65535");
    } else if (!strcmp(argv[i], "--host")) {
      host = argv[++i];
    } else {
      die("unknown option %s", argv[i]);
    }
  }
  if (port < 0) die("usage: wsfloor --port P [--host 127.0.0.1]");

  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  getrlimit(RLIMIT_NOFILE, &rl);
  max_fds = rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > (1u << 22) ? 1 << 22 : (int)rl.rlim_cur;
  conns = calloc((size_t)max_fds, sizeof *conns); /* untouched pages cost no memory */
  if (conns == NULL) die("out of memory");
  if (getrandom(&rng_state, sizeof rng_state, 0) != (ssize_t)sizeof rng_state)
    rng_state = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);

  /* SIGTERM/SIGINT are blocked except inside epoll_pwait, so none is missed. */
  sigset_t block, wait_mask;
  sigemptyset(&block);
  sigaddset(&block, SIGTERM);
  sigaddset(&block, SIGINT);
  sigprocmask(SIG_BLOCK, &block, &wait_mask);
  sigdelset(&wait_mask, SIGTERM);
  sigdelset(&wait_mask, SIGINT);
  struct sigaction sa = {.sa_handler = on_signal};
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);

  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  if (inet_pton(AF_INET, host, &a.sin_addr) != 1) die("--host: expected an IPv4 address");
  lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (lfd < 0) die("socket: %s", strerror(errno));
  int one = 1;
  setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(lfd, (struct sockaddr *)&a, sizeof a) < 0) die("bind: %s", strerror(errno));
  if (listen(lfd, 4096) < 0) die("listen: %s", strerror(errno));
  socklen_t alen = sizeof a;
  getsockname(lfd, (struct sockaddr *)&a, &alen);

  ep = epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0) die("epoll_create1: %s", strerror(errno));
  struct epoll_event lev = {.events = EPOLLIN, .data.fd = lfd};
  if (epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &lev) < 0) die("epoll_ctl: %s", strerror(errno));
  printf("{\"port\":%d}\n", ntohs(a.sin_port));
  fflush(stdout);

  static struct epoll_event evs[1024];
  while (!stop) {
    int n = epoll_pwait(ep, evs, 1024, -1, &wait_mask);
    if (n < 0) {
      if (errno == EINTR) continue;
      die("epoll_wait: %s", strerror(errno));
    }
    for (int k = 0; k < n; k++) {
      int fd = evs[k].data.fd;
      if (fd == lfd) {
        on_accept();
        continue;
      }
      if (conns[fd].state == ST_FREE) continue; /* closed earlier in this batch */
      if (evs[k].events & EPOLLOUT) {
        flush_out(fd);
        if (conns[fd].state == ST_FREE) continue;
      }
      if (evs[k].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) on_readable(fd);
    }
  }
  for (int fd = 0; fd < max_fds; fd++) close_conn(fd);
  return 0;
}
