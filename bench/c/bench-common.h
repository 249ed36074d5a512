/*
 * Helpers shared by the one-file C benchmark tools (bench/wsload, bench/wsfloor): fatal errors,
 * a growable byte buffer with a consumed prefix (outgoing queues, frame scratch), and splitmix64.
 * Define TOOL_NAME (the prefix of error messages) before including this. Everything is static
 * inline, so a tool that does not use a helper gets no unused-function warning.
 */
#ifndef SHOAL_BENCH_COMMON_H
#define SHOAL_BENCH_COMMON_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef TOOL_NAME
#error "define TOOL_NAME before including bench-common.h"
#endif

static void die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
static void die(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs(TOOL_NAME ": ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  exit(2);
}

static inline void *xrealloc(void *p, size_t n) {
  p = realloc(p, n);
  if (p == NULL && n > 0) die("out of memory");
  return p;
}

struct buf {
  uint8_t *p;
  size_t len, off, cap; /* bytes [off, len) are pending */
};

static inline void buf_reserve(struct buf *b, size_t extra) {
  if (b->len + extra <= b->cap) return;
  if (b->off > 0) { /* drop what was consumed before growing */
    memmove(b->p, b->p + b->off, b->len - b->off);
    b->len -= b->off;
    b->off = 0;
    if (b->len + extra <= b->cap) return;
  }
  size_t cap = b->cap ? b->cap : 256;
  while (cap < b->len + extra) cap *= 2;
  b->p = xrealloc(b->p, cap);
  b->cap = cap;
}

static inline void buf_put(struct buf *b, const void *data, size_t n) {
  buf_reserve(b, n);
  memcpy(b->p + b->len, data, n);
  b->len += n;
}

static inline size_t buf_pending(const struct buf *b) { return b->len - b->off; }

static inline void buf_consume(struct buf *b, size_t n) {
  b->off += n;
  if (b->off == b->len) b->off = b->len = 0;
}

static inline void buf_free(struct buf *b) {
  free(b->p);
  memset(b, 0, sizeof *b);
}

/* splitmix64; each tool seeds rng_state (from getrandom() or --seed). */
static uint64_t rng_state;

static inline uint64_t rng64(void) {
  uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

#endif
