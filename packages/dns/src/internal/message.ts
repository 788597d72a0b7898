/**
 * Building reply messages with dns-packet: header flags, EDNS(0), and truncation to
 * what a UDP client can take (TC set, the client retries over TCP).
 */
import dnsPacket, { type Answer, type DecodedPacket, type Packet } from 'dns-packet';

export const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;
export type RcodeName = keyof typeof RCODE;

/** Classic DNS over UDP without EDNS. */
export const MIN_UDP_PAYLOAD = 512;
/** What we advertise and accept at most (the DNS flag day 2020 value). */
export const EDNS_UDP_PAYLOAD = 1232;

const QR = 0x8000;
const OPCODE_MASK = 0x7800;

export interface ReplyParts {
  rcode: RcodeName;
  authoritative?: boolean;
  answers?: Answer[];
  authorities?: Answer[];
  additionals?: Answer[];
}

/** The query's OPT record, if it has one. */
export function optOf(query: DecodedPacket): Extract<Answer, { type: 'OPT' }> | undefined {
  return (query.additionals ?? []).find((a): a is Extract<Answer, { type: 'OPT' }> => a.type === 'OPT');
}

/** The largest UDP reply this client accepts. */
export function maxUdpSize(query: DecodedPacket): number {
  const opt = optOf(query);
  if (!opt) return MIN_UDP_PAYLOAD;
  return Math.min(Math.max(opt.udpPayloadSize || MIN_UDP_PAYLOAD, MIN_UDP_PAYLOAD), EDNS_UDP_PAYLOAD);
}

/** A reply to `query` (same id, question, opcode, RD and CD; RA set; EDNS if the query had it). */
export function reply(query: DecodedPacket, parts: ReplyParts): Packet {
  const flags =
    ((query.flags ?? 0) & OPCODE_MASK) |
    (parts.authoritative ? dnsPacket.AUTHORITATIVE_ANSWER : 0) |
    (query.flag_rd ? dnsPacket.RECURSION_DESIRED : 0) |
    dnsPacket.RECURSION_AVAILABLE |
    (query.flag_cd ? dnsPacket.CHECKING_DISABLED : 0) |
    RCODE[parts.rcode];
  const additionals = [...(parts.additionals ?? [])];
  if (optOf(query))
    additionals.push({ name: '.', type: 'OPT', udpPayloadSize: EDNS_UDP_PAYLOAD, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [] });
  return {
    type: 'response',
    id: query.id ?? 0,
    flags,
    questions: query.questions ?? [],
    answers: parts.answers ?? [],
    authorities: parts.authorities ?? [],
    additionals,
  };
}

/** Encodes a reply; over UDP, one that does not fit loses its additional records, then everything but the question (TC). */
export function encodeReply(packet: Packet, maxSize: number): Buffer {
  const full = dnsPacket.encode(packet);
  if (full.length <= maxSize) return full;
  const opt = (packet.additionals ?? []).filter((a) => a.type === 'OPT');
  const noGlue = dnsPacket.encode({ ...packet, additionals: opt });
  if (noGlue.length <= maxSize) return noGlue;
  return dnsPacket.encode({ ...packet, flags: (packet.flags ?? 0) | dnsPacket.TRUNCATED_RESPONSE, answers: [], authorities: [], additionals: opt });
}

/** A bare reply built from the raw header alone (for messages we cannot decode): same id and opcode, no question. */
export function headerOnlyReply(raw: Buffer, rcode: RcodeName): Buffer {
  const out = Buffer.alloc(12);
  out.writeUInt16BE(raw.readUInt16BE(0), 0);
  const qflags = raw.readUInt16BE(2);
  out.writeUInt16BE(QR | (qflags & OPCODE_MASK) | (qflags & dnsPacket.RECURSION_DESIRED) | dnsPacket.RECURSION_AVAILABLE | RCODE[rcode], 2);
  return out;
}

/** True if the raw message's QR bit says it is a response. */
export function isResponse(raw: Buffer): boolean {
  return raw.length >= 3 && (raw[2]! & 0x80) !== 0;
}
