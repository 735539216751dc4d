/**
 * Password hashing with scrypt (node:crypto; memory-hard, RFC 7914) and the
 * random secrets used for sessions, CSRF tokens, API tokens and one-time
 * passwords.
 *
 * Stored format: `scrypt$<log2 N>$<r>$<p>$<salt b64>$<hash b64>`, so the cost
 * can be raised later without invalidating existing hashes (verify reads the
 * parameters from the stored string; `needsRehash` says when to upgrade).
 */
import crypto from 'node:crypto';
import { promisify } from 'node:util';
import { AppError } from '../errors.ts';

const scrypt = promisify(crypto.scrypt) as (
  password: crypto.BinaryLike,
  salt: crypto.BinaryLike,
  keylen: number,
  options: crypto.ScryptOptions,
) => Promise<Buffer>;

/** N = 2^15, r = 8, p = 1: 32 MiB and ~50–100 ms per hash on one core (OWASP's scrypt minimum is N = 2^17 with r = 8 for 128 MiB; 2^15 keeps 50 concurrent logins within memory on a small server). */
export const SCRYPT_PARAMS = { logN: 15, r: 8, p: 1, keyLength: 32 } as const;

export const PASSWORD_MIN_LENGTH = 10;
/** Long inputs cost nothing to scrypt beyond the first block, but a bound keeps request bodies sane. */
export const PASSWORD_MAX_LENGTH = 200;

function maxmem(logN: number, r: number): number {
  return 128 * r * (2 ** logN) * 2 + 1024 * 1024;
}

export async function hashPassword(password: string): Promise<string> {
  const { logN, r, p, keyLength } = SCRYPT_PARAMS;
  const salt = crypto.randomBytes(16);
  const hash = await scrypt(password.normalize('NFKC'), salt, keyLength, { N: 2 ** logN, r, p, maxmem: maxmem(logN, r) });
  return `scrypt$${logN}$${r}$${p}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

/** Constant-time comparison; false for anything malformed. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const logN = Number(parts[1]);
  const r = Number(parts[2]);
  const p = Number(parts[3]);
  if (![logN, r, p].every((n) => Number.isInteger(n) && n > 0) || logN > 20 || r > 32 || p > 16) return false;
  const salt = Buffer.from(parts[4]!, 'base64');
  const expected = Buffer.from(parts[5]!, 'base64');
  if (expected.length < 16) return false;
  const actual = await scrypt(password.normalize('NFKC'), salt, expected.length, { N: 2 ** logN, r, p, maxmem: maxmem(logN, r) });
  return crypto.timingSafeEqual(actual, expected);
}

export function needsRehash(stored: string): boolean {
  const [, logN, r, p] = stored.split('$');
  return Number(logN) < SCRYPT_PARAMS.logN || Number(r) !== SCRYPT_PARAMS.r || Number(p) !== SCRYPT_PARAMS.p;
}

/** A hash of a random password: verifying against it costs the same as against a real user's (no timing oracle for unknown names). */
let dummyHash: Promise<string> | undefined;
export function dummyPasswordHash(): Promise<string> {
  dummyHash ??= hashPassword(crypto.randomBytes(18).toString('base64url'));
  return dummyHash;
}

/** Why a new password is refused (bilingual), or null when it is acceptable. */
export function passwordProblem(password: string, name?: string): { en: string; zh: string } | null {
  if (password.length < PASSWORD_MIN_LENGTH) {
    return { en: `The password needs at least ${PASSWORD_MIN_LENGTH} characters.`, zh: `密码至少需要 ${PASSWORD_MIN_LENGTH} 个字符。` };
  }
  if (password.length > PASSWORD_MAX_LENGTH) {
    return { en: `The password may have at most ${PASSWORD_MAX_LENGTH} characters.`, zh: `密码最多 ${PASSWORD_MAX_LENGTH} 个字符。` };
  }
  if (new Set(password).size < 4) {
    return { en: 'The password repeats too few different characters; choose a longer phrase.', zh: '密码中不同字符太少，请使用更长、更复杂的密码。' };
  }
  if (name && password.toLowerCase().includes(name.toLowerCase())) {
    return { en: 'The password must not contain the login name.', zh: '密码不能包含登录名。' };
  }
  return null;
}

export function assertAcceptablePassword(password: string, name?: string): void {
  const problem = passwordProblem(password, name);
  if (problem) throw new AppError('WeakPassword', 400, problem, [{ field: 'password', ...problem }]);
}

/** URL-safe random secret with `bytes` bytes of entropy. */
export function randomSecret(bytes = 32): string {
  return crypto.randomBytes(bytes).toString('base64url');
}

/** A one-time password people can type: 4 groups of 4 from an alphabet without look-alikes (~89 bits). */
export function generatePassword(): string {
  const alphabet = 'abcdefghjkmnpqrstuvwxyzACDEFGHJKLMNPQRTUVWXY3467';
  const groups: string[] = [];
  for (let g = 0; g < 4; g += 1) {
    let group = '';
    for (let i = 0; i < 4; i += 1) group += alphabet[crypto.randomInt(alphabet.length)];
    groups.push(group);
  }
  return groups.join('-');
}

/** SHA-256 hex: high-entropy secrets (session ids, API tokens) need no slow hash. */
export function sha256(value: string): string {
  return crypto.createHash('sha256').update(value).digest('hex');
}

export function safeEqual(a: string, b: string): boolean {
  const ba = Buffer.from(a);
  const bb = Buffer.from(b);
  return ba.length === bb.length && crypto.timingSafeEqual(ba, bb);
}
