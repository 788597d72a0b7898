/**
 * One DNS message in, one reply out: cluster names from the zone (authoritative),
 * everything else relayed to the upstreams (SERVFAIL if none answers). An ExternalName
 * CNAME is followed upstream, as CoreDNS does, so a client gets the addresses at once.
 */
import { randomInt } from 'node:crypto';
import dnsPacket, { type Answer, type DecodedPacket } from 'dns-packet';
import type { Logger } from 'pino';
import type { Forwarder, Transport } from './forwarder.ts';
import { encodeReply, headerOnlyReply, isResponse, maxUdpSize, type RcodeName, type ReplyParts, reply } from './internal/message.ts';
import type { ClusterZone } from './zone.ts';

export interface QueryHandlerOptions {
  zone: ClusterZone;
  forwarder: Forwarder;
  logger: Logger;
}

/** Replies to a raw query; undefined means drop it (not a query, or too short to answer). */
export type QueryHandler = (msg: Buffer, transport: Transport) => Promise<Buffer | undefined>;

export function createQueryHandler(o: QueryHandlerOptions): QueryHandler {
  const { zone, forwarder, logger: log } = o;

  /** The addresses (or whatever `type` asks) of an out-of-cluster CNAME target; [] if upstream cannot say. */
  async function chase(target: string, type: string): Promise<Answer[]> {
    const q = dnsPacket.encode({
      type: 'query',
      id: randomInt(0, 65536),
      flags: dnsPacket.RECURSION_DESIRED,
      questions: [{ name: target, type: type as 'A', class: 'IN' }],
    });
    try {
      let raw = await forwarder.exchange(q, 'udp');
      if (raw[2]! & 0x02) raw = await forwarder.exchange(q, 'tcp'); // truncated
      const r = dnsPacket.decode(raw);
      return (r.answers ?? []).filter((a) => a.type !== 'OPT');
    } catch (e) {
      log.debug({ err: e, target }, 'could not resolve CNAME target upstream');
      return [];
    }
  }

  return async (msg, transport) => {
    if (msg.length < 12 || isResponse(msg)) return undefined;
    let query: DecodedPacket;
    try {
      query = dnsPacket.decode(msg);
    } catch {
      return headerOnlyReply(msg, 'FORMERR');
    }
    try {
      return await respond(query, msg, transport);
    } catch (e) {
      log.warn({ err: e }, 'could not answer: SERVFAIL');
      return headerOnlyReply(msg, 'SERVFAIL');
    }
  };

  async function respond(query: DecodedPacket, msg: Buffer, transport: Transport): Promise<Buffer> {
    const size = transport === 'udp' ? maxUdpSize(query) : 65535;
    const send = (rcode: RcodeName, parts: Omit<ReplyParts, 'rcode'> = {}) => encodeReply(reply(query, { rcode, ...parts }), size);
    if (((query.flags ?? 0) & 0x7800) !== 0) return send('NOTIMP');
    const q = query.questions?.[0];
    if (!q || query.questions!.length !== 1) return send('FORMERR');

    const answer = zone.answer(q.name, q.type);
    if (answer) {
      if (q.class !== 'IN' && q.class !== 'ANY') return send('REFUSED');
      const answers = [...answer.answers];
      if (answer.chase && q.type !== 'CNAME') answers.push(...(await chase(answer.chase, q.type)));
      log.debug({ name: q.name, type: q.type, rcode: answer.rcode, answers: answers.length, transport }, 'answered');
      return send(answer.rcode, { authoritative: answer.rcode !== 'SERVFAIL', answers, authorities: answer.authorities, additionals: answer.additionals });
    }

    try {
      const raw = await forwarder.exchange(msg, transport);
      log.debug({ name: q.name, type: q.type, transport }, 'forwarded');
      return raw;
    } catch (e) {
      log.debug({ err: e, name: q.name, type: q.type }, 'upstream failed: SERVFAIL');
      return send('SERVFAIL');
    }
  }
}
