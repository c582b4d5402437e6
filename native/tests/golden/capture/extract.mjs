// Reads `strace -e write=all -xx` output on stdin and prints every netlink
// request that creates or changes something (not dumps, not nfnetlink batch
// brackets), one per line as hex, with nlmsg_seq and nlmsg_pid zeroed: the
// form the golden fixtures hold. Used once to capture what `ip`, `bridge` and
// `nft` send; the tests never run it.
import { readFileSync } from 'node:fs';

const lines = readFileSync(0, 'utf8').split('\n');
const NFNL_SUBSYS_NFTABLES = 10;
const calls = [];
let cur = null;
for (const line of lines) {
  if (/^(\[pid +\d+\] |\d+ +)?(sendmsg|sendto)\(/.test(line)) {
    cur = [];
    calls.push(cur);
    continue;
  }
  // " | 00010  hh hh .. hh  hh .. hh  ascii |": the hex sits in fixed columns.
  if (cur && /^ \| [0-9a-f]{5}  /.test(line))
    for (const b of line.slice(10, 59).trim().split(/ +/)) if (b) cur.push(parseInt(b, 16));
}

for (const bytes of calls) {
  const buf = Buffer.from(bytes);
  // 0x10/0x11 are NFNL_MSG_BATCH_BEGIN/END in a call that carries nf_tables
  // messages, and RTM_NEWLINK/RTM_DELLINK anywhere else.
  let nftCall = false;
  for (let off = 0; off + 16 <= buf.length; ) {
    const len = buf.readUInt32LE(off);
    if (len < 16) break;
    if (buf.readUInt16LE(off + 4) >> 8 === NFNL_SUBSYS_NFTABLES) nftCall = true;
    off += (len + 3) & ~3;
  }
  for (let off = 0; off + 16 <= buf.length; ) {
    const len = buf.readUInt32LE(off);
    if (len < 16 || off + len > buf.length) break;
    const type = buf.readUInt16LE(off + 4);
    const flags = buf.readUInt16LE(off + 6);
    const msg = Buffer.from(buf.subarray(off, off + len));
    off += (len + 3) & ~3;
    const isDump = (flags & 0x300) === 0x300;
    const nft = type >> 8 === NFNL_SUBSYS_NFTABLES;
    const batch = nftCall && (type === 0x10 || type === 0x11);
    const rtnlGet = type < 0x100 && (type & 3) === 2;  // RTM_GET*
    const nftGet = nft && [1, 4, 7, 10, 13, 16].includes(type & 0xff);
    if (isDump || batch || rtnlGet || nftGet) continue;
    msg.writeUInt32LE(0, 8);   // nlmsg_seq
    msg.writeUInt32LE(0, 12);  // nlmsg_pid
    console.log(`type=0x${type.toString(16)} flags=0x${flags.toString(16)} len=${len}`);
    console.log(msg.toString('hex'));
  }
}
