import { ROOM_PATTERN } from '../protocol/protocol';

/**
 * The room named by a page address: `/?room=abc` or `/r/abc`; null when there is none. The
 * name comes back as given, valid or not, so the join screen can show what was wrong with it.
 */
export function roomFromUrl(url: URL): string | null {
  const inPath = /^\/r\/([^/]+)\/?$/.exec(url.pathname)?.[1];
  const room = url.searchParams.get('room') ?? (inPath === undefined ? null : safeDecode(inPath));
  return room === null || room.trim() === '' ? null : room;
}

/** A valid room name close to `room` (`Team Meeting #1` → `Team-Meeting-1`); null if none. */
export function suggestRoomName(room: string): string | null {
  const suggestion = room
    .normalize('NFKD')
    .replace(/[^A-Za-z0-9_-]+/g, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 64);
  return ROOM_PATTERN.test(suggestion) ? suggestion : null;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** The join token of an invite link (`#token=...`): the fragment never reaches a server. */
export function tokenFromUrl(url: URL): string | null {
  return new URLSearchParams(url.hash.slice(1)).get('token') || null;
}

/** Whether a page address asks for the join screen with Captions only chosen (`view=captions`). */
export function captionsOnlyFromUrl(url: URL): boolean {
  return url.searchParams.get('view') === 'captions';
}

/**
 * A link that opens this app with `room` filled in (a query string works on every server),
 * and with the room's join token, if there is one, in the fragment. A captions-only link
 * (`&view=captions`) opens the join screen with Captions only chosen: for a lecture's audience.
 */
export function inviteLink(
  room: string,
  base: string,
  token: string | null = null,
  captionsOnly = false,
): string {
  const url = new URL(base);
  url.pathname = url.pathname.replace(/\/r\/[^/]*\/?$/, '/');
  url.search = new URLSearchParams({ room, ...(captionsOnly && { view: 'captions' }) }).toString();
  url.hash = token ? new URLSearchParams({ token }).toString() : '';
  return url.toString();
}

/** A readable random room name such as `quiet-river-4821`. */
export function randomRoomName(random: () => number = Math.random): string {
  const adjectives = ['quiet', 'bright', 'swift', 'calm', 'bold', 'clear', 'warm', 'keen'];
  const nouns = ['river', 'harbor', 'meadow', 'summit', 'forest', 'canyon', 'island', 'valley'];
  const pick = (list: string[]) => list[Math.floor(random() * list.length)];
  return `${pick(adjectives)}-${pick(nouns)}-${1000 + Math.floor(random() * 9000)}`;
}

/**
 * The signaling WebSocket beside the app (`ws:` or `wss:` as the page) for joining `room`:
 * `wss://host/ws?room=<room>` as a participant, `wss://host/ws?view=<room>&viewer=<viewer>`
 * for captions only. A cluster's proxy routes on these: every participant of a room reaches
 * the instance hosting it, while captions-only viewers spread over all instances by their
 * `viewer` id, each reconnecting to the instance that kept what it missed.
 */
export function signalingUrl(
  base: string,
  room: string,
  captionsOnly: boolean,
  viewer: string,
): string {
  const url = new URL('ws', base);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  const query: Record<string, string> = captionsOnly ? { view: room, viewer } : { room };
  url.search = new URLSearchParams(query).toString();
  return url.toString();
}

/** A viewer's id for `signalingUrl`: random, kept for as long as the page is open. */
export function newViewerId(random: () => number = Math.random): string {
  return Array.from({ length: 12 }, () => Math.floor(random() * 36).toString(36)).join('');
}
