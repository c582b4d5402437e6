// Message builders and decoders for nf_tables objects. A builder takes the
// object as a Value (the same shape the decoder returns) and the message
// type and flags to send; a decoder reads a kernel message (a dump entry or
// an event) back into that shape.
#pragma once

#include <vector>

#include "core/nft/common.h"

namespace netplumb::nft {

// {family, name, flags?: ["dormant"|"owner"|"persist"], comment?}
nl::Message table_message(uint16_t nft_msg, uint16_t flags, const Value& t);
Value decode_table(const nlmsghdr* h);
std::string describe_table(const Value& t);

// {family, table, name, type?, hook?, priority?, policy?, device?, comment?}
nl::Message chain_message(uint16_t nft_msg, uint16_t flags, const Value& c);
Value decode_chain(const nlmsghdr* h);
std::string describe_chain(const Value& c);

// {family, table, chain, handle?, position?, exprs?, comment?}
nl::Message rule_message(uint16_t nft_msg, uint16_t flags, const Value& r);
Value decode_rule(const nlmsghdr* h);
std::string describe_rule(const Value& r);

// {family, table, name, keyType, keyLen, flags?, dataType?, dataLen?, fields?, timeout?, size?,
//  comment?, keyByteorder?, dataByteorder? ("host" | "big", kept in userdata for nft)}
nl::Message set_message(uint16_t nft_msg, uint16_t flags, const Value& s);
Value decode_set(const nlmsghdr* h);
std::string describe_set(const Value& s);

// {family, table, set, elements: [{key, keyEnd?, data?, flags?, timeout?, comment?}]}
// as one or more messages (the kernel takes a message up to the socket's
// send buffer; big element lists are split). `starts` receives, per message,
// the offset of each element's attribute so that an extended-ACK offset can be
// mapped back to the element.
struct ElementChunk {
  nl::Message msg;
  size_t first;                 // index of the first element in this message
  std::vector<uint32_t> starts;  // offset of each element's nest in msg
};
std::vector<ElementChunk> element_messages(uint16_t nft_msg, uint16_t flags, const Value& e);
Value decode_elements(const nlmsghdr* h);
std::string describe_elements(const Value& e);

// NEWGEN: {id}
Value decode_gen(const nlmsghdr* h);

}  // namespace netplumb::nft
