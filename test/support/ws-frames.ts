/**
 * WebSocket frames on the wire (RFC 6455 §5.2), written and read by hand for tests that play a
 * server byte by byte against the tunnel's frame reader (src/tunnel/direct-frames.ts) and `ws`.
 */

/**
 * One server→client frame, unmasked unless `mask` (then with the mask key 1 2 3 4 and the payload
 * as given, unmasked: a server must not mask, so this is a malformed frame).
 * @param o.fin false for a fragment that more follow; o.rsv the RSV bits (0–7); o.declared a
 *   payload length to announce other than the payload's own
 */
export function wsFrame(
  opcode: number,
  payload: Buffer,
  o: { fin?: boolean; rsv?: number; mask?: boolean; declared?: number } = {},
): Buffer {
  const b0 = (o.fin === false ? 0 : 0x80) | ((o.rsv ?? 0) << 4) | opcode;
  const n = o.declared ?? payload.length;
  const m = o.mask ? 0x80 : 0;
  let head: Buffer;
  if (n < 126) head = Buffer.from([b0, m | n]);
  else if (n < 65536) {
    head = Buffer.from([b0, m | 126, 0, 0]);
    head.writeUInt16BE(n, 2);
  } else {
    head = Buffer.alloc(10);
    head[0] = b0;
    head[1] = m | 127;
    head.writeBigUInt64BE(BigInt(n), 2);
  }
  return Buffer.concat([head, o.mask ? Buffer.from([1, 2, 3, 4]) : Buffer.alloc(0), payload]);
}

/** Client→server frames (masked) parsed from `buf`: opcode and unmasked payload of each complete one. */
export function clientFrames(buf: Buffer): { opcode: number; payload: Buffer }[] {
  const out = [];
  let off = 0;
  while (off + 2 <= buf.length) {
    const opcode = buf[off] & 0x0f;
    let n = buf[off + 1] & 0x7f;
    let p = off + 2;
    if (n === 126) {
      n = buf.readUInt16BE(p);
      p += 2;
    } else if (n === 127) {
      n = Number(buf.readBigUInt64BE(p));
      p += 8;
    }
    const mask = buf.subarray(p, p + 4);
    p += 4;
    if (p + n > buf.length) break;
    const payload = Buffer.from(buf.subarray(p, p + n));
    for (let i = 0; i < n; i++) payload[i] ^= mask[i % 4];
    out.push({ opcode, payload });
    off = p + n;
  }
  return out;
}
