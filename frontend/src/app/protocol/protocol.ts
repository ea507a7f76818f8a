/**
 * Wire protocol version 1 (docs/protocol.md): message types, builders for what the client
 * sends and validating parsers for what the server sends. Nothing here touches the network.
 */

export const PROTOCOL_VERSION = 1;

export const ROOM_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
export const MAX_NAME_LENGTH = 64;

export interface Participant {
  id: string;
  name: string;
  language: string;
  caption_language: string | null;
}

export interface Speaker {
  id: string;
  name: string;
}

export interface TranslationCapability {
  backend: string;
  /** `["*"]`: any language; `["en"]`: English only; `[]`: translation off. */
  targets: string[];
}

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
}

export interface ResumeRequest {
  participant_id: string;
  token: string;
  /** The last `seq` received on the captions channel; later messages are sent again. */
  last_seq: number;
}

export type ClientMessage =
  | ({ type: 'join' } & JoinRequest)
  | { type: 'offer'; sdp: string }
  | { type: 'candidate'; candidate: string; sdp_mid: string | null; sdp_mline_index: number | null }
  | { type: 'set_caption_language'; language: string | null }
  | { type: 'leave' }
  | { type: 'ping' }
  | { type: 'ice_failed'; cause: IceFailureCause; detail: string };

/** Why ICE gathering ended without a candidate (see `ice_failed` in docs/protocol.md). */
export type IceFailureCause = 'turn_refused' | 'turn_unreachable' | 'no_candidates';

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

// ---- server → client (WebSocket) ----

export type LeaveReason = 'left' | 'disconnected' | 'failed' | 'connection_lost';

/** Whose voice arrives on the transceiver with this `mid`. */
export interface AudioTrackOwner {
  mid: string;
  participant_id: string;
}

export type SignalingMessage =
  | {
      type: 'joined';
      participant_id: string;
      room: string;
      ice_servers: IceServer[];
      ice_transport_policy: RTCIceTransportPolicy;
      translation: TranslationCapability;
      participants: Participant[];
      /** Sent back in `join.resume` to take this participant back after a dropped connection. */
      resume_token: string;
      resumed: boolean;
      /** Audio m-sections to offer: the most voices the server relays at once (0: none). */
      audio_slots: number;
    }
  | { type: 'answer'; sdp: string }
  | { type: 'participants'; participants: Participant[] }
  | { type: 'participant_joined'; participant: Participant }
  | { type: 'participant_left'; participant: Participant; reason: LeaveReason }
  | { type: 'caption_language'; language: string | null }
  | { type: 'audio_tracks'; tracks: AudioTrackOwner[] }
  | { type: 'notice'; code: string; message: string; language: string | null }
  | { type: 'error'; code: string; message: string }
  | { type: 'left' }
  | { type: 'pong' };

// ---- server → client (data channel `captions`) ----

/** One piece of a caption; long texts arrive as several pieces sharing `id`. */
export interface CaptionMessage {
  type: 'caption';
  id: string;
  seq: number;
  speaker: Speaker;
  language: string;
  text: string;
  final: boolean;
  start: number;
  end: number;
  /** Server wall clock (Unix ms) when the speaker's audio started; 0 when unknown. */
  origin: number;
  part: number;
  parts: number;
  history: boolean;
  /** A final cut short: the speaker's audio stopped arriving mid-sentence. */
  interrupted: boolean;
}

export interface TranslationMessage {
  type: 'translation';
  caption_id: string;
  seq: number;
  speaker: Speaker;
  language: string;
  source_language: string;
  text: string;
  final: boolean;
  part: number;
  parts: number;
  history: boolean;
  /** The captions whose text this translates, in order (a sentence spoken in pieces). */
  covers: string[];
}

export interface CaptionWithdrawnMessage {
  type: 'caption_withdrawn';
  id: string;
  seq: number;
}

export interface SpeechMessage {
  type: 'speech';
  seq: number;
  speaker: Speaker;
  speaking: boolean;
}

export type ChannelMessage =
  CaptionMessage | TranslationMessage | CaptionWithdrawnMessage | SpeechMessage;

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

function participant(f: Fields): Participant {
  return {
    id: f.string('id'),
    name: f.string('name'),
    language: f.string('language'),
    caption_language: f.nullableString('caption_language'),
  };
}

function speaker(f: Fields): Speaker {
  return { id: f.string('id'), name: f.string('name') };
}

function translationCapability(f: Fields): TranslationCapability {
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

const ICE_POLICIES: readonly string[] = ['all', 'relay'];
const LEAVE_REASONS: readonly string[] = ['left', 'disconnected', 'failed'];

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

export function parseSignalingMessage(raw: string): ParseResult<SignalingMessage> {
  return attempt(() => {
    const f = envelope(raw, 'message');
    const type = f.string('type');
    switch (type) {
      case 'joined': {
        const policy = f.string('ice_transport_policy');
        if (!ICE_POLICIES.includes(policy)) throw new InvalidField('joined.ice_transport_policy');
        return {
          type,
          participant_id: f.string('participant_id'),
          room: f.string('room'),
          ice_servers: f.list('ice_servers', iceServer),
          ice_transport_policy: policy as RTCIceTransportPolicy,
          translation: translationCapability(f.object('translation')),
          participants: f.list('participants', participant),
          resume_token: f.nullableString('resume_token') ?? '',
          resumed: f.boolean('resumed', false),
          audio_slots: f.integer('audio_slots', 1),
        };
      }
      case 'answer':
        return { type, sdp: f.string('sdp') };
      case 'participants':
        return { type, participants: f.list('participants', participant) };
      case 'participant_joined':
        return { type, participant: participant(f.object('participant')) };
      case 'participant_left': {
        const reason = f.string('reason');
        if (!LEAVE_REASONS.includes(reason)) throw new InvalidField('participant_left.reason');
        return {
          type,
          participant: participant(f.object('participant')),
          reason: reason as LeaveReason,
        };
      }
      case 'caption_language':
        return { type, language: f.nullableString('language') };
      case 'audio_tracks':
        return {
          type,
          tracks: f.list('tracks', (t) => ({
            mid: t.string('mid'),
            participant_id: t.string('participant_id'),
          })),
        };
      case 'notice':
        return {
          type,
          code: f.string('code'),
          message: f.string('message'),
          language: f.nullableString('language'),
        };
      case 'error':
        return { type, code: f.string('code'), message: f.string('message') };
      case 'left':
      case 'pong':
        return { type };
      default:
        throw new InvalidField(`unknown message type "${type}"`);
    }
  });
}

export function parseChannelMessage(raw: string): ParseResult<ChannelMessage> {
  return attempt(() => {
    const f = envelope(raw, 'message');
    const type = f.string('type');
    switch (type) {
      case 'caption': {
        const message: CaptionMessage = {
          type,
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
        };
        return message;
      }
      case 'translation': {
        const message: TranslationMessage = {
          type,
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
        };
        return message;
      }
      case 'caption_withdrawn':
        return { type, id: f.string('id'), seq: f.integer('seq') };
      case 'speech':
        return {
          type,
          seq: f.integer('seq'),
          speaker: speaker(f.object('speaker')),
          speaking: f.boolean('speaking'),
        };
      default:
        throw new InvalidField(`unknown message type "${type}"`);
    }
  });
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
