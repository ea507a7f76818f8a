/**
 * Wire protocol version 1 (docs/protocol.md): message types, builders for what the client
 * sends and validating parsers for what the server sends. Nothing here touches the network.
 *
 * The server generates docs/protocol.schema.json from its models, and wire.generated.ts comes
 * from that (`npm run wire-types`). What the client sends is typed by it; what it receives is
 * typed by its parsers, which the assertions at the end hold to it: a schema change the web
 * app does not follow fails the build.
 */

import type * as wire from './wire.generated';

export const PROTOCOL_VERSION = 1;

export const ROOM_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
export const MAX_NAME_LENGTH = 64;

export type Participant = ReturnType<typeof participant>;
export type Speaker = ReturnType<typeof speaker>;
/** `targets`: `["*"]`: any language; `["en"]`: English only; `[]`: translation off. */
export type TranslationCapability = ReturnType<typeof translationCapability>;

/** As `RTCIceServer` has it: `urls` may also be one URL. */
export interface IceServer {
  urls: string | string[];
  username?: string;
  credential?: string;
}

/** The translation capability as `GET /api/config` describes it. */
export interface ServerTranslation extends TranslationCapability {
  /** Why the languages outside `targets` cannot be caption languages, and what to set. */
  unavailable_reason: string;
}

export interface ServerConfig {
  protocol: number;
  languages: { code: string; name: string }[];
  translation: ServerTranslation;
  audio_relay: boolean;
  max_room_size: number;
  /** `token`: joining needs an invite link's join token. */
  auth: 'open' | 'token';
}

// ---- client → server (WebSocket) ----

export interface JoinRequest {
  room: string;
  name: string;
  /** ISO 639-1 code or `"auto"`. */
  language: string;
  /** `null` for originals only. */
  caption_language: string | null;
  /** The invite link's join token; left out when there is none. */
  token?: string | null;
  /** Take back the participant whose connection dropped (from its `joined`). */
  resume?: ResumeRequest;
  /** Captions on the WebSocket: no offer, no peer connection, no audio. */
  captions_only?: boolean;
}

export interface ResumeRequest {
  participant_id: string;
  token: string;
  /** The last `seq` received on the captions channel; later messages are sent again. */
  last_seq: number;
}

/** A client message as the schema has it, less the version `encodeClientMessage` adds. */
export type ClientMessage = Unversioned<wire.ClientMessage>;
type Unversioned<M> = M extends unknown ? Omit<M, 'v'> : never;

/** Why ICE gathering ended without a candidate (see `ice_failed` in docs/protocol.md). */
export type IceFailureCause = wire.IceFailed['cause'];

export function encodeClientMessage(message: ClientMessage): string {
  return JSON.stringify({ v: PROTOCOL_VERSION, ...message });
}

export function joinMessage(request: JoinRequest): ClientMessage {
  const { token, ...rest } = request;
  return { type: 'join', ...rest, name: request.name.trim(), ...(token ? { token } : {}) };
}

/** An ICE candidate from the browser; `null` (end of candidates) is sent as an empty string. */
export function candidateMessage(
  candidate: RTCIceCandidateInit | null,
  fallbackMid: string | null,
): ClientMessage {
  return {
    type: 'candidate',
    candidate: candidate?.candidate ?? '',
    sdp_mid: candidate?.sdpMid ?? fallbackMid,
    sdp_mline_index: candidate?.sdpMLineIndex ?? (fallbackMid === null ? null : 0),
  };
}

/** What the server would reject in a join request, field by field (null: nothing). */
export interface JoinProblems {
  room: 'room_invalid' | null;
  name: 'name_missing' | 'name_too_long' | null;
}

export function validateJoin(request: Pick<JoinRequest, 'room' | 'name'>): JoinProblems {
  const name = request.name.trim();
  return {
    room: ROOM_PATTERN.test(request.room) ? null : 'room_invalid',
    name:
      name.length === 0 ? 'name_missing' : name.length > MAX_NAME_LENGTH ? 'name_too_long' : null,
  };
}

// ---- server → client: each type is what its parser returns ----

export type LeaveReason = (typeof LEAVE_REASONS)[number];
/** Whose voice arrives on the transceiver with this `mid`. */
export type AudioTrackOwner = ReturnType<typeof audioTrack>;

/** A WebSocket message from the server, less its version. */
export type SignalingMessage = Parsed<typeof SIGNALING>;

/** One piece of a caption; long texts arrive as several pieces sharing `id`. */
export type CaptionMessage = ReturnType<typeof CHANNEL.caption>;
/** `covers` lists the captions it translates, in order: `[caption_id]` for one caption. */
export type TranslationMessage = ReturnType<typeof CHANNEL.translation>;
export type CaptionWithdrawnMessage = ReturnType<typeof CHANNEL.caption_withdrawn>;
export type SpeechMessage = ReturnType<typeof CHANNEL.speech>;
/** A data-channel message, less its version. */
export type ChannelMessage = Parsed<typeof CHANNEL>;

/** What a table of parsers returns, one message type per entry. */
type Parsed<Table extends Record<string, (f: Fields) => unknown>> = ReturnType<Table[keyof Table]>;

export type ParseResult<T> = { ok: true; message: T } | { ok: false; reason: string };

/** A field of the message failed validation; `message` names the field. */
class InvalidField extends Error {}

/** Typed accessors over one JSON object; each throws InvalidField naming the bad field. */
class Fields {
  constructor(
    private readonly value: Record<string, unknown>,
    private readonly path: string,
  ) {}

  static of(value: unknown, path: string): Fields {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new InvalidField(`${path} is not an object`);
    }
    return new Fields(value as Record<string, unknown>, path);
  }

  private fail(key: string, expected: string): never {
    throw new InvalidField(`${this.path}.${key} is not ${expected}`);
  }

  string(key: string): string {
    const v = this.value[key];
    return typeof v === 'string' ? v : this.fail(key, 'a string');
  }

  nullableString(key: string): string | null {
    const v = this.value[key];
    if (v === null || v === undefined) return null;
    return typeof v === 'string' ? v : this.fail(key, 'a string or null');
  }

  number(key: string): number {
    const v = this.value[key];
    return typeof v === 'number' && Number.isFinite(v) ? v : this.fail(key, 'a number');
  }

  integer(key: string, fallback?: number): number {
    const v = this.value[key];
    if (v === undefined && fallback !== undefined) return fallback;
    return Number.isInteger(v) && (v as number) >= 0
      ? (v as number)
      : this.fail(key, 'a non-negative integer');
  }

  boolean(key: string, fallback?: boolean): boolean {
    const v = this.value[key];
    if (v === undefined && fallback !== undefined) return fallback;
    return typeof v === 'boolean' ? v : this.fail(key, 'a boolean');
  }

  oneOf<T extends string>(key: string, values: readonly T[]): T {
    const v = this.value[key];
    return values.includes(v as T) ? (v as T) : this.fail(key, `one of ${values.join(', ')}`);
  }

  /** `{ [key]: value }` for a key the server sends only at times; `{}` when it is absent. */
  optional<K extends string, R extends 'string' | 'number' | 'boolean'>(
    key: K,
    read: R,
  ): { [P in K]?: ReturnType<Fields[R]> } {
    if (this.value[key] === undefined) return {};
    return { [key]: this[read](key) } as { [P in K]?: ReturnType<Fields[R]> };
  }

  object(key: string): Fields {
    return Fields.of(this.value[key], `${this.path}.${key}`);
  }

  list<T>(key: string, item: (f: Fields) => T): T[] {
    const v = this.value[key];
    if (!Array.isArray(v)) this.fail(key, 'a list');
    return v.map((entry, i) => item(Fields.of(entry, `${this.path}.${key}[${i}]`)));
  }

  stringList(key: string, fallback?: string[]): string[] {
    const v = this.value[key];
    if (v === undefined && fallback !== undefined) return fallback;
    if (!Array.isArray(v) || !v.every((s) => typeof s === 'string')) {
      this.fail(key, 'a list of strings');
    }
    return v;
  }
}

function participant(f: Fields) {
  return {
    id: f.string('id'),
    name: f.string('name'),
    language: f.string('language'),
    caption_language: f.nullableString('caption_language'),
  };
}

function speaker(f: Fields) {
  return { id: f.string('id'), name: f.string('name') };
}

function translationCapability(f: Fields) {
  return { backend: f.string('backend'), targets: f.stringList('targets') };
}

function serverTranslation(f: Fields): ServerTranslation {
  return {
    ...translationCapability(f),
    unavailable_reason: f.nullableString('unavailable_reason') ?? '',
  };
}

function iceServer(f: Fields): IceServer {
  const server: IceServer = { urls: urlsOf(f) };
  const username = f.nullableString('username');
  if (username !== null) server.username = username;
  const credential = f.nullableString('credential');
  if (credential !== null) server.credential = credential;
  return server;
}

function urlsOf(f: Fields): string | string[] {
  try {
    return f.stringList('urls');
  } catch {
    return f.string('urls');
  }
}

function audioTrack(f: Fields) {
  return { mid: f.string('mid'), participant_id: f.string('participant_id') };
}

const ICE_POLICIES = ['all', 'relay'] as const satisfies readonly RTCIceTransportPolicy[];
const LEAVE_REASONS = ['left', 'disconnected', 'failed', 'connection_lost', 'shutdown'] as const;

/** Parses JSON text into an object and checks the protocol version. */
function envelope(raw: string, where: string): Fields {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw new InvalidField(`${where} is not JSON`);
  }
  const f = Fields.of(value, where);
  if (f.integer('v') !== PROTOCOL_VERSION) {
    throw new InvalidField(`${where}.v is not ${PROTOCOL_VERSION}`);
  }
  return f;
}

function attempt<T>(parse: () => T): ParseResult<T> {
  try {
    return { ok: true, message: parse() };
  } catch (e) {
    if (e instanceof InvalidField) return { ok: false, reason: e.message };
    throw e;
  }
}

const SIGNALING = {
  joined: (f: Fields) => ({
    type: 'joined' as const,
    participant_id: f.string('participant_id'),
    room: f.string('room'),
    ice_servers: f.list('ice_servers', iceServer),
    ice_transport_policy: f.oneOf('ice_transport_policy', ICE_POLICIES),
    translation: translationCapability(f.object('translation')),
    participants: f.list('participants', participant),
    resume_token: f.nullableString('resume_token') ?? '',
    resumed: f.boolean('resumed', false),
    audio_slots: f.integer('audio_slots', 1),
  }),
  answer: (f: Fields) => ({ type: 'answer' as const, sdp: f.string('sdp') }),
  audio_tracks: (f: Fields) => ({
    type: 'audio_tracks' as const,
    tracks: f.list('tracks', audioTrack),
  }),
  participants: (f: Fields) => ({
    type: 'participants' as const,
    participants: f.list('participants', participant),
  }),
  participant_joined: (f: Fields) => ({
    type: 'participant_joined' as const,
    participant: participant(f.object('participant')),
  }),
  participant_left: (f: Fields) => ({
    type: 'participant_left' as const,
    participant: participant(f.object('participant')),
    reason: f.oneOf('reason', LEAVE_REASONS),
  }),
  caption_language: (f: Fields) => ({
    type: 'caption_language' as const,
    language: f.nullableString('language'),
  }),
  notice: (f: Fields) => ({
    type: 'notice' as const,
    code: f.string('code'),
    message: f.string('message'),
    language: f.nullableString('language'),
    ...f.optional('delay_s', 'number'),
  }),
  error: (f: Fields) => ({
    type: 'error' as const,
    code: f.string('code'),
    message: f.string('message'),
    ...f.optional('cause', 'string'),
  }),
  left: () => ({ type: 'left' as const }),
  pong: () => ({ type: 'pong' as const }),
};

const CHANNEL = {
  caption: (f: Fields) => ({
    type: 'caption' as const,
    id: f.string('id'),
    seq: f.integer('seq'),
    speaker: speaker(f.object('speaker')),
    language: f.string('language'),
    text: f.string('text'),
    final: f.boolean('final'),
    start: f.number('start'),
    end: f.number('end'),
    origin: f.integer('origin', 0),
    ...pieceOf(f),
    history: f.boolean('history', false),
    interrupted: f.boolean('interrupted', false),
    ...f.optional('continued', 'boolean'),
  }),
  translation: (f: Fields) => ({
    type: 'translation' as const,
    caption_id: f.string('caption_id'),
    seq: f.integer('seq'),
    speaker: speaker(f.object('speaker')),
    language: f.string('language'),
    source_language: f.string('source_language'),
    text: f.string('text'),
    final: f.boolean('final'),
    ...pieceOf(f),
    history: f.boolean('history', false),
    covers: f.stringList('covers', [f.string('caption_id')]),
  }),
  caption_withdrawn: (f: Fields) => ({
    type: 'caption_withdrawn' as const,
    id: f.string('id'),
    seq: f.integer('seq'),
  }),
  speech: (f: Fields) => ({
    type: 'speech' as const,
    seq: f.integer('seq'),
    speaker: speaker(f.object('speaker')),
    speaking: f.boolean('speaking'),
  }),
};

/** Parses one message with the table's parser for its `type`. */
function parseWith<Table extends Record<string, (f: Fields) => unknown>>(
  table: Table,
  raw: string,
): ParseResult<Parsed<Table>> {
  return attempt(() => {
    const f = envelope(raw, 'message');
    const type = f.string('type');
    if (!Object.hasOwn(table, type)) throw new InvalidField(`unknown message type "${type}"`);
    return table[type](f) as Parsed<Table>;
  });
}

export function parseChannelMessage(raw: string): ParseResult<ChannelMessage> {
  return parseWith(CHANNEL, raw);
}

/** What arrives on the WebSocket: signaling, and a captions-only participant's captions. */
export type WebSocketMessage = SignalingMessage | ChannelMessage;

export function parseWebSocketMessage(raw: string): ParseResult<WebSocketMessage> {
  return parseWith({ ...SIGNALING, ...CHANNEL }, raw);
}

function pieceOf(f: Fields): { part: number; parts: number } {
  const part = f.integer('part', 0);
  const parts = f.integer('parts', 1);
  if (parts < 1 || part >= parts) throw new InvalidField('message.part is outside message.parts');
  return { part, parts };
}

export function parseServerConfig(value: unknown): ParseResult<ServerConfig> {
  return attempt(() => {
    const f = Fields.of(value, 'config');
    return {
      protocol: f.integer('protocol'),
      languages: f.list('languages', (l) => ({ code: l.string('code'), name: l.string('name') })),
      translation: serverTranslation(f.object('translation')),
      audio_relay: f.boolean('audio_relay', true),
      max_room_size: f.integer('max_room_size', 0),
      auth: f.nullableString('auth') === 'token' ? 'token' : 'open',
    };
  });
}

// ---- held to the schema ----
// Each parser's type must take every message the schema allows (`E` assignable to `P`) and
// have exactly its keys, less `v`; `Filled` keys, optional on the wire, get the parser's
// default. A failing line below names the message the web app does not follow yet.

type Received<W, Filled extends keyof W = never> = Omit<W, 'v' | Filled> & {
  [K in Filled]-?: Exclude<W[K], undefined>;
};
type SameKeys<A, B> = [keyof A] extends [keyof B]
  ? [keyof B] extends [keyof A]
    ? true
    : false
  : false;
type Mirrors<P, E> = [E] extends [P] ? SameKeys<P, E> : false;
type ByType<M extends { type: string }> = { [T in M['type']]: Extract<M, { type: T }> };
type Signal<T extends keyof typeof SIGNALING> = ReturnType<(typeof SIGNALING)[T]>;
type Channel<T extends keyof typeof CHANNEL> = ReturnType<(typeof CHANNEL)[T]>;
type Assert<T extends true> = T;

export type WireChecks = [
  Assert<SameKeys<typeof SIGNALING, ByType<wire.ServerMessage>>>,
  Assert<Mirrors<Signal<'joined'>, Received<wire.Joined>>>,
  Assert<Mirrors<Signal<'answer'>, Received<wire.Answer>>>,
  Assert<Mirrors<Signal<'audio_tracks'>, Received<wire.AudioTracks>>>,
  Assert<Mirrors<Signal<'participants'>, Received<wire.Participants>>>,
  Assert<Mirrors<Signal<'participant_joined'>, Received<wire.ParticipantJoined>>>,
  Assert<Mirrors<Signal<'participant_left'>, Received<wire.ParticipantLeft>>>,
  Assert<Mirrors<Signal<'caption_language'>, Received<wire.CaptionLanguage>>>,
  Assert<Mirrors<Signal<'notice'>, Received<wire.Notice>>>,
  Assert<Mirrors<Signal<'error'>, Received<wire.ErrorMessage>>>,
  Assert<Mirrors<Signal<'left'>, Received<wire.Left>>>,
  Assert<Mirrors<Signal<'pong'>, Received<wire.Pong>>>,
  Assert<SameKeys<typeof CHANNEL, ByType<wire.CaptionChannelMessage>>>,
  Assert<Mirrors<Channel<'caption'>, Received<wire.Caption, 'history' | 'interrupted'>>>,
  Assert<Mirrors<Channel<'translation'>, Received<wire.Translation, 'history' | 'covers'>>>,
  Assert<Mirrors<Channel<'caption_withdrawn'>, Received<wire.CaptionWithdrawn>>>,
  Assert<Mirrors<Channel<'speech'>, Received<wire.Speech>>>,
  Assert<Mirrors<Participant, wire.ParticipantInfo>>,
  Assert<Mirrors<Speaker, wire.Speaker>>,
  Assert<Mirrors<TranslationCapability, wire.TranslationCapability>>,
  Assert<Mirrors<IceServer, wire.IceServer>>,
  Assert<Mirrors<AudioTrackOwner, wire.AudioTrack>>,
];
