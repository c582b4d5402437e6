#include "json.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void json_add_string(struct buf *out, const char *s, size_t n) {
  static const char hex[] = "0123456789abcdef";
  buf_addc(out, '"');
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == '"' || c == '\\') {
      buf_addc(out, '\\');
      buf_addc(out, (char)c);
    } else if (c == '\n') {
      buf_adds(out, "\\n");
    } else if (c == '\t') {
      buf_adds(out, "\\t");
    } else if (c == '\r') {
      buf_adds(out, "\\r");
    } else if (c < 0x20) {
      char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
      buf_add(out, esc, sizeof esc);
    } else {
      /* UTF-8 passes through as it is: JSON text is UTF-8. */
      buf_addc(out, (char)c);
    }
  }
  buf_addc(out, '"');
}

struct reader {
  const char *p;
  const char *end;
};

static void skip_ws(struct reader *r) {
  while (r->p < r->end && (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r')) r->p++;
}

static int expect(struct reader *r, char c) {
  skip_ws(r);
  if (r->p >= r->end || *r->p != c) return -1;
  r->p++;
  return 0;
}

static int hex4(const char *p, uint32_t *out) {
  uint32_t v = 0;
  for (int i = 0; i < 4; i++) {
    char c = p[i];
    v <<= 4;
    if (c >= '0' && c <= '9') v |= (uint32_t)(c - '0');
    else if (c >= 'a' && c <= 'f') v |= (uint32_t)(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F') v |= (uint32_t)(c - 'A' + 10);
    else return -1;
  }
  *out = v;
  return 0;
}

static void add_utf8(struct buf *out, uint32_t cp) {
  char b[4];
  if (cp < 0x80) {
    buf_addc(out, (char)cp);
  } else if (cp < 0x800) {
    b[0] = (char)(0xc0 | (cp >> 6));
    b[1] = (char)(0x80 | (cp & 0x3f));
    buf_add(out, b, 2);
  } else if (cp < 0x10000) {
    b[0] = (char)(0xe0 | (cp >> 12));
    b[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
    b[2] = (char)(0x80 | (cp & 0x3f));
    buf_add(out, b, 3);
  } else {
    b[0] = (char)(0xf0 | (cp >> 18));
    b[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
    b[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
    b[3] = (char)(0x80 | (cp & 0x3f));
    buf_add(out, b, 4);
  }
}

/* A string literal; decoded into out when out is not NULL. */
static int read_string(struct reader *r, struct buf *out) {
  if (expect(r, '"') < 0) return -1;
  while (r->p < r->end) {
    char c = *r->p++;
    if (c == '"') return 0;
    if (c != '\\') {
      if (out) buf_addc(out, c);
      continue;
    }
    if (r->p >= r->end) return -1;
    char e = *r->p++;
    uint32_t cp;
    switch (e) {
      case '"': case '\\': case '/': cp = (uint32_t)e; break;
      case 'b': cp = '\b'; break;
      case 'f': cp = '\f'; break;
      case 'n': cp = '\n'; break;
      case 'r': cp = '\r'; break;
      case 't': cp = '\t'; break;
      case 'u':
        if (r->end - r->p < 4 || hex4(r->p, &cp) < 0) return -1;
        r->p += 4;
        /* A high surrogate followed by a low one is one code point. */
        if (cp >= 0xd800 && cp < 0xdc00 && r->end - r->p >= 6 && r->p[0] == '\\' && r->p[1] == 'u') {
          uint32_t lo;
          if (hex4(r->p + 2, &lo) == 0 && lo >= 0xdc00 && lo < 0xe000) {
            cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
            r->p += 6;
          }
        }
        break;
      default: return -1;
    }
    if (out) add_utf8(out, cp);
  }
  return -1;
}

/* Skips any value (nested objects and arrays included). */
static int skip_value(struct reader *r) {
  skip_ws(r);
  if (r->p >= r->end) return -1;
  char c = *r->p;
  if (c == '"') return read_string(r, NULL);
  if (c == '{' || c == '[') {
    char close = c == '{' ? '}' : ']';
    r->p++;
    skip_ws(r);
    if (r->p < r->end && *r->p == close) {
      r->p++;
      return 0;
    }
    for (;;) {
      if (c == '{') {
        if (read_string(r, NULL) < 0 || expect(r, ':') < 0) return -1;
      }
      if (skip_value(r) < 0) return -1;
      skip_ws(r);
      if (r->p >= r->end) return -1;
      if (*r->p == ',') {
        r->p++;
        continue;
      }
      if (*r->p == close) {
        r->p++;
        return 0;
      }
      return -1;
    }
  }
  /* A number, true, false or null: up to the next delimiter. */
  const char *start = r->p;
  while (r->p < r->end && !strchr(",}] \t\r\n", *r->p)) r->p++;
  return r->p > start ? 0 : -1;
}

static int read_int(struct reader *r, int *out) {
  skip_ws(r);
  char tmp[24];
  size_t n = 0;
  while (r->p < r->end && n < sizeof tmp - 1 && (*r->p == '-' || (*r->p >= '0' && *r->p <= '9'))) tmp[n++] = *r->p++;
  if (n == 0) return -1;
  tmp[n] = '\0';
  char *endp;
  long v = strtol(tmp, &endp, 10);
  if (*endp != '\0' || v < 0 || v > 255) return -1;
  *out = (int)v;
  return 0;
}

int json_read_answer(const char *text, size_t len, int *exit_code, struct buf *stdout_text) {
  struct reader r = {text, text + len};
  int have_code = 0, have_stdout = 0;
  if (expect(&r, '{') < 0) return -1;
  skip_ws(&r);
  if (r.p < r.end && *r.p == '}') return -1;
  for (;;) {
    struct buf key = {0};
    if (read_string(&r, &key) < 0 || expect(&r, ':') < 0) {
      free(key.data);
      return -1;
    }
    int rc;
    if (key.data && strcmp(key.data, "exitCode") == 0) {
      rc = read_int(&r, exit_code);
      have_code = rc == 0;
    } else if (key.data && strcmp(key.data, "stdout") == 0) {
      stdout_text->len = 0;
      buf_reserve(stdout_text, 0);
      stdout_text->data[0] = '\0';
      rc = read_string(&r, stdout_text);
      have_stdout = rc == 0;
    } else {
      rc = skip_value(&r);
    }
    free(key.data);
    if (rc < 0) return -1;
    skip_ws(&r);
    if (r.p < r.end && *r.p == ',') {
      r.p++;
      continue;
    }
    if (expect(&r, '}') < 0) return -1;
    break;
  }
  return have_code && have_stdout ? 0 : -1;
}
