import { Injectable, effect, inject, signal } from '@angular/core';
import { CaptionStore } from '../captions/caption-store';
import { MessageKey } from '../i18n/en';
import { I18n, Message } from '../i18n/i18n.service';
import { MicrophoneService } from '../media/microphone.service';
import {
  ChannelMessage,
  IceFailureCause,
  IceServer,
  ResumeRequest,
  TranslationCapability,
  WebSocketMessage,
  candidateMessage,
  joinMessage,
  parseChannelMessage,
} from '../protocol/protocol';
import { RoomStore } from '../room/room-store';
import { ACCESS_ERRORS, tokenForRoom } from '../shared/join-token';
import { NotificationService } from '../shared/notification.service';
import { newViewerId, signalingUrl, tokenFromUrl } from '../shared/room-link';
import { DiagnosticsService } from './diagnostics.service';
import { MediaPeer } from './media-peer';
import { SignalingLoss, SignalingSocket } from './signaling-socket';

export type ConnectionState = 'idle' | 'connecting' | 'connected' | 'reconnecting' | 'failed';

export interface SessionSettings {
  room: string;
  name: string;
  language: string;
  captionLanguage: string | null;
  listenOnly: boolean;
  /** Captions on the WebSocket alone: no peer connection, no microphone, no audio. */
  captionsOnly: boolean;
  forceRelay: boolean;
  /** The invite link's join token, sent with every join (reconnections too). */
  token: string | null;
}

const CONNECT_TIMEOUT_MS = 20_000;
// After Chromium's own `disconnected` (about 6 s after the path died): more time for a blip.
const DISCONNECTED_GRACE_MS = 2_000;
/**
 * Reconnecting: quick attempts first (a killed instance's room is placed anew within seconds,
 * once its lease lapses), then exponential backoff up to RETRY_MAX_MS so a server that stays
 * down is not hammered. About two and a half minutes in all before giving up.
 */
const RETRY_BASE_MS = 500;
const QUICK_RETRIES = 8;
const QUICK_MAX_MS = 1_500;
const RETRY_MAX_MS = 30_000;
const MAX_RETRIES = 15;
/** Each delay is scaled by 1 ± this at random, so a room's clients do not return at once. */
const RETRY_JITTER = 0.25;
const STATS_INTERVAL_MS = 2_000;
const LEAVE_GRACE_MS = 1_000;
/** Backoff starts over only after a connection held this long, not on every brief success. */
const STABLE_AFTER_MS = 15_000;

/** Answers to `join` that would only repeat if the same join were retried. */
const JOIN_ERRORS = new Set([
  'room_full',
  'server_full',
  'unsupported_version',
  'bad_message',
  'already_joined',
]);
const ICE_FAILURES: Record<IceFailureCause, MessageKey> = {
  turn_refused: 'lost.turnRefused',
  turn_unreachable: 'lost.turnUnreachable',
  no_candidates: 'lost.noCandidates',
};
/** Notices that a state is over. */
const RESOLVED_NOTICES = new Set([
  'translation_resumed',
  'captions_on_time',
  'captions_resumed',
  'audio_arriving',
]);
/** Notices that the speaker is not heard or not captioned: a reconnect is offered. */
const NOT_HEARD_NOTICES = new Set(['audio_not_arriving', 'speech_not_captioned']);
/**
 * Refusals that pass: the instance is draining, the cluster cannot place a new room without
 * Redis, or the room's host is gone and the room is about to be placed elsewhere. The client
 * tries again (resuming its session) with the usual backoff instead of ending the session.
 */
const TEMPORARY_ERRORS: Record<string, MessageKey> = {
  shutting_down: 'lost.shuttingDown',
  cluster_unavailable: 'lost.clusterUnavailable',
  room_moving: 'lost.roomMoving',
};
/** Answers to the offer that would only repeat with the same browser. */
const OFFER_ERRORS = new Set(['bad_sdp', 'no_audio', 'too_many_speakers']);
/** Notices the app says in its own words (and language) rather than the server's. */
const NOTICE_TEXT: Record<string, MessageKey> = {
  server_shutdown: 'notice.server_shutdown',
  captions_delayed: 'notice.captions_delayed',
  captions_on_time: 'notice.captions_on_time',
  captions_paused: 'notice.captions_paused',
  captions_resumed: 'notice.captions_resumed',
  audio_not_arriving: 'notice.audio_not_arriving',
  audio_arriving: 'notice.audio_arriving',
  speech_not_captioned: 'notice.speech_not_captioned',
};
/**
 * The room this tab is in, so a reload goes back into it. Per tab (sessionStorage) and without
 * the join token, which stays in the page's address.
 */
const MEETING_KEY = 'captions.meeting.v1';

/**
 * One participation in a room: joins over signaling, sets up the media peer, routes what
 * arrives to the stores, and reconnects with exponential backoff (a new WebSocket and a new
 * peer connection each time) while keeping the transcript.
 */
@Injectable({ providedIn: 'root' })
export class SessionService {
  private readonly captions = inject(CaptionStore);
  private readonly room = inject(RoomStore);
  private readonly microphone = inject(MicrophoneService);
  private readonly diagnostics = inject(DiagnosticsService);
  private readonly notifications = inject(NotificationService);
  private readonly t = inject(I18n).t;

  readonly state = signal<ConnectionState>('idle');
  /** Why the state is what it is, for the user (empty when all is well). */
  readonly detail = signal('');
  readonly retryAt = signal<number | null>(null);
  readonly settings = signal<SessionSettings | null>(null);
  /** Caption language confirmed by the server. */
  readonly captionLanguage = signal<string | null>(null);
  readonly translation = signal<TranslationCapability | null>(null);
  /** Why the server refused to let us in (no, expired or wrong invite link); set when idle. */
  readonly refusal = signal<Message | null>(null);

  private socket: SignalingSocket | null = null;
  /** Kept across reconnections: a cluster's proxy sends a viewer back where it was. */
  private readonly viewerId = newViewerId();
  private peer: MediaPeer | null = null;
  /** Bumped whenever an attempt is torn down, so its late callbacks are ignored. */
  private generation = 0;
  private failures = 0;
  private timers: number[] = [];
  private joined = false;
  private offerSent = false;
  private pendingCandidates: [RTCIceCandidateInit | null, string | null][] = [];
  /** How to take this participant back after a dropped connection; null: join afresh. */
  private resumable: Omit<ResumeRequest, 'last_seq'> | null = null;
  /** The newest caption `seq`; a resumed session continues the same series. */
  private lastSeq = 0;

  constructor() {
    effect(() => {
      const track = this.microphone.track();
      if (track) void this.peer?.replaceMicrophone(track);
    });
    window.addEventListener('online', () => {
      if (this.state() === 'reconnecting') this.connect();
    });
    window.addEventListener('pagehide', () => this.socket?.send({ type: 'leave' }));
    effect(() => {
      const settings = this.settings();
      if (this.state() === 'idle' || settings === null) return removeStored(MEETING_KEY);
      const { token, ...meeting } = settings;
      store(MEETING_KEY, meeting);
    });
  }

  /** After a reload in a room: joins it again (the token from the address); false if none. */
  rejoinAfterReload(): boolean {
    const saved = readMeeting();
    if (saved === null) return false;
    this.join({ ...saved, token: tokenForRoom(tokenFromUrl(new URL(location.href)), saved.room) });
    return true;
  }

  /** Back to the start after leaving: the join screen instead of the "you left" one. */
  startOver(): void {
    this.settings.set(null);
    this.captions.clear();
  }

  join(settings: SessionSettings): void {
    this.refusal.set(null);
    this.settings.set(settings);
    this.captionLanguage.set(settings.captionLanguage);
    this.captions.clear();
    this.captions.language.set(settings.captionLanguage);
    this.room.reset();
    this.diagnostics.reset();
    this.failures = 0;
    this.resumable = null;
    this.state.set('connecting');
    this.connect();
  }

  leave(): void {
    const socket = this.socket;
    this.socket = null;
    socket?.send({ type: 'leave' });
    // Give the server a moment to answer `left` before the socket goes.
    setTimeout(() => socket?.close(), LEAVE_GRACE_MS);
    this.teardown();
    this.resumable = null;
    this.room.reset();
    this.microphone.stop();
    this.state.set('idle');
    this.detail.set('');
  }

  /** Starts over after `failed`. */
  retry(): void {
    this.failures = 0;
    this.reconnect();
  }

  /** A new connection now, taking this participant back (the same session for others). */
  reconnect(): void {
    this.state.set('connecting');
    this.connect();
  }

  setCaptionLanguage(language: string | null): void {
    this.settings.update((s) => (s ? { ...s, captionLanguage: language } : s));
    this.captions.language.set(language);
    this.socket?.send({ type: 'set_caption_language', language });
  }

  /** Joins again with the other mode; the protocol allows one client offer per session. */
  setListenOnly(listenOnly: boolean): void {
    this.settings.update((s) => (s ? { ...s, listenOnly, captionsOnly: false } : s));
    if (listenOnly) this.microphone.stop();
    this.reconnect();
  }

  private connect(): void {
    this.teardown();
    this.joined = false;
    this.detail.set('');
    this.retryAt.set(null);
    const guard = this.guard();
    const { room, captionsOnly } = this.settings()!;
    const url = signalingUrl(document.baseURI, room, captionsOnly, this.viewerId);
    this.socket = new SignalingSocket(url, {
      message: guard((message: WebSocketMessage) => this.onSignal(message)),
      lost: guard((loss: SignalingLoss) =>
        this.connectionLost(this.t(loss === 'closed' ? 'lost.closed' : 'lost.silent')),
      ),
      roundTrip: guard((ms: number) => this.diagnostics.signalingRoundTripMs.set(ms)),
    });
    this.after(
      CONNECT_TIMEOUT_MS,
      guard(() => this.connectionLost(this.t('lost.timeout'))),
    );
    this.socket.opened.then(
      guard(() => this.sendJoin()),
      guard(() => this.connectionLost(this.t('lost.unreachable'))),
    );
  }

  /** Resumes the dropped session if there is one, so others see no leave and join. */
  private sendJoin(): void {
    const settings = this.settings()!;
    const resume = this.resumable ? { ...this.resumable, last_seq: this.lastSeq } : undefined;
    this.socket?.send(
      joinMessage({
        room: settings.room,
        name: settings.name,
        language: settings.language,
        caption_language: settings.captionLanguage,
        token: settings.token,
        ...(resume && { resume }),
        ...(settings.captionsOnly && { captions_only: true }),
      }),
    );
  }

  /** Wraps a callback so it only runs while the attempt that created it is current. */
  private guard() {
    const generation = this.generation;
    return <A extends unknown[]>(fn: (...args: A) => void) =>
      (...args: A) => {
        if (generation === this.generation) fn(...args);
      };
  }

  private onSignal(message: WebSocketMessage): void {
    switch (message.type) {
      case 'joined':
        this.joined = true;
        if (!message.resumed) this.lastSeq = 0; // a new session numbers captions afresh
        this.resumable = message.resume_token
          ? { participant_id: message.participant_id, token: message.resume_token }
          : null;
        this.room.selfId.set(message.participant_id);
        this.room.setParticipants(message.participants);
        this.translation.set(message.translation);
        if (this.settings()!.captionsOnly) {
          this.channelOpened(); // the history and live captions follow on this WebSocket
          break;
        }
        void this.startPeer(message.ice_servers, message.ice_transport_policy, message.audio_slots);
        break;
      case 'answer':
        this.peer
          ?.acceptAnswer(message.sdp)
          .catch(this.guard()(() => this.connectionLost(this.t('lost.badAnswer'))));
        break;
      case 'participants':
        this.room.setParticipants(message.participants);
        break;
      case 'participant_joined':
        this.room.upsert(message.participant);
        if (message.participant.id !== this.room.selfId()) {
          this.notifications.show(
            'info',
            this.t('people.joined', { name: message.participant.name }),
          );
        }
        break;
      case 'participant_left':
        this.room.remove(message.participant.id);
        this.notifications.show(
          'info',
          this.t(message.reason === 'left' ? 'people.left' : 'people.lostConnection', {
            name: message.participant.name,
          }),
        );
        break;
      case 'caption_language':
        this.captionLanguage.set(message.language);
        break;
      case 'audio_tracks':
        this.room.setAudioOwners(message.tracks);
        break;
      case 'notice':
        this.notifications.show(
          RESOLVED_NOTICES.has(message.code) ? 'success' : 'warning',
          message.code in NOTICE_TEXT ? this.t(NOTICE_TEXT[message.code]) : message.message,
          NOT_HEARD_NOTICES.has(message.code)
            ? { label: this.t('people.reconnect'), run: () => this.reconnect() }
            : undefined,
        );
        break;
      case 'error':
        this.onServerError(message.code, message.message);
        break;
      case 'caption':
      case 'translation':
      case 'caption_withdrawn':
      case 'speech':
        this.onCaption(message);
        break;
      case 'left':
      case 'pong':
        break;
    }
  }

  private onServerError(code: string, message: string): void {
    if (!this.joined && code in ACCESS_ERRORS) {
      // Back to the join screen, which says plainly what is wrong with the invite link.
      this.leave();
      this.refusal.set(ACCESS_ERRORS[code]);
    } else if (code === 'resume_failed') {
      // The old session is gone (expired, or the server restarted): start a new one.
      this.resumable = null;
      this.sendJoin();
    } else if (code === 'connection_lost') {
      // The server holds the session a while: resuming brings back the captions missed.
      this.connectionLost(this.t('lost.media'));
    } else if (code in TEMPORARY_ERRORS) {
      this.connectionLost(this.t(TEMPORARY_ERRORS[code]));
    } else if (code === 'not_ready') {
      this.connectionLost(this.t('lost.notReady'));
    } else if (code === 'internal') {
      this.connectionLost(this.t('lost.internal'));
    } else if (
      (!this.joined && JOIN_ERRORS.has(code)) ||
      (this.state() !== 'connected' && OFFER_ERRORS.has(code))
    ) {
      this.fail(code === 'room_full' ? this.t('room.full') : message);
    } else {
      this.notifications.show('error', message);
    }
  }

  private async startPeer(
    iceServers: IceServer[],
    policy: RTCIceTransportPolicy,
    audioSlots: number,
  ): Promise<void> {
    const guard = this.guard();
    const generation = this.generation;
    const settings = this.settings()!;
    if (settings.forceRelay && !iceServers.some((s) => [s.urls].flat().some(isTurnUrl))) {
      this.fail(this.t('lost.noTurn'));
      return;
    }
    if (!settings.listenOnly && !this.microphone.track() && !(await this.microphone.start())) {
      guard(() => this.fail(this.microphone.problemText() ?? this.t('mic.unavailable')))();
      return;
    }
    if (generation !== this.generation) return;
    this.offerSent = false;
    this.pendingCandidates = [];
    this.peer = new MediaPeer(
      {
        iceServers,
        iceTransportPolicy: settings.forceRelay ? 'relay' : policy,
        microphone: settings.listenOnly ? null : this.microphone.track(),
        audioSlots,
      },
      {
        candidate: guard((candidate: RTCIceCandidateInit | null, mid: string | null) =>
          this.sendCandidate(candidate, mid),
        ),
        channelOpen: guard(() => this.channelOpened()),
        channelMessage: guard((data: string) => this.onChannelMessage(data)),
        channelClosed: guard(() => this.connectionLost(this.t('lost.channelClosed'))),
        track: guard((track: MediaStreamTrack, mid: string | null, stream: MediaStream | null) =>
          this.room.addAudio(track, mid, stream),
        ),
        connectionState: guard((state: RTCPeerConnectionState) => this.onPeerState(state)),
        gatheringFailed: guard((cause: IceFailureCause, detail: string) =>
          this.iceFailed(cause, detail),
        ),
      },
    );
    try {
      const sdp = await this.peer.createOffer();
      guard(() => {
        this.socket?.send({ type: 'offer', sdp });
        this.offerSent = true;
        for (const [candidate, mid] of this.pendingCandidates) this.sendCandidate(candidate, mid);
        this.pendingCandidates = [];
      })();
    } catch {
      guard(() => this.connectionLost(this.t('lost.noPeer')))();
    }
  }

  private sendCandidate(candidate: RTCIceCandidateInit | null, mid: string | null): void {
    if (!this.offerSent) {
      this.pendingCandidates.push([candidate, mid]);
      return;
    }
    this.socket?.send(candidateMessage(candidate, mid));
  }

  /** Tells the server (for its operator) and the user at once, not after the connect timeout. */
  private iceFailed(cause: IceFailureCause, detail: string): void {
    this.socket?.send({ type: 'ice_failed', cause, detail });
    const reason = this.t(ICE_FAILURES[cause]);
    // Refused credentials stay refused; a TURN server that did not answer may be back soon.
    if (cause === 'turn_refused') this.fail(reason);
    else this.connectionLost(reason);
  }

  private onPeerState(state: RTCPeerConnectionState): void {
    if (state === 'failed') {
      this.connectionLost(this.t('lost.mediaFailed'));
    } else if (state === 'disconnected') {
      // Often a short network blip that ICE recovers from by itself.
      const guard = this.guard();
      this.after(
        DISCONNECTED_GRACE_MS,
        guard(() => {
          if (this.peer?.connectionState === 'disconnected') {
            this.connectionLost(this.t('lost.mediaInterrupted'));
          }
        }),
      );
    }
  }

  private channelOpened(): void {
    this.clearTimers();
    this.captions.beginChannel();
    this.room.beginChannel();
    this.state.set('connected');
    this.detail.set('');
    const guard = this.guard();
    this.after(
      STABLE_AFTER_MS,
      guard(() => (this.failures = 0)),
    );
    const poll = guard(() => {
      if (this.peer) void this.diagnostics.sample(this.peer);
    });
    poll();
    this.timers.push(window.setInterval(poll, STATS_INTERVAL_MS));
  }

  private onChannelMessage(data: string): void {
    const parsed = parseChannelMessage(data);
    if (!parsed.ok) {
      console.warn('Ignoring caption message:', parsed.reason);
      return;
    }
    this.onCaption(parsed.message);
  }

  /** A caption message, from the data channel or (captions only) the WebSocket. */
  private onCaption(message: ChannelMessage): void {
    this.lastSeq = Math.max(this.lastSeq, message.seq);
    if (message.type === 'speech') {
      if (this.room.applySpeech(message)) {
        this.diagnostics.recordSpeech(message.speaker.id, message.speaking);
      }
      return;
    }
    const final = this.captions.apply(message);
    if (final && !final.history) this.diagnostics.recordFinal(final.speaker.id);
  }

  private connectionLost(reason: string): void {
    if (this.state() === 'idle' || this.state() === 'failed') return;
    this.teardown();
    this.failures++;
    if (this.failures > MAX_RETRIES) {
      this.fail(this.t('lost.gaveUp', { reason, attempts: MAX_RETRIES }));
      return;
    }
    const delay = retryDelay(this.failures, Math.random());
    console.warn(`Connection lost (${reason}); trying again in ${delay} ms`);
    this.state.set('reconnecting');
    this.detail.set(reason);
    this.retryAt.set(Date.now() + delay);
    this.after(
      delay,
      this.guard()(() => this.connect()),
    );
  }

  private fail(reason: string): void {
    this.teardown();
    this.state.set('failed');
    this.detail.set(reason);
  }

  private teardown(): void {
    this.generation++;
    this.clearTimers();
    this.socket?.close();
    this.socket = null;
    this.peer?.close();
    this.peer = null;
    this.room.clearMedia();
    this.diagnostics.iceState.set(null);
  }

  private after(ms: number, fn: () => void): void {
    this.timers.push(window.setTimeout(fn, ms));
  }

  private clearTimers(): void {
    // Timeout and interval ids share one pool in browsers, so one clear handles both.
    this.timers.forEach((id) => clearTimeout(id));
    this.timers = [];
  }
}

/**
 * How long to wait before reconnection attempt `attempt` (1, 2, ...), `random` in [0, 1):
 * 0.5, 1 and then 1.5 s for the first QUICK_RETRIES attempts, doubling from there to at most
 * RETRY_MAX_MS; each ±RETRY_JITTER at random, which keeps a room's clients (a lecture's
 * audience) from all returning to a new host at the same instant.
 */
export function retryDelay(attempt: number, random: number): number {
  const backoff =
    attempt <= QUICK_RETRIES
      ? Math.min(QUICK_MAX_MS, RETRY_BASE_MS * attempt)
      : Math.min(RETRY_MAX_MS, QUICK_MAX_MS * 2 ** (attempt - QUICK_RETRIES));
  return Math.round(backoff * (1 - RETRY_JITTER + 2 * RETRY_JITTER * random));
}

function readMeeting(): Omit<SessionSettings, 'token'> | null {
  try {
    const saved: unknown = JSON.parse(sessionStorage.getItem(MEETING_KEY) ?? 'null');
    if (typeof saved !== 'object' || saved === null) return null;
    const s = saved as Record<string, unknown>;
    const ok =
      typeof s['room'] === 'string' &&
      typeof s['name'] === 'string' &&
      typeof s['language'] === 'string' &&
      (s['captionLanguage'] === null || typeof s['captionLanguage'] === 'string') &&
      typeof s['listenOnly'] === 'boolean' &&
      typeof s['captionsOnly'] === 'boolean' &&
      typeof s['forceRelay'] === 'boolean';
    return ok ? (saved as Omit<SessionSettings, 'token'>) : null;
  } catch {
    return null; // unreadable: start from the join screen
  }
}

function store(key: string, value: unknown): void {
  try {
    sessionStorage.setItem(key, JSON.stringify(value));
  } catch {
    // Storage disabled: a reload then lands on the join screen.
  }
}

function removeStored(key: string): void {
  try {
    sessionStorage.removeItem(key);
  } catch {
    // Nothing was stored.
  }
}

function isTurnUrl(url: string): boolean {
  return url.startsWith('turn:') || url.startsWith('turns:');
}
