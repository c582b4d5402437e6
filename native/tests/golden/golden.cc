#include "golden/golden.h"

#include <linux/netfilter/nf_tables.h>
#include <linux/netlink.h>

#include <cstdio>
#include <cstring>
#include <map>
#include <stdexcept>

#include "check.h"

namespace golden {

namespace {

struct Attr {
  uint16_t type;  // flags masked off
  bool nested;    // NLA_F_NESTED was set
  int index;      // occurrence of this type at its level
  Bytes payload;
};

std::vector<Attr> parse_attrs(const uint8_t* p, size_t len, const std::string& where) {
  std::vector<Attr> out;
  std::map<uint16_t, int> seen;
  size_t off = 0;
  while (off + NLA_HDRLEN <= len) {
    nlattr a;
    std::memcpy(&a, p + off, sizeof a);
    if (a.nla_len < NLA_HDRLEN || off + a.nla_len > len)
      throw std::runtime_error(where + ": malformed attribute at offset " + std::to_string(off));
    uint16_t type = a.nla_type & NLA_TYPE_MASK;
    out.push_back({type, (a.nla_type & NLA_F_NESTED) != 0, seen[type]++,
                   Bytes(p + off + NLA_HDRLEN, p + off + a.nla_len)});
    off += NLA_ALIGN(a.nla_len);
  }
  if (off < len) throw std::runtime_error(where + ": trailing bytes after the attributes");
  return out;
}

std::string path_text(const Path& p) {
  if (p.empty()) return "(message)";
  std::string s;
  for (const Step& st : p) {
    s += "/" + std::to_string(st.type);
    if (st.index > 0) s += "#" + std::to_string(st.index);
  }
  return s;
}

bool matches(const Path& declared, const Path& actual) {
  if (declared.size() != actual.size()) return false;
  for (size_t i = 0; i < declared.size(); i++) {
    if (declared[i].type != actual[i].type) return false;
    if (declared[i].index >= 0 && declared[i].index != actual[i].index) return false;
  }
  return true;
}

struct Comparison {
  const Differences& diff;
  std::vector<std::string> errors;
  std::vector<bool> used_ours, used_theirs, used_patches, used_lists;

  explicit Comparison(const Differences& d)
      : diff(d),
        used_ours(d.only_ours.size()),
        used_theirs(d.only_theirs.size()),
        used_patches(d.patch_theirs.size()),
        used_lists(d.theirs_numbered_lists.size()) {}

  void level(const uint8_t* op, size_t olen, const uint8_t* tp, size_t tlen, const Path& at) {
    std::vector<Attr> ours = parse_attrs(op, olen, "ours " + path_text(at));
    std::vector<Attr> theirs = parse_attrs(tp, tlen, "captured " + path_text(at));
    for (size_t l = 0; l < diff.theirs_numbered_lists.size(); l++) {
      if (!matches(diff.theirs_numbered_lists[l], at)) continue;
      used_lists[l] = true;
      for (size_t i = 0; i < theirs.size(); i++) {
        if (theirs[i].type != i + 1)
          errors.push_back(path_text(at) + ": captured list items are not numbered 1, 2, ...");
        theirs[i].type = NFTA_LIST_ELEM;
        theirs[i].index = static_cast<int>(i);
      }
    }
    drop(ours, diff.only_ours, used_ours, at);
    drop(theirs, diff.only_theirs, used_theirs, at);
    for (Attr& a : theirs) {
      Path here = at;
      here.push_back({a.type, a.index});
      for (size_t i = 0; i < diff.patch_theirs.size(); i++)
        if (matches(diff.patch_theirs[i].path, here)) a.payload = diff.patch_theirs[i].payload, used_patches[i] = true;
    }
    std::vector<uint16_t> otypes, ttypes;
    for (const Attr& a : ours) otypes.push_back(a.type);
    for (const Attr& a : theirs) ttypes.push_back(a.type);
    std::string types = "ours [" + join(otypes) + "], captured [" + join(ttypes) + "]";
    if (!diff.any_order && otypes != ttypes) {
      errors.push_back(path_text(at) + ": attributes or their order differ: " + types);
      return;
    }
    std::multimap<uint16_t, const Attr*> by_type;
    for (const Attr& a : theirs) by_type.insert({a.type, &a});
    if (otypes.size() != ttypes.size()) {
      errors.push_back(path_text(at) + ": attributes differ: " + types);
      return;
    }
    for (const Attr& o : ours) {
      auto it = by_type.find(o.type);
      if (it == by_type.end()) {
        errors.push_back(path_text(at) + ": attributes differ: " + types);
        return;
      }
      const Attr& t = *it->second;
      by_type.erase(it);
      Path here = at;
      here.push_back({o.type, o.index});
      pair(o, t, here);
    }
  }

  void pair(const Attr& o, const Attr& t, const Path& here) {
    if (o.nested != t.nested && !(o.nested && diff.theirs_unflagged_nests)) {
      errors.push_back(path_text(here) + ": NLA_F_NESTED differs");
      return;
    }
    if (!o.nested && !t.nested) {
      if (o.payload != t.payload)
        errors.push_back(path_text(here) + ": payload ours " + to_hex(o.payload) + ", captured " + to_hex(t.payload));
      return;
    }
    size_t skip = 0;
    for (const auto& [p, n] : diff.nest_headers)
      if (matches(p, here)) skip = n;
    if (o.payload.size() < skip || t.payload.size() < skip ||
        std::memcmp(o.payload.data(), t.payload.data(), skip) != 0) {
      errors.push_back(path_text(here) + ": nest header differs");
      return;
    }
    level(o.payload.data() + skip, o.payload.size() - skip, t.payload.data() + skip, t.payload.size() - skip, here);
  }

  static void drop(std::vector<Attr>& attrs, const std::vector<Path>& declared, std::vector<bool>& used,
                   const Path& at) {
    std::vector<Attr> kept;
    for (Attr& a : attrs) {
      Path here = at;
      here.push_back({a.type, a.index});
      bool dropped = false;
      for (size_t i = 0; i < declared.size(); i++)
        if (matches(declared[i], here)) dropped = true, used[i] = true;
      if (!dropped) kept.push_back(std::move(a));
    }
    attrs = std::move(kept);
  }

  static std::string join(const std::vector<uint16_t>& v) {
    std::string s;
    for (size_t i = 0; i < v.size(); i++) s += (i ? " " : "") + std::to_string(v[i]);
    return s;
  }
};

void dump_level(std::string& out, const uint8_t* p, size_t len, int depth) {
  size_t off = 0;
  while (off + NLA_HDRLEN <= len) {
    nlattr a;
    std::memcpy(&a, p + off, sizeof a);
    if (a.nla_len < NLA_HDRLEN || off + a.nla_len > len) {
      out += std::string(depth * 2, ' ') + "(malformed)\n";
      return;
    }
    Bytes payload(p + off + NLA_HDRLEN, p + off + a.nla_len);
    out += std::string(depth * 2, ' ') + std::to_string(a.nla_type & NLA_TYPE_MASK);
    if (a.nla_type & NLA_F_NESTED) {
      out += " {\n";
      dump_level(out, payload.data(), payload.size(), depth + 1);
      out += std::string(depth * 2, ' ') + "}\n";
    } else {
      out += ": " + to_hex(payload) + "\n";
    }
    off += NLA_ALIGN(a.nla_len);
  }
}

uint16_t u16_at(const Bytes& b, size_t off) {
  uint16_t v;
  std::memcpy(&v, b.data() + off, 2);
  return v;
}
uint32_t u32_at(const Bytes& b, size_t off) {
  uint32_t v;
  std::memcpy(&v, b.data() + off, 4);
  return v;
}

std::vector<std::string> compare(const Bytes& ours, const Bytes& theirs, const Differences& diff) {
  size_t head = NLMSG_HDRLEN + NLMSG_ALIGN(diff.family_header);
  if (ours.size() < head || theirs.size() < head) return {"a message is shorter than its headers"};
  std::vector<std::string> errors;
  if (u32_at(ours, 0) != ours.size() || u32_at(theirs, 0) != theirs.size())
    errors.push_back("nlmsg_len is not the length");
  if (u16_at(ours, 4) != u16_at(theirs, 4)) errors.push_back("nlmsg_type differs");
  uint16_t of = u16_at(ours, 6), tf = u16_at(theirs, 6);
  if ((of & diff.flags_only_ours) != diff.flags_only_ours || (tf & diff.flags_only_theirs) != diff.flags_only_theirs ||
      of != ((tf & ~diff.flags_only_theirs) | diff.flags_only_ours)) {
    char buf[96];
    std::snprintf(buf, sizeof buf, "nlmsg_flags ours 0x%x, captured 0x%x", of, tf);
    errors.push_back(buf);
  }
  if (u32_at(ours, 8) || u32_at(ours, 12) || u32_at(theirs, 8) || u32_at(theirs, 12))
    errors.push_back("nlmsg_seq and nlmsg_pid must be zero on both sides");
  Bytes th(theirs.begin() + NLMSG_HDRLEN, theirs.begin() + head);
  for (auto [off, byte] : diff.header_patch_theirs) th.at(off) = byte;
  if (!std::equal(th.begin(), th.end(), ours.begin() + NLMSG_HDRLEN))
    errors.push_back("family header ours " + to_hex(Bytes(ours.begin() + NLMSG_HDRLEN, ours.begin() + head)) +
                     ", captured (patched) " + to_hex(th));
  Comparison c(diff);
  try {
    c.level(ours.data() + head, ours.size() - head, theirs.data() + head, theirs.size() - head, {});
  } catch (const std::exception& e) {
    c.errors.push_back(e.what());
  }
  for (size_t i = 0; i < diff.only_ours.size(); i++)
    if (!c.used_ours[i]) c.errors.push_back("declared only in ours but absent: " + path_text(diff.only_ours[i]));
  for (size_t i = 0; i < diff.only_theirs.size(); i++)
    if (!c.used_theirs[i])
      c.errors.push_back("declared only in the capture but absent: " + path_text(diff.only_theirs[i]));
  for (size_t i = 0; i < diff.patch_theirs.size(); i++)
    if (!c.used_patches[i])
      c.errors.push_back("patch target absent from the capture: " + path_text(diff.patch_theirs[i].path));
  for (size_t i = 0; i < diff.theirs_numbered_lists.size(); i++)
    if (!c.used_lists[i])
      c.errors.push_back("numbered list absent from the capture: " + path_text(diff.theirs_numbered_lists[i]));
  errors.insert(errors.end(), c.errors.begin(), c.errors.end());
  return errors;
}

void expect_bytes(const Bytes& ours, const char* pinned_hex, const char* captured_hex, const Differences& diff) {
  Bytes pinned = hex(pinned_hex);
  Bytes captured = hex(captured_hex);
  bool failed = false;
  if (ours != pinned) {
    size_t at = 0;
    while (at < ours.size() && at < pinned.size() && ours[at] == pinned[at]) at++;
    std::printf(
        "  bytes differ from the pinned ones at offset %zu (ours %zu bytes, pinned %zu)\n  ours:   %s\n  pinned: %s\n",
                at, ours.size(), pinned.size(), to_hex(ours).c_str(), pinned_hex);
    failed = true;
  }
  // The pinned bytes, not the built ones, are held to the capture: a
  // regression shows above, and here only what the pin itself says.
  for (const std::string& e : compare(pinned, captured, diff)) {
    std::printf("  pinned vs captured: %s\n", e.c_str());
    failed = true;
  }
  if (failed) {
    std::printf("  ours:\n%s  captured:\n%s", dump(ours, diff.family_header).c_str(),
                dump(captured, diff.family_header).c_str());
    check::failures()++;
  }
}

}  // namespace

Bytes hex(const char* text) {
  Bytes out;
  int hi = -1;
  for (const char* p = text; *p; p++) {
    char ch = *p;
    if (ch == ' ' || ch == '\n' || ch == '\t') continue;
    int v = ch >= '0' && ch <= '9' ? ch - '0' : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
    if (v < 0) throw std::runtime_error(std::string("not lower-case hex: '") + ch + "'");
    if (hi < 0) {
      hi = v;
    } else {
      out.push_back(static_cast<uint8_t>(hi << 4 | v));
      hi = -1;
    }
  }
  if (hi >= 0) throw std::runtime_error("odd number of hex digits");
  return out;
}

std::string to_hex(const Bytes& b) {
  static const char* d = "0123456789abcdef";
  std::string s;
  for (uint8_t x : b) s += d[x >> 4], s += d[x & 15];
  return s;
}

Bytes bytes_of(const netplumb::nl::Message& m) {
  Bytes b(m.data(), m.data() + m.size());
  std::memset(b.data() + 8, 0, 8);
  return b;
}

std::string dump(const Bytes& msg, size_t family_header) {
  size_t head = NLMSG_HDRLEN + NLMSG_ALIGN(family_header);
  if (msg.size() < head) return "(short message)\n";
  char buf[128];
  std::snprintf(buf, sizeof buf, "type 0x%x flags 0x%x, family header %s\n", u16_at(msg, 4), u16_at(msg, 6),
                to_hex(Bytes(msg.begin() + NLMSG_HDRLEN, msg.begin() + head)).c_str());
  std::string out = buf;
  dump_level(out, msg.data() + head, msg.size() - head, 1);
  return out;
}

void expect(const netplumb::nl::Message& ours, const char* pinned_hex, const char* captured_hex,
            const Differences& diff) {
  expect_bytes(bytes_of(ours), pinned_hex, captured_hex, diff);
}

}  // namespace golden
