// DNS over TCP frames each message with a two-byte big-endian length
// (RFC 1035 4.2.2); a stream may carry several messages, split anywhere.

/** `message` with its length prefix. */
export function frame(message: Uint8Array): Buffer {
  if (message.length > 0xffff) throw new RangeError(`a DNS message over TCP is at most 65535 bytes, got ${message.length}`);
  const prefix = Buffer.alloc(2);
  prefix.writeUInt16BE(message.length, 0);
  return Buffer.concat([prefix, message]);
}

/** Collects stream chunks and hands out each complete message once all its bytes are in. */
export class FrameReader {
  private buffered: Buffer = Buffer.alloc(0);

  push(chunk: Uint8Array): Buffer[] {
    this.buffered = this.buffered.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.buffered, chunk]);
    const messages: Buffer[] = [];
    let pos = 0;
    while (this.buffered.length - pos >= 2) {
      const length = this.buffered.readUInt16BE(pos);
      if (this.buffered.length - pos - 2 < length) break;
      messages.push(Buffer.from(this.buffered.subarray(pos + 2, pos + 2 + length)));
      pos += 2 + length;
    }
    this.buffered = this.buffered.subarray(pos);
    return messages;
  }

  /** Bytes of a message not yet complete. */
  get pendingBytes(): number {
    return this.buffered.length;
  }
}
