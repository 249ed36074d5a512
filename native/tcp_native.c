/*
 * Shoal: optional native TCP accept/read/write/close for Linux, as a Node-API addon.
 *
 * One listening server = one `srv_t`. The server owns a private epoll instance holding the
 * listening socket and every accepted connection; that ONE epoll fd is polled by ONE libuv
 * uv_poll_t on Node's loop. When it is readable, on_epoll() runs epoll_wait(…, 0) and handles
 * every ready fd: accepts (accept4, up to ACCEPT_MAX per event), reads (one read(2) per ready
 * connection per round; epoll is level-triggered, so more is picked up next round), flushes
 * queued writes. Everything JS must hear about (opens, data, closes) is appended to ONE shared
 * event area, and JS is called ONCE per round (more only when the area fills):
 *
 *   STATS_OFF  Float64 x STATS_N            counters
 *   META_OFF   Int32 x MAX_EVENTS x EV_INTS per event: type, slot, gen, off, len, family, port, 0
 *   DATA_OFF   u8 x DATA_BYTES              received bytes and OPEN addresses (off/len point here)
 *
 * Connections live in a slot table (size maxConnections); a connection id is
 * gen * SLOT_SPACE + slot, and the generation is bumped whenever a slot is freed, so a stale id
 * never reaches a reused slot. Epoll event data carries (gen << 32 | slot) for the same reason.
 *
 * Writes from JS: send(2) at once; the remainder is copied into a per-connection malloc'd queue
 * (capped at maxQueuedBytes, beyond which the connection is destroyed) and EPOLLOUT is added.
 * end(): close(2) once the queue is empty (after all bytes were written close sends FIN).
 * Peer EOF behaves like Node's allowHalfOpen=false: queued bytes are still sent, then close.
 * A close that JS asked for (destroy/end/write failure) is reported by the JS call's return
 * value (2 = "closed now"), never as an event; closes C discovers are CLOSE events.
 *
 * When the listener has been closed and the last connection is gone, the server releases the
 * epoll fd and its libuv handles by itself (so it never keeps the event loop alive needlessly).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <node_api.h>
#include <uv.h>

#include "socket_common.h"

#define ABI_VERSION 1

#define SLOT_BITS 20
#define SLOT_SPACE (1u << SLOT_BITS)
#define GEN_MASK 0x7fffffffu
#define MAX_EVENTS 1024
#define EV_INTS 8
#define DATA_BYTES (512 * 1024)
#define READ_MAX (64 * 1024)
#define EPOLL_BATCH 256
#define ACCEPT_MAX 64
#define STATS_N 8
#define SCRATCH_BYTES (64 * 1024)
#define ACCEPT_RETRY_MS 200
#define LISTEN_TAG UINT64_MAX

#define STATS_OFF 0
#define META_OFF (STATS_OFF + STATS_N * 8)
#define DATA_OFF (META_OFF + MAX_EVENTS * EV_INTS * 4)
#define TOTAL_BYTES (DATA_OFF + DATA_BYTES)

enum { EV_OPEN = 1, EV_DATA = 2, EV_CLOSE = 3 };

enum {
  ST_ACCEPTED = 0,   /* connections handed to JS */
  ST_REJECTED = 1,   /* accepted and closed at once: maxConnections reached */
  ST_DISPATCHES = 2, /* JS dispatch calls */
  ST_OVERFLOW = 3,   /* connections destroyed for exceeding maxQueuedBytes */
  ST_ACCEPT_ERRORS = 4,
};

enum { S_OPEN = 0, S_CLOSING = 1, S_CLOSED = 2 };
enum { C_FREE = 0, C_OPEN = 1, C_ENDING = 2 };

/* Return codes of write/end/destroy to JS. */
enum { RET_GONE = 0, RET_OK = 1, RET_CLOSED = 2 };

typedef struct {
  int fd;
  uint32_t gen;
  uint8_t state;
  uint8_t out;   /* EPOLLOUT registered */
  uint8_t rdeof; /* ENDING and the peer's FIN was read: EPOLLIN no longer wanted */
  uint8_t *q;
  size_t qhead, qlen, qcap;
} conn_t;

typedef struct srv_s {
  uv_poll_t poll;
  uv_timer_t timer;
  napi_env env;
  int epfd;
  int lfd;
  int state;
  int finalized;
  int in_teardown;
  int in_callback;
  int idle_close_pending;
  int accept_paused;
  int handles_open;
  int nodelay;
  uint32_t max_conns;
  uint32_t nconns;
  size_t max_queue;
  conn_t *conns;
  uint32_t *free_slots;
  uint32_t nfree;
  uint8_t *scratch;
  napi_ref cb_ref;
  napi_ref ab_ref;
  napi_ref self_ref;
  napi_ref resource_ref;
  napi_async_context actx;
  napi_async_cleanup_hook_handle cleanup_handle;

  uint8_t *base;
  double *stats;
  int32_t *meta;
  uint8_t *data;
  int nev;
  size_t dused;
  struct epoll_event evs[EPOLL_BATCH];
} srv_t;

/* ---------------------------------------------------------------- helpers */

static void free_if_done(srv_t *s) {
  if (s->state == S_CLOSED && s->finalized) free(s);
}

static void start_close(srv_t *s);

/* ---------------------------------------------------------------- events to JS */

/* Calls JS once with the events collected so far. */
static void dispatch(srv_t *s) {
  int n = s->nev;
  if (n == 0) return;
  if (s->in_teardown || s->state == S_CLOSED) {
    s->nev = 0;
    s->dused = 0;
    return;
  }
  napi_env env = s->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) == napi_ok) {
    napi_value cb = NULL, recv = NULL, argv[1];
    if (napi_get_reference_value(env, s->cb_ref, &cb) == napi_ok && cb != NULL &&
        napi_get_reference_value(env, s->resource_ref, &recv) == napi_ok && recv != NULL &&
        napi_create_int32(env, n, &argv[0]) == napi_ok) {
      s->stats[ST_DISPATCHES] += 1;
      if (napi_make_callback(env, s->actx, recv, cb, 1, argv, NULL) != napi_ok)
        report_pending_exception(env);
    }
    napi_close_handle_scope(env, scope);
  }
  s->nev = 0;
  s->dused = 0;
}

/* Makes room for one more event carrying `bytes` data bytes, dispatching first if needed.
 * May run JS: callers must re-validate connections afterwards. */
static void need_space(srv_t *s, size_t bytes) {
  if (s->nev >= MAX_EVENTS || DATA_BYTES - s->dused < bytes) dispatch(s);
}

static void emit(srv_t *s, int type, uint32_t slot, uint32_t gen, size_t off, size_t len,
                 int family, int port) {
  int32_t *m = s->meta + (size_t)s->nev * EV_INTS;
  m[0] = type;
  m[1] = (int32_t)slot;
  m[2] = (int32_t)gen;
  m[3] = (int32_t)off;
  m[4] = (int32_t)len;
  m[5] = family;
  m[6] = port;
  m[7] = 0;
  s->nev++;
}

/* ---------------------------------------------------------------- connections */

static void set_interest(srv_t *s, uint32_t slot, conn_t *c, uint32_t events) {
  struct epoll_event ev;
  ev.events = events;
  ev.data.u64 = ((uint64_t)c->gen << 32) | slot;
  epoll_ctl(s->epfd, EPOLL_CTL_MOD, c->fd, &ev);
}

static void maybe_idle_close(srv_t *s) {
  if (s->lfd >= 0 || s->nconns != 0 || s->state != S_OPEN) return;
  if (s->in_callback)
    s->idle_close_pending = 1;
  else
    start_close(s);
}

static void resume_accept(srv_t *s) {
  if (!s->accept_paused || s->lfd < 0) return;
  s->accept_paused = 0;
  uv_timer_stop(&s->timer);
  struct epoll_event ev;
  ev.events = EPOLLIN;
  ev.data.u64 = LISTEN_TAG;
  epoll_ctl(s->epfd, EPOLL_CTL_MOD, s->lfd, &ev);
}

/* Closes connection `slot` now (unsent bytes dropped); reports a CLOSE event if `report`. */
static void conn_close(srv_t *s, uint32_t slot, int report) {
  conn_t *c = &s->conns[slot];
  uint32_t gen = c->gen;
  epoll_ctl(s->epfd, EPOLL_CTL_DEL, c->fd, NULL);
  close(c->fd);
  c->fd = -1;
  free(c->q);
  c->q = NULL;
  c->qhead = c->qlen = c->qcap = 0;
  c->out = 0;
  c->state = C_FREE;
  c->gen = (gen + 1) & GEN_MASK;
  s->free_slots[s->nfree++] = slot;
  s->nconns--;
  if (s->accept_paused) resume_accept(s);
  if (report) {
    need_space(s, 0);
    emit(s, EV_CLOSE, slot, gen, 0, 0, 0, 0);
  }
  maybe_idle_close(s);
}

/* Sends queued bytes; 0 when done or the kernel is full, -1 on a socket error. */
static int flush_queue(srv_t *s, uint32_t slot, conn_t *c) {
  while (c->qlen > 0) {
    ssize_t r = send(c->fd, c->q + c->qhead, c->qlen, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (r > 0) {
      c->qhead += (size_t)r;
      c->qlen -= (size_t)r;
      continue;
    }
    if (r < 0 && errno == EINTR) continue;
    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return 0;
    return -1;
  }
  free(c->q);
  c->q = NULL;
  c->qhead = c->qcap = 0;
  if (c->out && c->state == C_OPEN) set_interest(s, slot, c, EPOLLIN);
  c->out = 0;
  return 0;
}

/* Writes or queues `len` bytes: RET_OK, or RET_CLOSED when the connection was destroyed (socket
 * error, queue cap exceeded, out of memory). */
static int conn_write(srv_t *s, uint32_t slot, conn_t *c, const uint8_t *buf, size_t len) {
  if (c->qlen == 0) {
    while (len > 0) {
      ssize_t r = send(c->fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (r > 0) {
        buf += r;
        len -= (size_t)r;
        continue;
      }
      if (r < 0 && errno == EINTR) continue;
      if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
      conn_close(s, slot, 0);
      return RET_CLOSED;
    }
    if (len == 0) return RET_OK;
  }
  if (c->qlen + len > s->max_queue) {
    s->stats[ST_OVERFLOW] += 1;
    conn_close(s, slot, 0);
    return RET_CLOSED;
  }
  if (c->qhead + c->qlen + len > c->qcap) {
    if (c->qhead > 0 && c->qlen + len <= c->qcap) {
      memmove(c->q, c->q + c->qhead, c->qlen);
      c->qhead = 0;
    } else {
      size_t cap = c->qcap ? c->qcap * 2 : 16384;
      while (cap < c->qlen + len) cap *= 2;
      uint8_t *nq = (uint8_t *)malloc(cap);
      if (nq == NULL) {
        conn_close(s, slot, 0);
        return RET_CLOSED;
      }
      if (c->qlen) memcpy(nq, c->q + c->qhead, c->qlen);
      free(c->q);
      c->q = nq;
      c->qcap = cap;
      c->qhead = 0;
    }
  }
  memcpy(c->q + c->qhead + c->qlen, buf, len);
  c->qlen += len;
  if (!c->out) {
    c->out = 1;
    set_interest(s, slot, c, (c->state == C_OPEN ? EPOLLIN : 0) | EPOLLOUT);
  }
  return RET_OK;
}

/* end(): close now when nothing is queued, else once the queue drains. */
static int conn_end(srv_t *s, uint32_t slot, conn_t *c) {
  if (c->qlen == 0) {
    conn_close(s, slot, 0);
    return RET_CLOSED;
  }
  if (c->state == C_OPEN) {
    /* Keep reading (and discarding) while ending, so close(2) does not find unread bytes and
     * send RST instead of FIN (which could make the peer drop our last bytes). */
    c->state = C_ENDING;
    set_interest(s, slot, c, EPOLLIN | EPOLLOUT);
    c->out = 1;
  }
  return RET_OK;
}

/* ---------------------------------------------------------------- event loop side */

static void on_accept_retry(uv_timer_t *t) {
  srv_t *s = (srv_t *)t->data;
  if (s->state == S_OPEN) resume_accept(s);
}

static void do_accept(srv_t *s) {
  for (int k = 0; k < ACCEPT_MAX && s->lfd >= 0 && s->state == S_OPEN; k++) {
    struct sockaddr_in6 sa;
    socklen_t sl = sizeof sa;
    int fd = accept4(s->lfd, (struct sockaddr *)&sa, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      int e = errno;
      if (e == EAGAIN || e == EWOULDBLOCK) return;
      if (e == EINTR || e == ECONNABORTED || e == EPROTO || e == EPERM) continue;
      s->stats[ST_ACCEPT_ERRORS] += 1;
      if (e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM) {
        s->accept_paused = 1;
        struct epoll_event ev;
        ev.events = 0;
        ev.data.u64 = LISTEN_TAG;
        epoll_ctl(s->epfd, EPOLL_CTL_MOD, s->lfd, &ev);
        uv_timer_start(&s->timer, on_accept_retry, ACCEPT_RETRY_MS, 0);
      }
      return;
    }
    if (s->nconns >= s->max_conns || s->nfree == 0) {
      s->stats[ST_REJECTED] += 1;
      close(fd);
      continue;
    }
    need_space(s, 16); /* may run JS */
    if (s->state != S_OPEN || s->nfree == 0) {
      close(fd);
      return;
    }
    if (s->nodelay) {
      int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    uint32_t slot = s->free_slots[--s->nfree];
    conn_t *c = &s->conns[slot];
    struct epoll_event ev;
    ev.events = EPOLLIN;
    ev.data.u64 = ((uint64_t)c->gen << 32) | slot;
    if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
      s->free_slots[s->nfree++] = slot;
      s->stats[ST_ACCEPT_ERRORS] += 1;
      close(fd);
      continue;
    }
    c->fd = fd;
    c->state = C_OPEN;
    c->out = 0;
    c->rdeof = 0;
    c->q = NULL;
    c->qhead = c->qlen = c->qcap = 0;
    s->nconns++;
    s->stats[ST_ACCEPTED] += 1;

    uint8_t *ip = s->data + s->dused;
    int family = 4, port = 0;
    size_t iplen = 4;
    if (sa.sin6_family == AF_INET) {
      const struct sockaddr_in *a4 = (const struct sockaddr_in *)&sa;
      memcpy(ip, &a4->sin_addr, 4);
      port = ntohs(a4->sin_port);
    } else {
      if (IN6_IS_ADDR_V4MAPPED(&sa.sin6_addr)) {
        memcpy(ip, sa.sin6_addr.s6_addr + 12, 4);
      } else {
        memcpy(ip, sa.sin6_addr.s6_addr, 16);
        family = 6;
        iplen = 16;
      }
      port = ntohs(sa.sin6_port);
    }
    emit(s, EV_OPEN, slot, c->gen, s->dused, iplen, family, port);
    s->dused += 16;
  }
}

static void do_read(srv_t *s, uint32_t slot, uint32_t gen) {
  need_space(s, READ_MAX); /* may run JS */
  conn_t *c = &s->conns[slot];
  if (s->state != S_OPEN || c->state != C_OPEN || c->gen != gen) return;
  ssize_t r;
  do {
    r = read(c->fd, s->data + s->dused, READ_MAX);
  } while (r < 0 && errno == EINTR);
  if (r > 0) {
    emit(s, EV_DATA, slot, gen, s->dused, (size_t)r, 0, 0);
    s->dused += ((size_t)r + 7) & ~(size_t)7;
    return;
  }
  if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
  if (r == 0 && c->qlen > 0) {
    /* Peer EOF with replies still queued: send them, then close (allowHalfOpen=false). */
    c->state = C_ENDING;
    c->rdeof = 1;
    c->out = 1;
    set_interest(s, slot, c, EPOLLOUT);
    return;
  }
  conn_close(s, slot, 1); /* EOF or ECONNRESET & co. */
}

/* An ending connection became readable: discard what the peer sends while our queue drains. */
static void drain_ending(srv_t *s, uint32_t slot, conn_t *c) {
  uint8_t sink[16384];
  ssize_t r;
  do {
    r = read(c->fd, sink, sizeof sink);
  } while (r < 0 && errno == EINTR);
  if (r > 0 || (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))) return;
  if (r == 0) {
    c->rdeof = 1;
    set_interest(s, slot, c, EPOLLOUT);
    return;
  }
  conn_close(s, slot, 1);
}

static void on_epoll(uv_poll_t *h, int status, int events) {
  srv_t *s = (srv_t *)h->data;
  (void)status;
  (void)events;
  if (s->state != S_OPEN) return;
  s->in_callback = 1;
  int n;
  do {
    n = epoll_wait(s->epfd, s->evs, EPOLL_BATCH, 0);
  } while (n < 0 && errno == EINTR);
  for (int i = 0; i < n && s->state == S_OPEN; i++) {
    uint64_t tag = s->evs[i].data.u64;
    uint32_t ev = s->evs[i].events;
    if (tag == LISTEN_TAG) {
      if (s->lfd >= 0 && !s->accept_paused) do_accept(s);
      continue;
    }
    uint32_t slot = (uint32_t)(tag & 0xffffffffu), gen = (uint32_t)(tag >> 32);
    if (slot >= s->max_conns) continue;
    conn_t *c = &s->conns[slot];
    if (c->state == C_FREE || c->gen != gen) continue; /* closed meanwhile */
    if (c->qlen > 0 && (ev & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
      if (flush_queue(s, slot, c) < 0) {
        conn_close(s, slot, 1);
        continue;
      }
      if (c->state == C_ENDING && c->qlen == 0) {
        conn_close(s, slot, 1);
        continue;
      }
    }
    if (c->state == C_OPEN && (ev & (EPOLLIN | EPOLLERR | EPOLLHUP)))
      do_read(s, slot, gen);
    else if (c->state == C_ENDING && !c->rdeof && (ev & EPOLLIN))
      drain_ending(s, slot, c);
  }
  dispatch(s);
  s->in_callback = 0;
  if (s->idle_close_pending) {
    s->idle_close_pending = 0;
    if (s->state == S_OPEN && s->lfd < 0 && s->nconns == 0) start_close(s);
  }
}

/* ---------------------------------------------------------------- server close */

static void on_handle_closed(uv_handle_t *h) {
  srv_t *s = (srv_t *)h->data;
  if (--s->handles_open > 0) return;
  if (s->epfd >= 0) {
    close(s->epfd);
    s->epfd = -1;
  }
  free(s->conns);
  free(s->free_slots);
  free(s->scratch);
  s->conns = NULL;
  s->free_slots = NULL;
  s->scratch = NULL;
  s->state = S_CLOSED;
  napi_async_cleanup_hook_handle cleanup = s->cleanup_handle;
  s->cleanup_handle = NULL;
  if (!s->in_teardown) {
    napi_env env = s->env;
    napi_async_destroy(env, s->actx);
    if (s->cb_ref) napi_delete_reference(env, s->cb_ref);
    if (s->ab_ref) napi_delete_reference(env, s->ab_ref);
    if (s->resource_ref) napi_delete_reference(env, s->resource_ref);
    s->cb_ref = s->ab_ref = s->resource_ref = NULL;
    napi_ref self = s->self_ref;
    s->self_ref = NULL;
    if (self) napi_delete_reference(env, self); /* the external may now be collected */
  }
  /* Lets a worker's teardown proceed (and unload this library) only now that libuv is done. */
  if (cleanup != NULL) napi_remove_async_cleanup_hook(cleanup);
  free_if_done(s);
}

/* Releases everything: every connection (silently), the listener, the epoll fd, the handles. */
static void start_close(srv_t *s) {
  if (s->state != S_OPEN) return;
  s->state = S_CLOSING;
  if (s->conns != NULL) {
    for (uint32_t i = 0; i < s->max_conns; i++) {
      conn_t *c = &s->conns[i];
      if (c->state == C_FREE) continue;
      close(c->fd);
      free(c->q);
      c->q = NULL;
      c->state = C_FREE;
    }
  }
  s->nconns = 0;
  if (s->lfd >= 0) {
    close(s->lfd);
    s->lfd = -1;
  }
  uv_poll_stop(&s->poll);
  uv_timer_stop(&s->timer);
  s->handles_open = 2;
  uv_close((uv_handle_t *)&s->poll, on_handle_closed);
  uv_close((uv_handle_t *)&s->timer, on_handle_closed);
}

/* The Node environment (main or worker) is shutting down. An async cleanup hook, so Node keeps
 * the environment (and this library) alive until the handles are closed and the hook removed. */
static void env_cleanup(napi_async_cleanup_hook_handle handle, void *arg) {
  (void)handle;
  srv_t *s = (srv_t *)arg;
  s->in_teardown = 1;
  if (s->state == S_OPEN) start_close(s);
  /* else: already closing; on_handle_closed removes the hook */
}

static void finalize_srv(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  srv_t *s = (srv_t *)data;
  s->finalized = 1;
  free_if_done(s);
}

/* ---------------------------------------------------------------- JS API */

static srv_t *get_srv(napi_env env, napi_value v) {
  void *p = NULL;
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_external) return NULL;
  if (napi_get_value_external(env, v, &p) != napi_ok) return NULL;
  return (srv_t *)p;
}

/* The live connection for id (gen * SLOT_SPACE + slot), or NULL. */
static conn_t *get_conn(srv_t *s, napi_env env, napi_value v, uint32_t *slot_out) {
  double d;
  if (s->state != S_OPEN || napi_get_value_double(env, v, &d) != napi_ok) return NULL;
  if (!(d >= 0 && d < 9007199254740992.0)) return NULL;
  uint64_t id = (uint64_t)d;
  uint32_t slot = (uint32_t)(id & (SLOT_SPACE - 1));
  uint64_t gen = id >> SLOT_BITS;
  if (slot >= s->max_conns) return NULL;
  conn_t *c = &s->conns[slot];
  if (c->state == C_FREE || c->gen != gen) return NULL;
  *slot_out = slot;
  return c;
}

/* Writes a Buffer/TypedArray or (latin1) string value to connection c: RET_OK or RET_CLOSED. */
static int write_value(srv_t *s, napi_env env, uint32_t slot, conn_t *c, napi_value v,
                       int *bad) {
  napi_valuetype t;
  *bad = 0;
  if (napi_typeof(env, v, &t) != napi_ok) {
    *bad = 1;
    return RET_OK;
  }
  if (t == napi_string) {
    size_t len = 0;
    if (s->scratch == NULL) {
      s->scratch = (uint8_t *)malloc(SCRATCH_BYTES);
      if (s->scratch == NULL) {
        *bad = 1;
        return RET_OK;
      }
    }
    if (napi_get_value_string_latin1(env, v, (char *)s->scratch, SCRATCH_BYTES, &len) !=
        napi_ok) {
      *bad = 1;
      return RET_OK;
    }
    if (len < SCRATCH_BYTES - 1) return len ? conn_write(s, slot, c, s->scratch, len) : RET_OK;
    /* Possibly truncated: get the real length and copy into a buffer that fits. */
    if (napi_get_value_string_latin1(env, v, NULL, 0, &len) != napi_ok) {
      *bad = 1;
      return RET_OK;
    }
    char *tmp = (char *)malloc(len + 1);
    if (tmp == NULL) {
      conn_close(s, slot, 0);
      return RET_CLOSED;
    }
    size_t got = 0;
    napi_get_value_string_latin1(env, v, tmp, len + 1, &got);
    int r = conn_write(s, slot, c, (const uint8_t *)tmp, got);
    free(tmp);
    return r;
  }
  bool is_ta = false;
  if (napi_is_typedarray(env, v, &is_ta) != napi_ok || !is_ta) {
    *bad = 1;
    return RET_OK;
  }
  napi_typedarray_type tt;
  size_t length = 0, offset = 0;
  void *data = NULL;
  napi_value ab;
  if (napi_get_typedarray_info(env, v, &tt, &length, &data, &ab, &offset) != napi_ok ||
      (tt != napi_uint8_array && tt != napi_int8_array && tt != napi_uint8_clamped_array)) {
    *bad = 1;
    return RET_OK;
  }
  if (length == 0) return RET_OK;
  return conn_write(s, slot, c, (const uint8_t *)data, length);
}

static napi_value ret_int(napi_env env, int32_t v) {
  napi_value r;
  NAPI_CALL(env, napi_create_int32(env, v, &r));
  return r;
}

/* write(handle, id, data) -> 0 gone (or ending), 1 ok, 2 destroyed by this call. */
static napi_value js_write(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  srv_t *s = argc == 3 ? get_srv(env, argv[0]) : NULL;
  if (s == NULL) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "write(handle, id, data)");
    return NULL;
  }
  uint32_t slot;
  conn_t *c = get_conn(s, env, argv[1], &slot);
  if (c == NULL || c->state != C_OPEN) return ret_int(env, RET_GONE);
  int bad;
  int r = write_value(s, env, slot, c, argv[2], &bad);
  if (bad) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "write(): data must be a Buffer or string");
    return NULL;
  }
  return ret_int(env, r);
}

/* end(handle, id[, data]) -> 0 gone, 1 closing after the queue drains, 2 closed now. */
static napi_value js_end(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  srv_t *s = argc >= 2 ? get_srv(env, argv[0]) : NULL;
  if (s == NULL) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "end(handle, id[, data])");
    return NULL;
  }
  uint32_t slot;
  conn_t *c = get_conn(s, env, argv[1], &slot);
  if (c == NULL) return ret_int(env, RET_GONE);
  if (argc == 3 && c->state == C_OPEN) {
    napi_valuetype t;
    if (napi_typeof(env, argv[2], &t) == napi_ok && t != napi_undefined) {
      int bad;
      int r = write_value(s, env, slot, c, argv[2], &bad);
      if (bad) {
        napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "end(): data must be a Buffer or string");
        return NULL;
      }
      if (r == RET_CLOSED) return ret_int(env, RET_CLOSED);
    }
  }
  return ret_int(env, conn_end(s, slot, c));
}

/* destroy(handle, id) -> 0 gone, 2 closed now. */
static napi_value js_destroy(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  srv_t *s = argc == 2 ? get_srv(env, argv[0]) : NULL;
  if (s == NULL) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "destroy(handle, id)");
    return NULL;
  }
  uint32_t slot;
  conn_t *c = get_conn(s, env, argv[1], &slot);
  if (c == NULL) return ret_int(env, RET_GONE);
  conn_close(s, slot, 0);
  return ret_int(env, RET_CLOSED);
}

/* detach(handle, id) -> a duplicate of the connection's fd (close-on-exec, still non-blocking),
 * -1 when the connection is gone, -2 when it is ending or still has queued bytes. The connection
 * is then forgotten here (reported like destroy: no CLOSE event) and the caller owns the new fd:
 * the WebSocket upgrade hands it to node:net. The original fd is closed, which sends nothing
 * while the duplicate keeps the socket open. */
static napi_value js_detach(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  srv_t *s = argc == 2 ? get_srv(env, argv[0]) : NULL;
  if (s == NULL) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "detach(handle, id)");
    return NULL;
  }
  uint32_t slot;
  conn_t *c = get_conn(s, env, argv[1], &slot);
  if (c == NULL) return ret_int(env, -1);
  if (c->state != C_OPEN || c->qlen > 0) return ret_int(env, -2);
  int fd = fcntl(c->fd, F_DUPFD_CLOEXEC, 0);
  conn_close(s, slot, 0);
  return ret_int(env, fd < 0 ? -1 : fd);
}

/* pending(handle, id) -> queued, unwritten bytes (0 when gone). */
static napi_value js_pending(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  srv_t *s = argc == 2 ? get_srv(env, argv[0]) : NULL;
  if (s == NULL) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "pending(handle, id)");
    return NULL;
  }
  uint32_t slot;
  conn_t *c = get_conn(s, env, argv[1], &slot);
  napi_value r;
  NAPI_CALL(env, napi_create_double(env, c == NULL ? 0 : (double)c->qlen, &r));
  return r;
}

/* closeListener(handle): stop accepting; the server releases itself once no connection is left. */
static napi_value js_close_listener(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  srv_t *s = argc == 1 ? get_srv(env, argv[0]) : NULL;
  if (s == NULL) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "closeListener(handle)");
    return NULL;
  }
  if (s->state != S_OPEN || s->lfd < 0) return NULL;
  epoll_ctl(s->epfd, EPOLL_CTL_DEL, s->lfd, NULL);
  close(s->lfd);
  s->lfd = -1;
  s->accept_paused = 0;
  uv_timer_stop(&s->timer);
  maybe_idle_close(s);
  return NULL;
}

/* open(family, host, port, backlog, maxConnections, maxQueuedBytes, noDelay, onEvents)
 *   -> { handle, buffer, address, port } ; throws a system-style Error on failure */
static napi_value js_open(napi_env env, napi_callback_info info) {
  size_t argc = 8;
  napi_value argv[8];
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 8) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "open() takes 8 arguments");
    return NULL;
  }
  int32_t family, port, backlog, max_conns;
  double max_queue;
  bool nodelay;
  char host[64];
  size_t host_len = 0;
  napi_valuetype cbt;
  if (napi_get_value_int32(env, argv[0], &family) != napi_ok ||
      napi_get_value_string_utf8(env, argv[1], host, sizeof host, &host_len) != napi_ok ||
      napi_get_value_int32(env, argv[2], &port) != napi_ok ||
      napi_get_value_int32(env, argv[3], &backlog) != napi_ok ||
      napi_get_value_int32(env, argv[4], &max_conns) != napi_ok ||
      napi_get_value_double(env, argv[5], &max_queue) != napi_ok ||
      napi_get_value_bool(env, argv[6], &nodelay) != napi_ok ||
      napi_typeof(env, argv[7], &cbt) != napi_ok || cbt != napi_function) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE",
                          "open(family, host, port, backlog, maxConnections, maxQueuedBytes, "
                          "noDelay, onEvents)");
    return NULL;
  }
  if ((family != 4 && family != 6) || port < 0 || port > 65535 || max_conns < 1 ||
      (uint32_t)max_conns > SLOT_SPACE || !(max_queue >= 1)) {
    napi_throw_range_error(env, "ERR_OUT_OF_RANGE",
                           "open(): family, port, maxConnections or maxQueuedBytes out of range");
    return NULL;
  }
  if (backlog < 1) backlog = 511;

  char bound_host[INET6_ADDRSTRLEN] = "";
  int bound_port = 0;
  /* Node reports a server's bind failures as "listen". */
  int fd = open_bound_socket(env, family, host, port, SOCK_STREAM, 0, "listen", bound_host,
                             sizeof bound_host, &bound_port);
  if (fd < 0) return NULL;
  if (listen(fd, backlog) != 0) {
    int e = errno;
    close(fd);
    throw_errno(env, e, "listen", host, port);
    return NULL;
  }

  int epfd = epoll_create1(EPOLL_CLOEXEC);
  if (epfd < 0) {
    int e = errno;
    close(fd);
    throw_errno(env, e, "epoll_create1", NULL, 0);
    return NULL;
  }
  struct epoll_event lev;
  lev.events = EPOLLIN;
  lev.data.u64 = LISTEN_TAG;
  if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &lev) != 0) {
    int e = errno;
    close(fd);
    close(epfd);
    throw_errno(env, e, "epoll_ctl", NULL, 0);
    return NULL;
  }

  srv_t *s = (srv_t *)calloc(1, sizeof(srv_t));
  conn_t *conns = (conn_t *)calloc((size_t)max_conns, sizeof(conn_t));
  uint32_t *free_slots = (uint32_t *)malloc((size_t)max_conns * sizeof(uint32_t));
  if (s == NULL || conns == NULL || free_slots == NULL) {
    free(s);
    free(conns);
    free(free_slots);
    close(fd);
    close(epfd);
    throw_errno(env, ENOMEM, "calloc", NULL, 0);
    return NULL;
  }
  s->env = env;
  s->lfd = fd;
  s->epfd = epfd;
  s->max_conns = (uint32_t)max_conns;
  s->max_queue = (size_t)max_queue;
  s->nodelay = nodelay ? 1 : 0;
  s->conns = conns;
  s->free_slots = free_slots;
  for (uint32_t i = 0; i < s->max_conns; i++) {
    conns[i].fd = -1;
    free_slots[i] = s->max_conns - 1 - i; /* slot 0 is handed out first */
  }
  s->nfree = s->max_conns;

  napi_value ab, ext, resource, result, name, v;
  void *mem = NULL;
  uv_loop_t *loop = NULL;
  if (napi_create_arraybuffer(env, TOTAL_BYTES, &mem, &ab) != napi_ok || mem == NULL ||
      napi_get_uv_event_loop(env, &loop) != napi_ok || loop == NULL ||
      napi_create_object(env, &resource) != napi_ok ||
      napi_create_string_utf8(env, "ShoalNativeTcp", NAPI_AUTO_LENGTH, &name) != napi_ok ||
      napi_async_init(env, resource, name, &s->actx) != napi_ok) {
    close(fd);
    close(epfd);
    free(conns);
    free(free_slots);
    free(s);
    report_pending_exception(env);
    napi_throw_error(env, "ERR_SHOAL_NATIVE", "tcp_native: allocation failed");
    return NULL;
  }
  memset(mem, 0, DATA_OFF);
  s->base = (uint8_t *)mem;
  s->stats = (double *)(s->base + STATS_OFF);
  s->meta = (int32_t *)(s->base + META_OFF);
  s->data = s->base + DATA_OFF;

  if (uv_poll_init(loop, &s->poll, epfd) != 0) {
    napi_async_destroy(env, s->actx);
    close(fd);
    close(epfd);
    free(conns);
    free(free_slots);
    free(s);
    throw_errno(env, EINVAL, "uv_poll_init", NULL, 0);
    return NULL;
  }
  s->poll.data = s;
  uv_timer_init(loop, &s->timer);
  s->timer.data = s;
  uv_unref((uv_handle_t *)&s->timer);
  /* From here on the server is released through start_close. */
  if (napi_create_external(env, s, finalize_srv, NULL, &ext) != napi_ok) {
    s->in_teardown = 1; /* no JS callbacks */
    napi_async_destroy(env, s->actx);
    s->finalized = 1;
    start_close(s);
    napi_throw_error(env, "ERR_SHOAL_NATIVE", "tcp_native: napi_create_external failed");
    return NULL;
  }
  napi_create_reference(env, argv[7], 1, &s->cb_ref);
  napi_create_reference(env, ab, 1, &s->ab_ref);
  napi_create_reference(env, ext, 1, &s->self_ref);
  napi_create_reference(env, resource, 1, &s->resource_ref);
  napi_add_async_cleanup_hook(env, env_cleanup, s, &s->cleanup_handle);
  int rc = uv_poll_start(&s->poll, UV_READABLE, on_epoll);
  if (rc != 0) {
    start_close(s);
    throw_errno(env, -rc, "uv_poll_start", NULL, 0);
    return NULL;
  }

  NAPI_CALL(env, napi_create_object(env, &result));
  NAPI_CALL(env, napi_set_named_property(env, result, "handle", ext));
  NAPI_CALL(env, napi_set_named_property(env, result, "buffer", ab));
  NAPI_CALL(env, napi_create_string_utf8(env, bound_host, NAPI_AUTO_LENGTH, &v));
  NAPI_CALL(env, napi_set_named_property(env, result, "address", v));
  NAPI_CALL(env, napi_create_int32(env, bound_port, &v));
  NAPI_CALL(env, napi_set_named_property(env, result, "port", v));
  return result;
}

NAPI_MODULE_INIT(/* napi_env env, napi_value exports */) {
  napi_value fn, layout;
#define EXPORT_FN(js_name, c_fn)                                                          \
  NAPI_CALL(env, napi_create_function(env, js_name, NAPI_AUTO_LENGTH, c_fn, NULL, &fn)); \
  NAPI_CALL(env, napi_set_named_property(env, exports, js_name, fn))
  EXPORT_FN("open", js_open);
  EXPORT_FN("write", js_write);
  EXPORT_FN("end", js_end);
  EXPORT_FN("destroy", js_destroy);
  EXPORT_FN("pending", js_pending);
  EXPORT_FN("detach", js_detach);
  EXPORT_FN("closeListener", js_close_listener);
#undef EXPORT_FN
  NAPI_CALL(env, napi_create_object(env, &layout));
  set_prop_int(env, layout, "abi", ABI_VERSION);
  set_prop_int(env, layout, "slotSpace", (int32_t)SLOT_SPACE);
  set_prop_int(env, layout, "maxEvents", MAX_EVENTS);
  set_prop_int(env, layout, "evInts", EV_INTS);
  set_prop_int(env, layout, "statsN", STATS_N);
  set_prop_int(env, layout, "statsOff", STATS_OFF);
  set_prop_int(env, layout, "metaOff", META_OFF);
  set_prop_int(env, layout, "dataOff", DATA_OFF);
  set_prop_int(env, layout, "dataBytes", DATA_BYTES);
  set_prop_int(env, layout, "evOpen", EV_OPEN);
  set_prop_int(env, layout, "evData", EV_DATA);
  set_prop_int(env, layout, "evClose", EV_CLOSE);
  set_prop_int(env, layout, "rGone", RET_GONE);
  set_prop_int(env, layout, "rOk", RET_OK);
  set_prop_int(env, layout, "rClosed", RET_CLOSED);
  set_prop_int(env, layout, "statAccepted", ST_ACCEPTED);
  set_prop_int(env, layout, "statRejected", ST_REJECTED);
  set_prop_int(env, layout, "statDispatches", ST_DISPATCHES);
  set_prop_int(env, layout, "statOverflow", ST_OVERFLOW);
  set_prop_int(env, layout, "statAcceptErrors", ST_ACCEPT_ERRORS);
  NAPI_CALL(env, napi_set_named_property(env, exports, "layout", layout));
  return exports;
}
