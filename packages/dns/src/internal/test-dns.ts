/**
 * For tests: DNS queries over loopback UDP and TCP with dns-packet, and a tiny fake
 * upstream resolver (UDP and TCP on one 127.0.0.1 port) that answers from a table and
 * stays silent for names it is told to ignore.
 */
import { createSocket } from 'node:dgram';
import { connect, type Socket } from 'node:net';
import dnsPacket, { type Answer, type DecodedPacket, type Packet } from 'dns-packet';
import { bindUdpAndTcp } from '../server.ts';

export const RCODES = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED'] as const;

export function rcodeOf(p: DecodedPacket): string {
  return RCODES[(p.flags ?? 0) & 0xf] ?? String((p.flags ?? 0) & 0xf);
}

export interface QueryOptions {
  id?: number;
  /** Add an EDNS(0) OPT record advertising this UDP payload size. */
  edns?: number;
  timeoutMs?: number;
  class?: string;
}

export function buildQuery(name: string, type: string, o: QueryOptions = {}): Buffer {
  const packet: Packet = {
    type: 'query',
    id: o.id ?? Math.floor(Math.random() * 65536),
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ name, type: type as 'A', class: (o.class ?? 'IN') as 'IN' }],
  };
  if (o.edns)
    packet.additionals = [{ name: '.', type: 'OPT', udpPayloadSize: o.edns, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [] }];
  return dnsPacket.encode(packet);
}

/** Sends raw bytes over UDP; resolves with the raw reply. */
export function udpExchange(port: number, msg: Buffer, timeoutMs = 3000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    const timer = setTimeout(() => {
      s.close();
      reject(new Error('udp query timed out'));
    }, timeoutMs);
    s.on('message', (m) => {
      clearTimeout(timer);
      s.close();
      resolve(m);
    });
    s.send(msg, port, '127.0.0.1');
  });
}

export async function queryUdp(port: number, name: string, type: string, o: QueryOptions = {}): Promise<DecodedPacket & { raw: Buffer }> {
  const raw = await udpExchange(port, buildQuery(name, type, o), o.timeoutMs);
  return Object.assign(dnsPacket.decode(raw), { raw });
}

/** Several queries on one TCP connection, written at once; replies in the order they arrive. */
export function tcpExchange(port: number, msgs: Buffer[], timeoutMs = 3000): Promise<Buffer[]> {
  return new Promise((resolve, reject) => {
    const s = connect({ port, host: '127.0.0.1' });
    const out: Buffer[] = [];
    let buf: Buffer = Buffer.alloc(0);
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error('tcp query timed out'));
    }, timeoutMs);
    s.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    s.on('connect', () => {
      s.write(Buffer.concat(msgs.map((m) => Buffer.concat([Buffer.from([m.length >> 8, m.length & 0xff]), m]))));
    });
    s.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        out.push(Buffer.from(buf.subarray(2, 2 + buf.readUInt16BE(0))));
        buf = buf.subarray(2 + buf.readUInt16BE(0));
      }
      if (out.length === msgs.length) {
        clearTimeout(timer);
        s.destroy();
        resolve(out);
      }
    });
  });
}

export async function queryTcp(port: number, name: string, type: string, o: QueryOptions = {}): Promise<DecodedPacket> {
  const [raw] = await tcpExchange(port, [buildQuery(name, type, o)], o.timeoutMs);
  return dnsPacket.decode(raw!);
}

export interface FakeUpstream {
  port: number;
  /** Every query received: transport, id and first question. */
  received: Array<{ transport: 'udp' | 'tcp'; id: number; name: string; type: string }>;
  close(): Promise<void>;
}

/**
 * Answers `records[lowercase name]` (filtered by type; NXDOMAIN if the name is unknown),
 * never answers names in `silent`.
 */
export async function startFakeUpstream(records: Record<string, Answer[]>, silent: string[] = []): Promise<FakeUpstream> {
  const received: FakeUpstream['received'] = [];
  const answer = (msg: Buffer, transport: 'udp' | 'tcp'): Buffer | undefined => {
    const q = dnsPacket.decode(msg);
    const question = q.questions?.[0];
    if (!question) return undefined;
    const name = question.name.toLowerCase();
    received.push({ transport, id: q.id ?? 0, name, type: question.type });
    if (silent.includes(name)) return undefined;
    const known = records[name];
    const answers = (known ?? []).filter((a) => a.type === question.type || a.type === 'CNAME');
    return dnsPacket.encode({
      type: 'response',
      id: q.id,
      flags: dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE | (known ? 0 : 3),
      questions: q.questions,
      answers,
    });
  };
  const sockets = new Set<Socket>();
  const { udp, tcp, port } = await bindUdpAndTcp('127.0.0.1', 4, 0);
  tcp.on('connection', serveTcp);
  udp.on('message', (msg, rinfo) => {
    const out = answer(msg, 'udp');
    if (out) udp.send(out, rinfo.port, rinfo.address);
  });
  function serveTcp(s: Socket): void {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
    let buf: Buffer = Buffer.alloc(0);
    s.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const msg = buf.subarray(2, 2 + buf.readUInt16BE(0));
        buf = buf.subarray(2 + msg.length);
        const out = answer(Buffer.from(msg), 'tcp');
        if (out) s.write(Buffer.concat([Buffer.from([out.length >> 8, out.length & 0xff]), out]));
      }
    });
  }
  return {
    port,
    received,
    async close() {
      for (const s of sockets) s.destroy();
      await Promise.all([new Promise<void>((r) => udp.close(() => r())), new Promise<void>((r) => tcp.close(() => r()))]);
    },
  };
}
