/*
 * Shoal: optional batched UDP I/O for Linux (recvmmsg/sendmmsg), as a Node-API addon.
 *
 * One socket = one `sock_t`. The socket is polled with a libuv uv_poll_t on Node's own loop.
 * All data crosses the JS boundary through ONE ArrayBuffer per socket (allocated by JS/V8,
 * pinned by a strong reference while the socket is open), laid out as:
 *
 *   STATS_OFF      Float64 x STATS_N           counters, written by both sides
 *   RECV_META_OFF  Int32 x RECV_BATCH x 4      per received packet: len (-1: skip), family, port, 0
 *   RECV_IP_OFF    u8 x RECV_BATCH x 16        per received packet: source address (4 or 16 bytes)
 *   SEND_META_OFF  Int32 x SEND_MAX x 4        per queued reply: data offset, len, family, port
 *   SEND_IP_OFF    u8 x SEND_MAX x 16          per queued reply: destination address
 *   SEND_DATA_OFF  u8 x SEND_BYTES             reply bytes, packed by JS
 *   RECV_DATA_OFF  u8 x RECV_BATCH x slot      one slot per received datagram
 *
 * Receive: on readable, up to MAX_BATCHES_PER_EVENT x recvmmsg(RECV_BATCH); each batch fills the
 * metadata and calls the JS batch callback ONCE with the packet count (napi_make_callback, so
 * nextTicks/microtasks run after it, as with any I/O callback). JS sends nothing per packet to C.
 * Send: JS copies replies into the send region and calls flush(handle, count): one sendmmsg
 * (more only after a partial send). EAGAIN/ENOBUFS drop the rest of the batch; any other error
 * drops the one message the kernel refused. Nothing ever blocks or queues in C.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <node_api.h>
#include <uv.h>

#include "socket_common.h"

#define ABI_VERSION 1

#define RECV_BATCH 64
#define MAX_BATCHES_PER_EVENT 8
#define SEND_MAX 256
#define SEND_BYTES (256 * 1024)
#define STATS_N 8

enum {
  ST_RECEIVED = 0, /* datagrams handed to JS */
  ST_SENT = 1,     /* datagrams the kernel accepted */
  ST_DROPPED = 2,  /* replies not sent (EAGAIN/ENOBUFS, refused, invalid, after close) */
  ST_BATCHES = 3,  /* JS batch callbacks */
  ST_TRUNCATED = 4, /* received datagrams larger than a slot, discarded */
  ST_RECV_ERRORS = 5, /* recvmmsg failures other than EAGAIN/EINTR */
};

#define STATS_OFF 0
#define RECV_META_OFF (STATS_OFF + STATS_N * 8)
#define RECV_IP_OFF (RECV_META_OFF + RECV_BATCH * 16)
#define SEND_META_OFF (RECV_IP_OFF + RECV_BATCH * 16)
#define SEND_IP_OFF (SEND_META_OFF + SEND_MAX * 16)
#define SEND_DATA_OFF (SEND_IP_OFF + SEND_MAX * 16)
#define RECV_DATA_OFF (SEND_DATA_OFF + SEND_BYTES)

#define MIN_SLOT 64
#define MAX_SLOT 65536

enum { S_OPEN = 0, S_CLOSING = 1, S_CLOSED = 2 };

typedef struct sock_s {
  uv_poll_t poll;
  napi_env env;
  int fd;
  int family; /* 4 or 6 */
  int slot;
  int state;
  int finalized;   /* the JS external was garbage-collected */
  int in_teardown; /* closing because the Node environment is going away: no JS */
  napi_ref cb_ref;
  napi_ref close_cb_ref;
  napi_ref ab_ref;
  napi_ref self_ref;
  napi_ref resource_ref;
  napi_async_context actx;
  napi_async_cleanup_hook_handle cleanup_handle;

  uint8_t *base;
  double *stats;
  int32_t *rmeta;
  uint8_t *rip;
  int32_t *smeta;
  uint8_t *sip;
  uint8_t *sdata;
  uint8_t *rdata;

  struct mmsghdr rmsg[RECV_BATCH];
  struct iovec riov[RECV_BATCH];
  struct sockaddr_in6 raddr[RECV_BATCH];
  struct mmsghdr smsg[SEND_MAX];
  struct iovec siov[SEND_MAX];
  struct sockaddr_in6 saddr[SEND_MAX];
} sock_t;

/* ---------------------------------------------------------------- helpers */

static void free_if_done(sock_t *s) {
  if (s->state == S_CLOSED && s->finalized) free(s);
}

/* ---------------------------------------------------------------- receive */

static void on_poll(uv_poll_t *h, int status, int events) {
  sock_t *s = (sock_t *)h->data;
  (void)events;
  if (s->state != S_OPEN) return;
  if (status < 0) {
    s->stats[ST_RECV_ERRORS] += 1;
    /* fall through: recvmmsg reports the error, or EAGAIN */
  }
  napi_env env = s->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value cb, recv, argv[1];
  if (napi_get_reference_value(env, s->cb_ref, &cb) != napi_ok || cb == NULL ||
      napi_get_reference_value(env, s->resource_ref, &recv) != napi_ok || recv == NULL) {
    napi_close_handle_scope(env, scope);
    return;
  }

  for (int b = 0; b < MAX_BATCHES_PER_EVENT && s->state == S_OPEN; b++) {
    for (int i = 0; i < RECV_BATCH; i++) {
      s->rmsg[i].msg_hdr.msg_namelen = sizeof(struct sockaddr_in6);
      s->rmsg[i].msg_hdr.msg_flags = 0;
    }
    int n = recvmmsg(s->fd, s->rmsg, RECV_BATCH, MSG_DONTWAIT, NULL);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) s->stats[ST_RECV_ERRORS] += 1;
      break;
    }
    if (n == 0) break;

    int kept = 0;
    for (int i = 0; i < n; i++) {
      int32_t *m = s->rmeta + i * 4;
      uint8_t *ip = s->rip + i * 16;
      const struct msghdr *mh = &s->rmsg[i].msg_hdr;
      m[0] = -1;
      if (mh->msg_flags & MSG_TRUNC) {
        s->stats[ST_TRUNCATED] += 1;
        continue;
      }
      const struct sockaddr_in6 *a6 = &s->raddr[i];
      if (a6->sin6_family == AF_INET) {
        const struct sockaddr_in *a4 = (const struct sockaddr_in *)a6;
        memcpy(ip, &a4->sin_addr, 4);
        m[1] = 4;
        m[2] = ntohs(a4->sin_port);
      } else if (a6->sin6_family == AF_INET6) {
        if (IN6_IS_ADDR_V4MAPPED(&a6->sin6_addr)) {
          memcpy(ip, a6->sin6_addr.s6_addr + 12, 4);
          m[1] = 4;
        } else {
          memcpy(ip, a6->sin6_addr.s6_addr, 16);
          m[1] = 6;
        }
        m[2] = ntohs(a6->sin6_port);
      } else {
        continue;
      }
      m[0] = (int32_t)s->rmsg[i].msg_len;
      kept++;
    }
    if (kept == 0) {
      if (n < RECV_BATCH) break;
      continue;
    }
    s->stats[ST_RECEIVED] += kept;
    s->stats[ST_BATCHES] += 1;

    if (napi_create_int32(env, n, &argv[0]) != napi_ok) break;
    if (napi_make_callback(env, s->actx, recv, cb, 1, argv, NULL) != napi_ok) {
      report_pending_exception(env);
      break;
    }
    if (n < RECV_BATCH) break; /* drained */
  }
  napi_close_handle_scope(env, scope);
}

/* ---------------------------------------------------------------- send */

/* Fills `out` with the destination of queued reply i; returns its length, 0 if invalid. */
static socklen_t build_dest(const sock_t *s, int fam, int port, const uint8_t *ip,
                            struct sockaddr_in6 *out) {
  static const uint8_t mapped_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (port <= 0 || port > 65535) return 0;
  memset(out, 0, sizeof *out);
  if (s->family == 4) {
    struct sockaddr_in *a4 = (struct sockaddr_in *)out;
    a4->sin_family = AF_INET;
    a4->sin_port = htons((uint16_t)port);
    if (fam == 4)
      memcpy(&a4->sin_addr, ip, 4);
    else if (fam == 6 && memcmp(ip, mapped_prefix, 12) == 0)
      memcpy(&a4->sin_addr, ip + 12, 4);
    else
      return 0;
    return sizeof(struct sockaddr_in);
  }
  out->sin6_family = AF_INET6;
  out->sin6_port = htons((uint16_t)port);
  if (fam == 6) {
    memcpy(out->sin6_addr.s6_addr, ip, 16);
  } else if (fam == 4) {
    memcpy(out->sin6_addr.s6_addr, mapped_prefix, 12);
    memcpy(out->sin6_addr.s6_addr + 12, ip, 4);
  } else {
    return 0;
  }
  return sizeof(struct sockaddr_in6);
}

static void flush_sends(sock_t *s, int count) {
  if (count > SEND_MAX) count = SEND_MAX;
  int built = 0;
  for (int i = 0; i < count; i++) {
    const int32_t *m = s->smeta + i * 4;
    int32_t off = m[0], len = m[1];
    if (off < 0 || len < 0 || len > SEND_BYTES || off > SEND_BYTES - len) {
      s->stats[ST_DROPPED] += 1;
      continue;
    }
    socklen_t alen = build_dest(s, m[2], m[3], s->sip + i * 16, &s->saddr[built]);
    if (alen == 0) {
      s->stats[ST_DROPPED] += 1;
      continue;
    }
    s->siov[built].iov_base = s->sdata + off;
    s->siov[built].iov_len = (size_t)len;
    struct msghdr *mh = &s->smsg[built].msg_hdr;
    mh->msg_name = &s->saddr[built];
    mh->msg_namelen = alen;
    mh->msg_iov = &s->siov[built];
    mh->msg_iovlen = 1;
    mh->msg_control = NULL;
    mh->msg_controllen = 0;
    mh->msg_flags = 0;
    built++;
  }
  int i = 0;
  while (i < built) {
    int r = sendmmsg(s->fd, s->smsg + i, (unsigned)(built - i), MSG_DONTWAIT);
    if (r > 0) {
      s->stats[ST_SENT] += r;
      i += r;
      continue;
    }
    if (r < 0 && errno == EINTR) continue;
    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS)) {
      s->stats[ST_DROPPED] += built - i; /* the kernel is full: drop, never block or queue */
      break;
    }
    /* The kernel refused message i (EMSGSIZE, EINVAL, ENETUNREACH, EPERM...): skip it. */
    s->stats[ST_DROPPED] += 1;
    i++;
  }
}

/* ---------------------------------------------------------------- close */

static void on_closed(uv_handle_t *h) {
  sock_t *s = (sock_t *)h->data;
  if (s->fd >= 0) {
    close(s->fd);
    s->fd = -1;
  }
  s->state = S_CLOSED;
  napi_async_cleanup_hook_handle cleanup = s->cleanup_handle;
  s->cleanup_handle = NULL;
  if (!s->in_teardown) {
    napi_env env = s->env;
    napi_handle_scope scope;
    if (napi_open_handle_scope(env, &scope) == napi_ok) {
      napi_value cb = NULL, recv = NULL;
      if (s->close_cb_ref != NULL) napi_get_reference_value(env, s->close_cb_ref, &cb);
      if (s->resource_ref != NULL) napi_get_reference_value(env, s->resource_ref, &recv);
      if (cb != NULL && recv != NULL) {
        if (napi_make_callback(env, s->actx, recv, cb, 0, NULL, NULL) != napi_ok)
          report_pending_exception(env);
      }
      napi_close_handle_scope(env, scope);
    }
    napi_async_destroy(env, s->actx);
    if (s->cb_ref) napi_delete_reference(env, s->cb_ref);
    if (s->close_cb_ref) napi_delete_reference(env, s->close_cb_ref);
    if (s->ab_ref) napi_delete_reference(env, s->ab_ref);
    if (s->resource_ref) napi_delete_reference(env, s->resource_ref);
    s->cb_ref = s->close_cb_ref = s->ab_ref = s->resource_ref = NULL;
    napi_ref self = s->self_ref;
    s->self_ref = NULL;
    if (self) napi_delete_reference(env, self); /* the external may now be collected */
  }
  /* Lets a worker's teardown proceed (and unload this library) only now that libuv is done. */
  if (cleanup != NULL) napi_remove_async_cleanup_hook(cleanup);
  free_if_done(s);
}

static void start_close(sock_t *s) {
  s->state = S_CLOSING;
  uv_poll_stop(&s->poll);
  uv_close((uv_handle_t *)&s->poll, on_closed);
}

/* The Node environment (main or worker) is shutting down. An async cleanup hook, so Node keeps
 * the environment (and this library) alive until on_closed has run and removed the hook. */
static void env_cleanup(napi_async_cleanup_hook_handle handle, void *arg) {
  (void)handle;
  sock_t *s = (sock_t *)arg;
  s->in_teardown = 1;
  if (s->state == S_OPEN) start_close(s);
  /* else: already closing; on_closed removes the hook */
}

static void finalize_sock(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  sock_t *s = (sock_t *)data;
  s->finalized = 1;
  free_if_done(s);
}

/* ---------------------------------------------------------------- JS API */

static sock_t *get_sock(napi_env env, napi_value v) {
  void *p = NULL;
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_external) return NULL;
  if (napi_get_value_external(env, v, &p) != napi_ok) return NULL;
  return (sock_t *)p;
}

/* open(family, host, port, bufferBytes, slotBytes, onBatch)
 *   -> { handle, buffer, address, port } ; throws a system-style Error on failure */
static napi_value js_open(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 6) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "open() takes 6 arguments");
    return NULL;
  }
  int32_t family, port, buffer_bytes, slot;
  char host[64];
  size_t host_len = 0;
  napi_valuetype cbt;
  if (napi_get_value_int32(env, argv[0], &family) != napi_ok ||
      napi_get_value_string_utf8(env, argv[1], host, sizeof host, &host_len) != napi_ok ||
      napi_get_value_int32(env, argv[2], &port) != napi_ok ||
      napi_get_value_int32(env, argv[3], &buffer_bytes) != napi_ok ||
      napi_get_value_int32(env, argv[4], &slot) != napi_ok ||
      napi_typeof(env, argv[5], &cbt) != napi_ok || cbt != napi_function) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "open(family, host, port, bufferBytes, slotBytes, onBatch)");
    return NULL;
  }
  if ((family != 4 && family != 6) || port < 0 || port > 65535 || slot < MIN_SLOT ||
      slot > MAX_SLOT) {
    napi_throw_range_error(env, "ERR_OUT_OF_RANGE", "open(): family, port or slot size out of range");
    return NULL;
  }

  char bound_host[INET6_ADDRSTRLEN] = "";
  int bound_port = 0;
  int fd = open_bound_socket(env, family, host, port, SOCK_DGRAM, buffer_bytes, "bind",
                             bound_host, sizeof bound_host, &bound_port);
  if (fd < 0) return NULL;

  sock_t *s = (sock_t *)calloc(1, sizeof(sock_t));
  if (s == NULL) {
    close(fd);
    throw_errno(env, ENOMEM, "calloc", NULL, 0);
    return NULL;
  }
  s->env = env;
  s->fd = fd;
  s->family = family;
  s->slot = (slot + 7) & ~7;

  napi_value ab, ext, resource, result, name, v;
  void *mem = NULL;
  size_t total = (size_t)RECV_DATA_OFF + (size_t)RECV_BATCH * (size_t)s->slot;
  uv_loop_t *loop = NULL;
  if (napi_create_arraybuffer(env, total, &mem, &ab) != napi_ok || mem == NULL ||
      napi_get_uv_event_loop(env, &loop) != napi_ok || loop == NULL ||
      napi_create_object(env, &resource) != napi_ok ||
      napi_create_string_utf8(env, "ShoalUdpBatch", NAPI_AUTO_LENGTH, &name) != napi_ok ||
      napi_async_init(env, resource, name, &s->actx) != napi_ok) {
    close(fd);
    free(s);
    report_pending_exception(env);
    napi_throw_error(env, "ERR_SHOAL_NATIVE", "udp_batch: allocation failed");
    return NULL;
  }
  memset(mem, 0, RECV_DATA_OFF);
  s->base = (uint8_t *)mem;
  s->stats = (double *)(s->base + STATS_OFF);
  s->rmeta = (int32_t *)(s->base + RECV_META_OFF);
  s->rip = s->base + RECV_IP_OFF;
  s->smeta = (int32_t *)(s->base + SEND_META_OFF);
  s->sip = s->base + SEND_IP_OFF;
  s->sdata = s->base + SEND_DATA_OFF;
  s->rdata = s->base + RECV_DATA_OFF;
  for (int i = 0; i < RECV_BATCH; i++) {
    s->riov[i].iov_base = s->rdata + (size_t)i * (size_t)s->slot;
    s->riov[i].iov_len = (size_t)s->slot;
    struct msghdr *mh = &s->rmsg[i].msg_hdr;
    mh->msg_name = &s->raddr[i];
    mh->msg_namelen = sizeof(struct sockaddr_in6);
    mh->msg_iov = &s->riov[i];
    mh->msg_iovlen = 1;
    mh->msg_control = NULL;
    mh->msg_controllen = 0;
  }

  if (uv_poll_init(loop, &s->poll, fd) != 0) {
    napi_async_destroy(env, s->actx);
    close(fd);
    free(s);
    throw_errno(env, EINVAL, "uv_poll_init", NULL, 0);
    return NULL;
  }
  s->poll.data = s;
  /* From here on the socket is released through uv_close. */
  if (napi_create_external(env, s, finalize_sock, NULL, &ext) != napi_ok) {
    s->in_teardown = 1; /* no JS callbacks */
    napi_async_destroy(env, s->actx);
    s->finalized = 1;
    start_close(s);
    napi_throw_error(env, "ERR_SHOAL_NATIVE", "udp_batch: napi_create_external failed");
    return NULL;
  }
  napi_create_reference(env, argv[5], 1, &s->cb_ref);
  napi_create_reference(env, ab, 1, &s->ab_ref);
  napi_create_reference(env, ext, 1, &s->self_ref);
  napi_create_reference(env, resource, 1, &s->resource_ref);
  napi_add_async_cleanup_hook(env, env_cleanup, s, &s->cleanup_handle);
  int rc = uv_poll_start(&s->poll, UV_READABLE, on_poll);
  if (rc != 0) {
    /* Extremely unlikely (epoll failure). Close asynchronously and report. */
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
  int rcv = 0, snd = 0;
  socklen_t ol = sizeof rcv;
  getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, &ol);
  ol = sizeof snd;
  getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &snd, &ol);
  NAPI_CALL(env, napi_create_int32(env, rcv, &v));
  NAPI_CALL(env, napi_set_named_property(env, result, "recvBufferBytes", v));
  NAPI_CALL(env, napi_create_int32(env, snd, &v));
  NAPI_CALL(env, napi_set_named_property(env, result, "sendBufferBytes", v));
  return result;
}

/* flush(handle, count): sendmmsg the first `count` queued replies. */
static napi_value js_flush(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  int32_t count = 0;
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  sock_t *s = argc == 2 ? get_sock(env, argv[0]) : NULL;
  if (s == NULL || napi_get_value_int32(env, argv[1], &count) != napi_ok) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "flush(handle, count)");
    return NULL;
  }
  if (count > 0 && s->state == S_OPEN) flush_sends(s, count);
  return NULL;
}

/* close(handle, onClosed): stop polling, close the fd once libuv has let go, then onClosed(). */
static napi_value js_close(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_valuetype t;
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  sock_t *s = argc == 2 ? get_sock(env, argv[0]) : NULL;
  if (s == NULL || napi_typeof(env, argv[1], &t) != napi_ok || t != napi_function) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "close(handle, onClosed)");
    return NULL;
  }
  if (s->state != S_OPEN) {
    napi_throw_error(env, "ERR_SOCKET_DGRAM_NOT_RUNNING", "socket is already closed");
    return NULL;
  }
  NAPI_CALL(env, napi_create_reference(env, argv[1], 1, &s->close_cb_ref));
  start_close(s);
  return NULL;
}

static void set_const(napi_env env, napi_value obj, const char *key, int32_t val) {
  set_prop_int(env, obj, key, val);
}

NAPI_MODULE_INIT(/* napi_env env, napi_value exports */) {
  napi_value fn, layout;
  NAPI_CALL(env, napi_create_function(env, "open", NAPI_AUTO_LENGTH, js_open, NULL, &fn));
  NAPI_CALL(env, napi_set_named_property(env, exports, "open", fn));
  NAPI_CALL(env, napi_create_function(env, "flush", NAPI_AUTO_LENGTH, js_flush, NULL, &fn));
  NAPI_CALL(env, napi_set_named_property(env, exports, "flush", fn));
  NAPI_CALL(env, napi_create_function(env, "close", NAPI_AUTO_LENGTH, js_close, NULL, &fn));
  NAPI_CALL(env, napi_set_named_property(env, exports, "close", fn));
  NAPI_CALL(env, napi_create_object(env, &layout));
  set_const(env, layout, "abi", ABI_VERSION);
  set_const(env, layout, "recvBatch", RECV_BATCH);
  set_const(env, layout, "sendMax", SEND_MAX);
  set_const(env, layout, "sendBytes", SEND_BYTES);
  set_const(env, layout, "statsN", STATS_N);
  set_const(env, layout, "statsOff", STATS_OFF);
  set_const(env, layout, "recvMetaOff", RECV_META_OFF);
  set_const(env, layout, "recvIpOff", RECV_IP_OFF);
  set_const(env, layout, "sendMetaOff", SEND_META_OFF);
  set_const(env, layout, "sendIpOff", SEND_IP_OFF);
  set_const(env, layout, "sendDataOff", SEND_DATA_OFF);
  set_const(env, layout, "recvDataOff", RECV_DATA_OFF);
  set_const(env, layout, "minSlot", MIN_SLOT);
  set_const(env, layout, "maxSlot", MAX_SLOT);
  set_const(env, layout, "statReceived", ST_RECEIVED);
  set_const(env, layout, "statSent", ST_SENT);
  set_const(env, layout, "statDropped", ST_DROPPED);
  set_const(env, layout, "statBatches", ST_BATCHES);
  set_const(env, layout, "statTruncated", ST_TRUNCATED);
  set_const(env, layout, "statRecvErrors", ST_RECV_ERRORS);
  NAPI_CALL(env, napi_set_named_property(env, exports, "layout", layout));
  return exports;
}
