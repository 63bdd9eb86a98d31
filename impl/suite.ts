/** Sizes and constants of suite 0x0001 and of the room protocol (spec 3.1, 4, 5). */

/** ML-KEM-768 public key size (FIPS 203 Table 3). */
export const KEM_PK_BYTES = 1184;
/** ML-KEM-768 secret key size (FIPS 203 Table 3). */
export const KEM_SK_BYTES = 2400;
/** ML-KEM-768 ciphertext size (FIPS 203 Table 3). */
export const KEM_CT_BYTES = 1088;
/** ML-KEM key generation seed `d || z` (REQ-CRY-001). */
export const KEM_SEED_BYTES = 64;
/** ML-DSA-65 public key size (FIPS 204 Table 2). */
export const DSA_PK_BYTES = 1952;
/** ML-DSA-65 signature size (FIPS 204 Table 2). */
export const DSA_SIG_BYTES = 3309;
/** ML-DSA key generation seed ξ (REQ-CRY-003). */
export const DSA_SEED_BYTES = 32;
/** SHA-256 output, member ids, fingerprints, invite ids, tokens. */
export const HASH_BYTES = 32;
/** XChaCha20-Poly1305 nonce. */
export const AEAD_NONCE_BYTES = 24;
/** Poly1305 tag. */
export const AEAD_TAG_BYTES = 16;
/** Room id (decision D2). */
export const ROOM_ID_BYTES = 16;
/** Invite token (REQ-KS-002). */
export const TOKEN_BYTES = 32;
/** Largest roster (REQ-OWN-018). */
export const MAX_MEMBERS = 1000;
/** `prev_epoch` value meaning "no previous message" (spec 4.7). */
export const NO_EPOCH = 0xffffffff;

/** The two profiles of spec 1.3. */
export type Profile = 'hardened' | 'compat';
