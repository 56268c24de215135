// service=radius (check_radius): an Access-Request with User-Name = login, User-Password =
// passwd, the shared secret and the NAS address, always over UDP; up only on Access-Accept
// (§4.6, §6 item 27). A reply counts only if its Response Authenticator (and its
// Message-Authenticator, when present) verifies with our secret; others are ignored, as
// RFC 2865 says, so a wrong secret ends in the deadline.
import { randomBytes, randomInt } from 'node:crypto';
import { CODE, classifyReply, codeName, encodeAccessRequest } from './radius-packet.ts';
import { down, errorText, redact, TIMEOUT, up } from './support/result.ts';
import { udpExchange } from './support/udp-exchange.ts';
import type { Checker, CheckResult, NegotiateTarget, ServiceDescriptors } from './types.ts';

/** A lost datagram is sent again (same identifier and authenticator) after this long. */
const RETRANSMIT_MS = 1000;

// Not run inside runWithin: on abort it must be able to say that a forged reply was seen.
export const checkRadius: Checker<NegotiateTarget> = async (target, signal) => {
  try {
    return redact(await exchange(target, signal), target);
  } catch (error) {
    return down(errorText(error));
  }
};

/** service=radius. */
export const radiusServices = {
  radius: { check: checkRadius, port: 1812, receive: 'unused' },
} satisfies ServiceDescriptors;

async function exchange(target: NegotiateTarget, signal: AbortSignal): Promise<CheckResult> {
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
    if (forged === 0) return TIMEOUT;
    return down('timeout (ignored a reply that failed authentication: wrong secret?)');
  }
  if (outcome.kind === 'error') return down(errorText(outcome.error));
  return code === CODE.accessAccept ? up(codeName(code)) : down(codeName(code));
}
