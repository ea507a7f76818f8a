import {
  CaptionMessage,
  CaptionWithdrawnMessage,
  SpeechMessage,
  TranslationMessage,
} from '../protocol/protocol';

/** Builders for data-channel messages in tests; every field can be overridden. */
export const ADA = { id: 'p-ada', name: 'Ada' };
export const BOB = { id: 'p-bob', name: 'Bob' };

export function caption(overrides: Partial<CaptionMessage> = {}): CaptionMessage {
  return {
    type: 'caption',
    id: 'p-ada:1',
    seq: 1,
    speaker: ADA,
    language: 'en',
    text: 'hello',
    final: false,
    start: 1,
    end: 2,
    origin: 0,
    part: 0,
    parts: 1,
    history: false,
    interrupted: false,
    ...overrides,
  };
}

export function translation(overrides: Partial<TranslationMessage> = {}): TranslationMessage {
  return {
    type: 'translation',
    caption_id: 'p-ada:1',
    seq: 10,
    speaker: ADA,
    language: 'de',
    source_language: 'en',
    text: 'hallo',
    final: true,
    part: 0,
    parts: 1,
    history: false,
    covers: [overrides.caption_id ?? 'p-ada:1'],
    ...overrides,
  };
}

export function withdrawn(id: string, seq: number): CaptionWithdrawnMessage {
  return { type: 'caption_withdrawn', id, seq };
}

export function speech(seq: number, speaking: boolean, speaker = ADA): SpeechMessage {
  return { type: 'speech', seq, speaker, speaking };
}

/** A join token as the server mints it (HS256 JWT); the signature is not checked in the app. */
export function joinToken(room: string, expiresInS = 3600): string {
  const encode = (value: object) =>
    btoa(JSON.stringify(value)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  const now = Math.floor(Date.now() / 1000);
  const claims = { room, iat: now, exp: now + expiresInS, jti: 'test' };
  return `${encode({ alg: 'HS256', typ: 'JWT' })}.${encode(claims)}.c2lnbmF0dXJl`;
}
