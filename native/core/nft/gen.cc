#include "core/nft/gen.h"

#include "core/nft/objects.h"

namespace netplumb::nft {

uint32_t read_genid(nl::Socket& sock) {
  nl::Message m = message(NFT_MSG_GETGEN, 0, NFPROTO_UNSPEC, "ruleset generation");
  uint32_t id = 0;
  sock.request(m, [&](size_t, const nlmsghdr* h) {
    if ((h->nlmsg_type & 0xff) == NFT_MSG_NEWGEN) id = static_cast<uint32_t>(decode_gen(h).integer("id"));
  });
  return id;
}

}  // namespace netplumb::nft
