// The part of RADIUS (RFC 2865, RFC 3579 §3.2) the radius check needs: an Access-Request with
// User-Name, a hidden User-Password, the NAS address and a Message-Authenticator, and the
// checks a reply must pass. Written here rather than taken from the npm `radius` package, which
// reads its dictionaries from disk at run time (breaking the single-file build), keeps the
// secret and authenticator of the last packet in module-global state, and uses the deprecated
// Buffer constructor.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';
import { ipv6Groups } from '../lib/inet.ts';

export const CODE = {
  accessRequest: 1,
  accessAccept: 2,
  accessReject: 3,
  accessChallenge: 11,
} as const;

const ATTRIBUTE = {
  userName: 1,
  userPassword: 2,
  nasIpAddress: 4,
  messageAuthenticator: 80,
  nasIpv6Address: 95,
} as const;

const HEADER_LENGTH = 20;

export interface AccessRequest {
  identifier: number;
  /** The 16-byte Request Authenticator, random for each request. */
  authenticator: Buffer;
  userName: string;
  password: string;
  secret: string;
  /** The address the request leaves from: NAS-IP-Address, or NAS-IPv6-Address. */
  nasAddress: string;
}

export function encodeAccessRequest(request: AccessRequest): Buffer {
  const attributes: Buffer[] = [];
  if (request.userName !== '') {
    attributes.push(attribute(ATTRIBUTE.userName, Buffer.from(request.userName, 'utf8')));
  }
  const hidden = hidePassword(
    Buffer.from(request.password, 'utf8'),
    Buffer.from(request.secret, 'utf8'),
    request.authenticator,
  );
  attributes.push(attribute(ATTRIBUTE.userPassword, hidden));
  const nas = nasAttribute(request.nasAddress);
  if (nas) attributes.push(nas);
  // Zeroed while the HMAC is computed over the whole packet, then filled in.
  const messageAuthenticator = attribute(ATTRIBUTE.messageAuthenticator, Buffer.alloc(16));
  attributes.push(messageAuthenticator);

  const body = Buffer.concat(attributes);
  const packet = Buffer.concat([Buffer.alloc(4), request.authenticator, body]);
  packet.writeUInt8(CODE.accessRequest, 0);
  packet.writeUInt8(request.identifier, 1);
  packet.writeUInt16BE(packet.length, 2);
  const hmac = createHmac('md5', request.secret).update(packet).digest();
  hmac.copy(packet, packet.length - 16);
  return packet;
}

/** RFC 2865 §5.2: the password, NUL-padded to 16-byte blocks, XORed with an MD5 chain. */
export function hidePassword(password: Buffer, secret: Buffer, authenticator: Buffer): Buffer {
  const length = Math.max(16, Math.ceil(password.length / 16) * 16);
  const padded = Buffer.alloc(length);
  password.copy(padded);
  const hidden = Buffer.alloc(length);
  let previous = authenticator;
  for (let offset = 0; offset < length; offset += 16) {
    const key = createHash('md5').update(secret).update(previous).digest();
    for (let i = 0; i < 16; i++) hidden[offset + i] = padded[offset + i]! ^ key[i]!;
    previous = hidden.subarray(offset, offset + 16);
  }
  return hidden;
}

/**
 * What a datagram is to the request: 'foreign' (not a reply to it: ignore), 'forged' (its
 * Response Authenticator or Message-Authenticator does not verify with our secret), or its code.
 */
export function classifyReply(
  reply: Buffer,
  request: Pick<AccessRequest, 'identifier' | 'authenticator' | 'secret'>,
): 'foreign' | 'forged' | { code: number } {
  if (reply.length < HEADER_LENGTH) return 'foreign';
  const length = reply.readUInt16BE(2);
  if (reply.readUInt8(1) !== request.identifier || length < HEADER_LENGTH || length > reply.length)
    return 'foreign';
  const packet = reply.subarray(0, length);
  const code = packet.readUInt8(0);

  // Response Authenticator = MD5(Code | Identifier | Length | Request Authenticator | Attributes | Secret)
  const expected = createHash('md5')
    .update(packet.subarray(0, 4))
    .update(request.authenticator)
    .update(packet.subarray(HEADER_LENGTH))
    .update(request.secret)
    .digest();
  if (!timingSafeEqual(expected, packet.subarray(4, HEADER_LENGTH))) return 'forged';

  const signatureAt = findAttribute(packet, ATTRIBUTE.messageAuthenticator);
  if (signatureAt === 'malformed') return 'forged';
  if (signatureAt !== undefined) {
    // Computed with the Request Authenticator in place and the signature zeroed (RFC 3579).
    const copy = Buffer.from(packet);
    request.authenticator.copy(copy, 4);
    copy.fill(0, signatureAt, signatureAt + 16);
    const hmac = createHmac('md5', request.secret).update(copy).digest();
    if (!timingSafeEqual(hmac, packet.subarray(signatureAt, signatureAt + 16))) return 'forged';
  }
  return { code };
}

export function codeName(code: number): string {
  const names: Record<number, string> = {
    [CODE.accessAccept]: 'Access-Accept',
    [CODE.accessReject]: 'Access-Reject',
    [CODE.accessChallenge]: 'Access-Challenge',
  };
  return names[code] ?? `RADIUS code ${code}`;
}

function attribute(type: number, value: Buffer): Buffer {
  if (value.length > 253) value = value.subarray(0, 253);
  return Buffer.concat([Buffer.from([type, value.length + 2]), value]);
}

function nasAttribute(address: string): Buffer | undefined {
  if (isIPv4(address)) {
    return attribute(ATTRIBUTE.nasIpAddress, Buffer.from(address.split('.').map(Number)));
  }
  if (isIPv6(address)) {
    const value = Buffer.alloc(16);
    ipv6Groups(address).forEach((group, i) => {
      value.writeUInt16BE(group, i * 2);
    });
    return attribute(ATTRIBUTE.nasIpv6Address, value);
  }
  return undefined;
}

/** The offset of the value of the first attribute of this type; 'malformed' on a bad length. */
function findAttribute(packet: Buffer, type: number): number | 'malformed' | undefined {
  let offset = HEADER_LENGTH;
  while (offset + 2 <= packet.length) {
    const length = packet.readUInt8(offset + 1);
    if (length < 2 || offset + length > packet.length) return 'malformed';
    if (packet.readUInt8(offset) === type) return length === 18 ? offset + 2 : 'malformed';
    offset += length;
  }
  return undefined;
}
