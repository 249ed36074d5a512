/* What both native addons (udp_batch.c, tcp_native.c) share: N-API error plumbing shaped like
 * Node's, and opening a bound, non-blocking socket. Header-only (static functions), so each
 * addon stays one translation unit. */
#ifndef SHOAL_SOCKET_COMMON_H
#define SHOAL_SOCKET_COMMON_H

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <node_api.h>
#include <uv.h>

#define NAPI_CALL(env, call)                                                     \
  do {                                                                           \
    if ((call) != napi_ok) {                                                     \
      bool pending_ = false;                                                     \
      napi_is_exception_pending((env), &pending_);                               \
      if (!pending_) napi_throw_error((env), "ERR_SHOAL_NATIVE", #call " failed"); \
      return NULL;                                                               \
    }                                                                            \
  } while (0)

static void set_prop_str(napi_env env, napi_value obj, const char *key, const char *val) {
  napi_value v;
  if (napi_create_string_utf8(env, val, NAPI_AUTO_LENGTH, &v) == napi_ok)
    napi_set_named_property(env, obj, key, v);
}

static void set_prop_int(napi_env env, napi_value obj, const char *key, int32_t val) {
  napi_value v;
  if (napi_create_int32(env, val, &v) == napi_ok) napi_set_named_property(env, obj, key, v);
}

/* Throws an Error shaped like Node's system errors: message "listen EADDRINUSE 127.0.0.1:6969",
 * .code, .errno (negative), .syscall, and .address/.port when given. */
static void throw_errno(napi_env env, int err, const char *syscall, const char *host, int port) {
  const char *code = uv_err_name(uv_translate_sys_error(err));
  char msg[256];
  if (host != NULL)
    snprintf(msg, sizeof msg, "%s %s %s%s%s:%d", syscall, code, strchr(host, ':') ? "[" : "",
             host, strchr(host, ':') ? "]" : "", port);
  else
    snprintf(msg, sizeof msg, "%s %s (%s)", syscall, code, strerror(err));
  napi_value m, c, e;
  if (napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &m) != napi_ok) return;
  if (napi_create_string_utf8(env, code, NAPI_AUTO_LENGTH, &c) != napi_ok) return;
  if (napi_create_error(env, c, m, &e) != napi_ok) return;
  set_prop_int(env, e, "errno", -err);
  set_prop_str(env, e, "syscall", syscall);
  if (host != NULL) {
    set_prop_str(env, e, "address", host);
    set_prop_int(env, e, "port", port);
  }
  napi_throw(env, e);
}

static void report_pending_exception(napi_env env) {
  bool pending = false;
  napi_is_exception_pending(env, &pending);
  if (!pending) return;
  napi_value err;
  if (napi_get_and_clear_last_exception(env, &err) == napi_ok) napi_fatal_exception(env, err);
}

/* Closes fd, then throws errno `e` for `syscall` (with the address when given); returns -1. */
static int fail_socket(napi_env env, int fd, int e, const char *syscall, const char *host,
                       int port) {
  close(fd);
  throw_errno(env, e, syscall, host, port);
  return -1;
}

/* Opens a non-blocking socket of `type` (SOCK_STREAM or SOCK_DGRAM) bound to host:port and
 * reports the address it got (port 0 picks one). IPv6 sockets are IPv6-only; stream sockets get
 * SO_REUSEADDR; `buffer_bytes` > 0 sets SO_RCVBUF/SO_SNDBUF. `bind_syscall` names bind failures
 * as Node does ("listen" for servers, "bind" for datagram sockets). Returns the fd, or -1 with
 * a JS exception pending. */
static int open_bound_socket(napi_env env, int family, const char *host, int port, int type,
                             int buffer_bytes, const char *bind_syscall, char *bound_host,
                             size_t bound_host_size, int *bound_port) {
  struct sockaddr_in6 addr;
  socklen_t alen;
  memset(&addr, 0, sizeof addr);
  if (family == 4) {
    struct sockaddr_in *a4 = (struct sockaddr_in *)&addr;
    a4->sin_family = AF_INET;
    a4->sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, host, &a4->sin_addr) != 1) {
      throw_errno(env, EINVAL, "bind", host, port);
      return -1;
    }
    alen = sizeof(struct sockaddr_in);
  } else {
    addr.sin6_family = AF_INET6;
    addr.sin6_port = htons((uint16_t)port);
    if (inet_pton(AF_INET6, host, &addr.sin6_addr) != 1) {
      throw_errno(env, EINVAL, "bind", host, port);
      return -1;
    }
    alen = sizeof(struct sockaddr_in6);
  }

  int fd = socket(family == 4 ? AF_INET : AF_INET6, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    throw_errno(env, errno, "socket", NULL, 0);
    return -1;
  }
  int one = 1;
  if ((type == SOCK_STREAM && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0) ||
      (family == 6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) != 0))
    return fail_socket(env, fd, errno, "setsockopt", NULL, 0);
  /* `shoal --workers N`: the worker processes each bind the same port and the kernel spreads
     connections (or datagrams) across them. Only set when the launcher asks, so a second,
     unrelated tracker on a taken port still fails with EADDRINUSE. */
  const char *reuse_port = getenv("SHOAL_REUSEPORT");
  if (reuse_port != NULL && reuse_port[0] == '1' &&
      setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0)
    return fail_socket(env, fd, errno, "setsockopt", NULL, 0);
  if (buffer_bytes > 0 &&
      (setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buffer_bytes, sizeof buffer_bytes) != 0 ||
       setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buffer_bytes, sizeof buffer_bytes) != 0))
    return fail_socket(env, fd, errno, "setsockopt", NULL, 0);
  if (bind(fd, (struct sockaddr *)&addr, alen) != 0)
    return fail_socket(env, fd, errno, bind_syscall, host, port);

  struct sockaddr_in6 bound;
  socklen_t blen = sizeof bound;
  if (getsockname(fd, (struct sockaddr *)&bound, &blen) != 0)
    return fail_socket(env, fd, errno, "getsockname", NULL, 0);
  if (bound.sin6_family == AF_INET) {
    struct sockaddr_in *b4 = (struct sockaddr_in *)&bound;
    inet_ntop(AF_INET, &b4->sin_addr, bound_host, (socklen_t)bound_host_size);
    *bound_port = ntohs(b4->sin_port);
  } else {
    inet_ntop(AF_INET6, &bound.sin6_addr, bound_host, (socklen_t)bound_host_size);
    *bound_port = ntohs(bound.sin6_port);
  }
  return fd;
}

#endif
