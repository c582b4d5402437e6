#include "core/value_json.h"

#include <cmath>
#include <cstdlib>
#include <string>

#include "core/errors.h"

namespace netplumb {

namespace {

class Parser {
 public:
  Parser(std::string_view s, const char* what) : s_(s), what_(what) {}

  Value document() {
    Value v = value(0);
    space();
    if (i_ != s_.size()) fail("text after the value");
    return v;
  }

 private:
  std::string_view s_;
  const char* what_;
  size_t i_ = 0;

  [[noreturn]] void fail(const std::string& why) const {
    throw InvalidArgument(what_, std::string(what_) + " is not valid JSON: " + why + " at offset " + std::to_string(i_));
  }

  void space() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\n' || s_[i_] == '\r' || s_[i_] == '\t')) i_++;
  }

  bool take(char c) {
    space();
    if (i_ < s_.size() && s_[i_] == c) {
      i_++;
      return true;
    }
    return false;
  }

  void expect(char c) {
    if (!take(c)) fail(std::string("expected '") + c + "'");
  }

  bool word(std::string_view w) {
    if (s_.substr(i_, w.size()) != w) return false;
    i_ += w.size();
    return true;
  }

  Value value(int depth) {
    if (depth > 64) fail("nesting deeper than 64");
    space();
    if (i_ >= s_.size()) fail("unexpected end");
    char c = s_[i_];
    if (c == '{') return object(depth);
    if (c == '[') return array(depth);
    if (c == '"') return Value(string());
    if (c == '-' || (c >= '0' && c <= '9')) return number();
    if (word("true")) return Value(true);
    if (word("false")) return Value(false);
    if (word("null")) return Value();
    fail("unexpected character");
  }

  Value object(int depth) {
    i_++;
    Object out;
    if (take('}')) return Value(std::move(out));
    do {
      space();
      if (i_ >= s_.size() || s_[i_] != '"') fail("expected a member name");
      std::string k = string();
      expect(':');
      Value v = value(depth + 1);
      out.insert_or_assign(std::move(k), std::move(v));
    } while (take(','));
    expect('}');
    return Value(std::move(out));
  }

  Value array(int depth) {
    i_++;
    Array out;
    if (take(']')) return Value(std::move(out));
    do out.push_back(value(depth + 1));
    while (take(','));
    expect(']');
    return Value(std::move(out));
  }

  unsigned hex4() {
    if (i_ + 4 > s_.size()) fail("short \\u escape");
    unsigned u = 0;
    for (int k = 0; k < 4; k++) {
      char h = s_[i_++];
      u <<= 4;
      if (h >= '0' && h <= '9') u |= static_cast<unsigned>(h - '0');
      else if (h >= 'a' && h <= 'f') u |= static_cast<unsigned>(h - 'a' + 10);
      else if (h >= 'A' && h <= 'F') u |= static_cast<unsigned>(h - 'A' + 10);
      else fail("bad \\u escape");
    }
    return u;
  }

  static void utf8(std::string& out, unsigned cp) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xC0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xE0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }

  std::string string() {
    i_++;  // the opening quote
    std::string out;
    for (;;) {
      size_t run = i_;
      while (i_ < s_.size() && s_[i_] != '"' && s_[i_] != '\\' && static_cast<unsigned char>(s_[i_]) >= 0x20) i_++;
      out.append(s_.data() + run, i_ - run);
      if (i_ >= s_.size()) fail("unterminated string");
      char c = s_[i_++];
      if (c == '"') return out;
      if (c != '\\') fail("control character in a string");
      if (i_ >= s_.size()) fail("unterminated escape");
      char e = s_[i_++];
      switch (e) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          unsigned cp = hex4();
          if (cp >= 0xD800 && cp < 0xDC00 && word("\\u")) {
            unsigned lo = hex4();
            if (lo < 0xDC00 || lo > 0xDFFF) fail("unpaired surrogate");
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          }
          utf8(out, cp);
          break;
        }
        default:
          fail("unknown escape");
      }
    }
  }

  Value number() {
    size_t start = i_;
    if (s_[i_] == '-') i_++;
    bool integral = true;
    while (i_ < s_.size()) {
      char c = s_[i_];
      if (c >= '0' && c <= '9') {
        i_++;
      } else if (c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-') {
        integral = false;
        i_++;
      } else {
        break;
      }
    }
    std::string text(s_.substr(start, i_ - start));
    char* end = nullptr;
    // As from_js does: a whole number that a double holds exactly is an integer.
    double d = std::strtod(text.c_str(), &end);
    if (end != text.c_str() + text.size() || text == "-") fail("bad number");
    if (integral || (std::isfinite(d) && std::trunc(d) == d && std::fabs(d) < 9007199254740992.0)) {
      if (std::fabs(d) < 9007199254740992.0) return Value(static_cast<int64_t>(d));
    }
    return Value(d);
  }
};

}  // namespace

Value parse_json(std::string_view text, const char* what) { return Parser(text, what).document(); }

}  // namespace netplumb
