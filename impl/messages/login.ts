/** Login messages of spec section 4.9 (protocols of spec 9.3 and 9.4). */
import { bool, enumOf, f, fixed, message, opaque, text, u64, type ValueOf } from '../codec.ts';
import { DSA_PK_BYTES, DSA_SIG_BYTES, KEM_CT_BYTES, KEM_PK_BYTES } from '../suite.ts';
import { KdfParams } from './common.ts';
import { MsgType } from './types.ts';

const username = f('username', text(1, 64));

/** `Register` (type 0x70, spec 9.2). */
export const Register = message('Register', MsgType.Register, [
  username,
  f('salt', fixed(16)),
  f('kdf', KdfParams),
  f('pk_pw', fixed(KEM_PK_BYTES)),
  f('identity_pk', fixed(DSA_PK_BYTES)),
]);
/** An account registration. */
export type Register = ValueOf<typeof Register>;
/** `CompatLoginStart` (type 0x71). */
export const CompatLoginStart = message('CompatLoginStart', MsgType.CompatLoginStart, [username]);
/** compat login, step 1. */
export type CompatLoginStart = ValueOf<typeof CompatLoginStart>;
/** `CompatLoginChallenge` (type 0x72). */
export const CompatLoginChallenge = message('CompatLoginChallenge', MsgType.CompatLoginChallenge, [
  f('pk_e', fixed(KEM_PK_BYTES)),
  f('c1', fixed(KEM_CT_BYTES)),
  f('salt', fixed(16)),
  f('kdf', KdfParams),
  f('challenge', fixed(32)),
]);
/** compat login, step 2. */
export type CompatLoginChallenge = ValueOf<typeof CompatLoginChallenge>;
/** `CompatLoginResponse` (type 0x73). */
export const CompatLoginResponse = message('CompatLoginResponse', MsgType.CompatLoginResponse, [
  f('response', fixed(32)),
  f('c2', fixed(KEM_CT_BYTES)),
  f('challenge', fixed(32)),
]);
/** compat login, step 3. */
export type CompatLoginResponse = ValueOf<typeof CompatLoginResponse>;
/** `CompatLoginFinish` (type 0x74). */
export const CompatLoginFinish = message('CompatLoginFinish', MsgType.CompatLoginFinish, [f('response', fixed(32))]);
/** compat login, step 4. */
export type CompatLoginFinish = ValueOf<typeof CompatLoginFinish>;
/** `LoginStart` (type 0x75). */
export const LoginStart = message('LoginStart', MsgType.LoginStart, [username, f('client_nonce', fixed(32))]);
/** hardened login, step 1. */
export type LoginStart = ValueOf<typeof LoginStart>;
/** `LoginChallenge` (type 0x76), signed by the pinned relay key. */
export const LoginChallenge = message('LoginChallenge', MsgType.LoginChallenge, [
  f('session_id', fixed(32)),
  username,
  f('client_nonce', fixed(32)),
  f('channel_binding', fixed(32)),
  f('salt', fixed(16)),
  f('kdf', KdfParams),
  f('pk_e', fixed(KEM_PK_BYTES)),
  f('c1', fixed(KEM_CT_BYTES)),
  f('issued_at', u64),
  f('signature', fixed(DSA_SIG_BYTES)),
]);
/** hardened login, step 2. */
export type LoginChallenge = ValueOf<typeof LoginChallenge>;
/** `LoginResponse` (type 0x77). */
export const LoginResponse = message('LoginResponse', MsgType.LoginResponse, [
  f('session_id', fixed(32)),
  f('c2', fixed(KEM_CT_BYTES)),
  f('confirm', fixed(32)),
]);
/** hardened login, step 3. */
export type LoginResponse = ValueOf<typeof LoginResponse>;
/** `LoginFinish` (type 0x78). */
export const LoginFinish = message('LoginFinish', MsgType.LoginFinish, [
  f('session_id', fixed(32)),
  f('confirm', fixed(32)),
  f('expires_at', u64),
]);
/** hardened login, step 4. */
export type LoginFinish = ValueOf<typeof LoginFinish>;

/** `enum FactorMethod : uint8 { totp(1), webauthn(2) }` (spec 9.7). */
export const FactorMethod = enumOf('FactorMethod', { totp: 1, webauthn: 2 });
/** A second login factor. */
export type FactorMethod = ValueOf<typeof FactorMethod>;
/** `enum FactorPurpose : uint8 { login(1), enroll(2) }` (spec 9.7). */
export const FactorPurpose = enumOf('FactorPurpose', { login: 1, enroll: 2 });
/** What a factor challenge is for: admitting the connection, or enrolling a factor on an admitted one. */
export type FactorPurpose = ValueOf<typeof FactorPurpose>;
/** `FactorBegin` (type 0x79, spec 9.7): a logged-in client asks for a factor challenge. */
export const FactorBegin = message('FactorBegin', MsgType.FactorBegin, [f('purpose', FactorPurpose)]);
/** A request for a factor challenge. */
export type FactorBegin = ValueOf<typeof FactorBegin>;
/** `FactorChallenge` (type 0x7A, spec 9.7). */
export const FactorChallenge = message('FactorChallenge', MsgType.FactorChallenge, [
  f('purpose', FactorPurpose),
  f('totp', bool),
  f('webauthn', bool),
  f('challenge', fixed(32)),
  f('issued_at', u64),
]);
/** A fresh factor challenge, with the factors the account enrolled. */
export type FactorChallenge = ValueOf<typeof FactorChallenge>;
/** `FactorResponse` (type 0x7B, spec 9.7). */
export const FactorResponse = message('FactorResponse', MsgType.FactorResponse, [
  f('purpose', FactorPurpose),
  f('method', FactorMethod),
  f('challenge', fixed(32)),
  f('totp_secret', opaque(0, 64)),
  f('code', text(0, 10)),
  f('webauthn', opaque(0, 16384)),
]);
/** An answer to a factor challenge: a TOTP code, or a WebAuthn assertion or attestation. */
export type FactorResponse = ValueOf<typeof FactorResponse>;
/** `FactorAccepted` (type 0x7C, spec 9.7). */
export const FactorAccepted = message('FactorAccepted', MsgType.FactorAccepted, [f('purpose', FactorPurpose), f('method', FactorMethod)]);
/** The relay accepted a factor response. */
export type FactorAccepted = ValueOf<typeof FactorAccepted>;
