// service=radius (check_radius): an Access-Request with User-Name = login, User-Password =
// passwd, the shared secret and the NAS address, always over UDP; up only on Access-Accept
// (§4.6, §6 item 27). A reply counts only if its Response Authenticator (and its
// Message-Authenticator, when present) verifies with our secret; others are ignored, as
// RFC 2865 says, so a wrong secret ends in the deadline.
import { randomBytes, randomInt } from 'node:crypto';
import { ABORTED, neverThrows } from './local-support.ts';
import { CODE, classifyReply, codeName, encodeAccessRequest } from './radius-packet.ts';
import { udpExchange } from './support/udp-exchange.ts';
import type { Checker } from './types.ts';

/** A lost datagram is sent again (same identifier and authenticator) after this long. */
const RETRANSMIT_MS = 1000;

export const checkRadius: Checker = neverThrows(async (target, signal) => {
  const request = {
    identifier: randomInt(0, 256),
    authenticator: randomBytes(16),
    userName: target.login,
    password: target.passwd,
    secret: target.secret,
  };
  let forged = 0;
  let code = 0;
  const outcome = await udpExchange({
    host: target.host,
    port: target.port,
    request: (local) => encodeAccessRequest({ ...request, nasAddress: local.address }),
    accept: (message) => {
      const reply = classifyReply(message, request);
      if (reply === 'foreign') return false;
      if (reply === 'forged') {
        forged++;
        return false;
      }
      code = reply.code;
      return true;
    },
    retransmitMs: RETRANSMIT_MS,
    signal,
  });
  if (outcome.kind === 'aborted') {
    if (forged === 0) return ABORTED;
    return {
      up: false,
      reason: 'timeout (ignored a reply that failed authentication: wrong secret?)',
    };
  }
  if (outcome.kind === 'error') {
    const refused = outcome.code === 'ECONNREFUSED';
    return { up: false, reason: refused ? 'Connection refused' : outcome.message };
  }
  return { up: code === CODE.accessAccept, reason: codeName(code) };
});
