import type { Message } from '../i18n/i18n.service';

/**
 * What the web app can tell about a join token before using it. The server checks the
 * signature; the app only reads the claims to explain a problem before the user joins.
 */
export interface TokenClaims {
  room: string;
  /** Expiry, Unix seconds. */
  exp: number;
}

export function readToken(token: string): TokenClaims | null {
  const payload = token.split('.')[1];
  if (!payload) return null;
  try {
    const base64 = payload.replace(/-/g, '+').replace(/_/g, '/');
    const claims: unknown = JSON.parse(atob(base64.padEnd(Math.ceil(base64.length / 4) * 4, '=')));
    if (typeof claims !== 'object' || claims === null) return null;
    const { room, exp } = claims as Record<string, unknown>;
    return typeof room === 'string' && typeof exp === 'number' ? { room, exp } : null;
  } catch {
    return null;
  }
}

/** The token to send when joining `room`: only one made for that room. */
export function tokenForRoom(token: string | null, room: string): string | null {
  return token !== null && readToken(token)?.room === room ? token : null;
}

/** Why joining `room` would be refused, for the user; null when nothing is wrong. */
export function joinTokenProblem(
  auth: 'open' | 'token',
  room: string,
  token: string | null,
  nowMs: number = Date.now(),
): Message | null {
  if (token === null) {
    return auth === 'token' ? ACCESS_ERRORS['token_required'] : null;
  }
  const claims = readToken(token);
  if (claims === null) return ACCESS_ERRORS['token_invalid'];
  if (claims.room !== room) {
    // In an open server another room needs no token at all.
    return auth === 'token'
      ? { key: 'access.otherRoom', params: { linked: claims.room, room } }
      : null;
  }
  return claims.exp * 1000 <= nowMs ? ACCESS_ERRORS['token_expired'] : null;
}

/** The server's refusals of a join, as the join screen says them. */
export const ACCESS_ERRORS: Record<string, Message> = {
  token_required: { key: 'access.token_required' },
  token_invalid: { key: 'access.token_invalid' },
  token_expired: { key: 'access.token_expired' },
  token_wrong_room: { key: 'access.token_wrong_room' },
};
