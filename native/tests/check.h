// A minimal check harness for the core's C++ unit tests (no Node, no framework).
#pragma once

#include <cstdio>
#include <functional>
#include <string>
#include <vector>

namespace check {

struct Case {
  const char* name;
  std::function<void()> body;
};
inline std::vector<Case>& cases() {
  static std::vector<Case> c;
  return c;
}
inline int& failures() {
  static int f = 0;
  return f;
}
struct Register {
  Register(const char* name, std::function<void()> body) { cases().push_back({name, std::move(body)}); }
};

inline int run_all() {
  int passed = 0, failed = 0;
  for (auto& c : cases()) {
    int before = failures();
    try {
      c.body();
    } catch (const std::exception& e) {
      std::printf("  exception: %s\n", e.what());
      failures()++;
    }
    if (failures() == before) {
      passed++;
      std::printf("ok   %s\n", c.name);
    } else {
      failed++;
      std::printf("FAIL %s\n", c.name);
    }
  }
  std::printf("%d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}

}  // namespace check

#define CHECK_CAT2(a, b) a##b
#define CHECK_CAT(a, b) CHECK_CAT2(a, b)
#define TEST(name) \
  static void CHECK_CAT(test_, __LINE__)(); \
  static check::Register CHECK_CAT(reg_, __LINE__)(name, CHECK_CAT(test_, __LINE__)); \
  static void CHECK_CAT(test_, __LINE__)()
#define CHECK(cond)                                                          \
  do {                                                                       \
    if (!(cond)) {                                                           \
      std::printf("  %s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond); \
      check::failures()++;                                                   \
    }                                                                        \
  } while (0)
#define CHECK_EQ(a, b)                                                                          \
  do {                                                                                          \
    auto va = (a);                                                                              \
    auto vb = (b);                                                                              \
    if (!(va == vb)) {                                                                          \
      std::printf("  %s:%d: CHECK_EQ(%s, %s) failed\n", __FILE__, __LINE__, #a, #b);            \
      check::failures()++;                                                                      \
    }                                                                                           \
  } while (0)
#define CHECK_THROWS(type, expr)                                                             \
  do {                                                                                       \
    bool thrown = false;                                                                     \
    try {                                                                                    \
      expr;                                                                                  \
    } catch (const type&) {                                                                  \
      thrown = true;                                                                         \
    }                                                                                        \
    if (!thrown) {                                                                           \
      std::printf("  %s:%d: %s did not throw %s\n", __FILE__, __LINE__, #expr, #type);       \
      check::failures()++;                                                                   \
    }                                                                                        \
  } while (0)
