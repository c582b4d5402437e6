#include "core/errors.h"
#include "core/nft/objects.h"

namespace netplumb::nft {

namespace {

// Keeps each message well under the socket buffer the batch is sent through.
constexpr size_t kMessageBudget = 60 * 1024;

void put_element(nl::Message& m, const Value& el, size_t index) {
  std::string where = "elements[" + std::to_string(index) + "]";
  size_t nest = m.begin_nest(NFTA_LIST_ELEM);
  put_data(m, NFTA_SET_ELEM_KEY, el["key"], (where + ".key").c_str());
  if (el.has("keyEnd")) put_data(m, NFTA_SET_ELEM_KEY_END, el["keyEnd"], (where + ".keyEnd").c_str());
  if (el.has("data")) put_data(m, NFTA_SET_ELEM_DATA, el["data"], (where + ".data").c_str());
  if (el.has("flags")) m.put_be32(NFTA_SET_ELEM_FLAGS, static_cast<uint32_t>(el.integer("flags")));
  if (el.has("timeout")) m.put_be64(NFTA_SET_ELEM_TIMEOUT, static_cast<uint64_t>(el.integer("timeout")));
  if (el.has("comment")) m.put_bytes(NFTA_SET_ELEM_USERDATA, comment_udata(kElemComment, el.str("comment")));
  m.end_nest(nest);
}

}  // namespace

std::string describe_elements(const Value& e) {
  std::string fam = e["family"].is_string() ? e.str("family") : "?";
  return "set " + fam + " " + e.str_or("table", "?") + " " + e.str_or("set", "?");
}

std::vector<ElementChunk> element_messages(uint16_t nft_msg, uint16_t flags, const Value& e) {
  uint8_t family = family_of(e["family"]);
  const Array& els = e["elements"].as_array("elements");
  std::vector<ElementChunk> out;
  size_t i = 0;
  do {
    ElementChunk chunk{message(nft_msg, flags, family, describe_elements(e)), i, {}};
    nl::Message& m = chunk.msg;
    m.put_str(NFTA_SET_ELEM_LIST_TABLE, e.str("table"));
    m.put_str(NFTA_SET_ELEM_LIST_SET, e.str("set"));
    size_t list = m.begin_nest(NFTA_SET_ELEM_LIST_ELEMENTS);
    for (; i < els.size() && m.size() < kMessageBudget; i++) {
      chunk.starts.push_back(static_cast<uint32_t>(m.size()));
      put_element(m, els[i], i);
    }
    m.end_nest(list);
    // Unique per message, so that a failure can be traced to its chunk.
    m.set_object(describe_elements(e) + " elements " + std::to_string(chunk.first) + "-" +
                 std::to_string(i - 1));
    out.push_back(std::move(chunk));
  } while (i < els.size());
  return out;
}

Value decode_elements(const nlmsghdr* h) {
  Value v{Object{}};
  v.set("family", family_name(family_of_message(h)));
  nl::Attrs a = attrs_of_message(h);
  if (auto x = a.get(NFTA_SET_ELEM_LIST_TABLE)) v.set("table", x->str());
  if (auto x = a.get(NFTA_SET_ELEM_LIST_SET)) v.set("set", x->str());
  Array els;
  if (auto list = a.get(NFTA_SET_ELEM_LIST_ELEMENTS)) {
    for (nl::Attr item : list->nested()) {
      nl::Attrs f = item.nested();
      Value el{Object{}};
      if (auto x = f.get(NFTA_SET_ELEM_KEY)) el.set("key", get_data(*x));
      if (auto x = f.get(NFTA_SET_ELEM_KEY_END)) el.set("keyEnd", get_data(*x));
      if (auto x = f.get(NFTA_SET_ELEM_DATA)) el.set("data", get_data(*x));
      if (auto x = f.get(NFTA_SET_ELEM_FLAGS)) el.set("flags", static_cast<int64_t>(x->be32()));
      if (auto x = f.get(NFTA_SET_ELEM_TIMEOUT)) el.set("timeout", static_cast<int64_t>(x->be64()));
      if (auto x = f.get(NFTA_SET_ELEM_EXPIRATION)) el.set("expiration", static_cast<int64_t>(x->be64()));
      if (auto x = f.get(NFTA_SET_ELEM_USERDATA)) {
        std::string c = comment_of_udata(*x, kElemComment);
        if (!c.empty()) el.set("comment", c);
      }
      els.push_back(std::move(el));
    }
  }
  v.set("elements", Value(std::move(els)));
  return v;
}

}  // namespace netplumb::nft
