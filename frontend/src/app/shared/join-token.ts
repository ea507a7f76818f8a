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

/** Why joining `room` would be refused, in words for the user; null when nothing is wrong. */
export function joinTokenProblem(
  auth: 'open' | 'token',
  room: string,
  token: string | null,
  nowMs: number = Date.now(),
): string | null {
  if (token === null) {
    return auth === 'token' ? ACCESS_ERRORS['token_required'] : null;
  }
  const claims = readToken(token);
  if (claims === null) return ACCESS_ERRORS['token_invalid'];
  if (claims.room !== room) {
    // In an open server another room needs no token at all.
    return auth === 'token'
      ? `This invite link is for the room “${claims.room}”, not “${room}”.`
      : null;
  }
  return claims.exp * 1000 <= nowMs ? ACCESS_ERRORS['token_expired'] : null;
}

/** The server's refusals of a join, as the join screen says them. */
export const ACCESS_ERRORS: Record<string, string> = {
  token_required: 'This room needs an invite link. Ask the person who set up the room for one.',
  token_invalid: 'This invite link is not valid (it may be cut short). Ask for a new one.',
  token_expired: 'This invite link has expired. Ask for a new one.',
  token_wrong_room: 'This invite link is for a different room.',
};
