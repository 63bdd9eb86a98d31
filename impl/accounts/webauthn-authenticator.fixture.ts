/**
 * A software WebAuthn authenticator for tests (ES256, "none" attestation): what a browser and a
 * security key would send the relay, built by hand so that the relay's checks (spec 9.7) can be
 * tested without a browser, and bent (another key, another origin, an old counter) to see them refuse.
 */
import { createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { isoCBOR } from '@simplewebauthn/server/helpers';
import { concat, toBase64Url, utf8, type Bytes } from '../bytes.ts';

const sha256 = (b: Bytes): Bytes => new Uint8Array(createHash('sha256').update(b).digest());
const u32 = (n: number): Bytes => new Uint8Array([(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]);

/** A credential held by the software authenticator. */
export interface SoftCredential {
  readonly id: Bytes;
  readonly key: KeyObject;
  readonly publicKeyCose: Bytes;
  counter: number;
}

/** A new ES256 credential with the given id. */
export function softCredential(id: Bytes): SoftCredential {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = publicKey.export({ format: 'jwk' });
  const x = new Uint8Array(Buffer.from(jwk.x!, 'base64url'));
  const y = new Uint8Array(Buffer.from(jwk.y!, 'base64url'));
  const cose = isoCBOR.encode(
    new Map<number, number | Uint8Array>([
      [1, 2],
      [3, -7],
      [-1, 1],
      [-2, x],
      [-3, y],
    ]),
  );
  return { id, key: privateKey, publicKeyCose: new Uint8Array(cose), counter: 0 };
}

const clientData = (type: string, challenge: Bytes, origin: string): Bytes => utf8(JSON.stringify({ type, challenge: toBase64Url(challenge), origin, crossOrigin: false }));

/** The JSON a browser sends for `navigator.credentials.create` ("none" attestation), as UTF-8 bytes. */
export function attestation(cred: SoftCredential, challenge: Bytes, origin: string, rpId: string): Bytes {
  const authData = concat(sha256(utf8(rpId)), new Uint8Array([0x41]), u32(cred.counter), new Uint8Array(16), new Uint8Array([cred.id.length >> 8, cred.id.length & 255]), cred.id, cred.publicKeyCose);
  const attObj = isoCBOR.encode(new Map<string, string | Uint8Array | Map<string, string>>([['fmt', 'none'], ['attStmt', new Map<string, string>()], ['authData', authData]]));
  const id = toBase64Url(cred.id);
  return utf8(JSON.stringify({ id, rawId: id, type: 'public-key', clientExtensionResults: {}, response: { clientDataJSON: toBase64Url(clientData('webauthn.create', challenge, origin)), attestationObject: toBase64Url(new Uint8Array(attObj)), transports: ['usb'] } }));
}

/** The JSON a browser sends for `navigator.credentials.get`, as UTF-8 bytes; the counter moves on by one unless `counter` says otherwise. */
export function assertion(cred: SoftCredential, challenge: Bytes, origin: string, rpId: string, counter = cred.counter + 1): Bytes {
  cred.counter = counter;
  const authData = concat(sha256(utf8(rpId)), new Uint8Array([0x01]), u32(counter));
  const cd = clientData('webauthn.get', challenge, origin);
  const signature = new Uint8Array(sign('sha256', concat(authData, sha256(cd)), cred.key));
  const id = toBase64Url(cred.id);
  return utf8(JSON.stringify({ id, rawId: id, type: 'public-key', clientExtensionResults: {}, response: { clientDataJSON: toBase64Url(cd), authenticatorData: toBase64Url(authData), signature: toBase64Url(signature) } }));
}

/** An attestation in the "packed" self-attestation format whose signature is by the credential's key but over other bytes: well formed, and the library reports it not verified (no exception). */
export function badSelfAttestation(cred: SoftCredential, challenge: Bytes, origin: string, rpId: string): Bytes {
  const authData = concat(sha256(utf8(rpId)), new Uint8Array([0x41]), u32(cred.counter), new Uint8Array(16), new Uint8Array([cred.id.length >> 8, cred.id.length & 255]), cred.id, cred.publicKeyCose);
  const sig = new Uint8Array(sign('sha256', utf8('not the attested bytes'), cred.key));
  const attObj = isoCBOR.encode(new Map<string, string | Uint8Array | Map<string, number | Uint8Array>>([['fmt', 'packed'], ['attStmt', new Map<string, number | Uint8Array>([['alg', -7], ['sig', sig]])], ['authData', authData]]));
  const id = toBase64Url(cred.id);
  return utf8(JSON.stringify({ id, rawId: id, type: 'public-key', clientExtensionResults: {}, response: { clientDataJSON: toBase64Url(clientData('webauthn.create', challenge, origin)), attestationObject: toBase64Url(new Uint8Array(attObj)), transports: ['usb'] } }));
}
