import { Injectable, computed, signal } from '@angular/core';
import { AudioTrackOwner, Participant, SpeechMessage } from '../protocol/protocol';

/** An incoming audio track: one slot the server fills with another participant's voice. */
export interface RemoteAudio {
  trackId: string;
  /** The transceiver it arrives on; the server says whose it is (`audio_tracks`). */
  mid: string | null;
  /** A stream holding only this track, for one <audio> element. */
  stream: MediaStream;
}

/** Who is in the room, who is speaking, and whose audio plays. */
@Injectable({ providedIn: 'root' })
export class RoomStore {
  readonly selfId = signal<string | null>(null);
  readonly participants = signal<Participant[]>([]);
  readonly remoteAudio = signal<RemoteAudio[]>([]);
  /** Transceiver mid → participant id, from the server's latest `audio_tracks`. */
  private readonly audioOwners = signal<ReadonlyMap<string, string>>(new Map());
  /** Audio the user muted locally, by `audioKey` (kept across reconnections). */
  readonly mutedAudio = signal<ReadonlySet<string>>(new Set());
  /** Mutes all incoming audio (e.g. to avoid echo without headphones). */
  readonly playbackMuted = signal(false);

  private readonly speakingState = signal<ReadonlySet<string>>(new Set());
  readonly speaking = this.speakingState.asReadonly();
  private readonly speechSeq = new Map<string, number>();

  readonly others = computed(() => this.participants().filter((p) => p.id !== this.selfId()));

  setParticipants(participants: Participant[]): void {
    this.participants.set(participants);
    const present = new Set(participants.map((p) => p.id));
    this.speakingState.update((set) => new Set([...set].filter((id) => present.has(id))));
  }

  upsert(participant: Participant): void {
    this.participants.update((list) => [
      ...list.filter((p) => p.id !== participant.id),
      participant,
    ]);
  }

  remove(participantId: string): void {
    this.participants.update((list) => list.filter((p) => p.id !== participantId));
    this.setSpeaking(participantId, false);
  }

  /** Applies a `speech` event unless a later one for the same speaker was already applied. */
  applySpeech(message: SpeechMessage): boolean {
    const last = this.speechSeq.get(message.speaker.id);
    if (last !== undefined && message.seq <= last) return false;
    this.speechSeq.set(message.speaker.id, message.seq);
    this.setSpeaking(message.speaker.id, message.speaking);
    return true;
  }

  /** A new data channel starts a new `seq` series and a fresh view of who speaks. */
  beginChannel(): void {
    this.speechSeq.clear();
    this.speakingState.set(new Set());
  }

  /**
   * Adds an incoming track. Each gets a stream of its own for playback: a server may put all
   * relayed tracks in one stream, and one <audio> per track is what makes per-person mute work.
   */
  addAudio(track: MediaStreamTrack, mid: string | null, source: MediaStream | null): void {
    const audio: RemoteAudio = { trackId: track.id, mid, stream: new MediaStream([track]) };
    this.remoteAudio.update((list) => [...list.filter((a) => a.trackId !== track.id), audio]);
    const drop = () => this.removeAudio(track.id);
    track.addEventListener('ended', drop);
    source?.addEventListener('removetrack', (e) => {
      if (e.track === track) drop();
    });
  }

  removeAudio(trackId: string): void {
    this.remoteAudio.update((list) => list.filter((a) => a.trackId !== trackId));
  }

  setAudioOwners(tracks: AudioTrackOwner[]): void {
    this.audioOwners.set(new Map(tracks.map((t) => [t.mid, t.participant_id])));
  }

  ownerOf(audio: RemoteAudio): string | null {
    return audio.mid === null ? null : (this.audioOwners().get(audio.mid) ?? null);
  }

  /** The participant an audio belongs to, or the track itself when unknown. */
  audioKey(audio: RemoteAudio): string {
    return this.ownerOf(audio) ?? audio.trackId;
  }

  audioOf(participantId: string): RemoteAudio | undefined {
    return this.remoteAudio().find((a) => this.ownerOf(a) === participantId);
  }

  toggleAudioMute(key: string): void {
    this.mutedAudio.update((set) => {
      const next = new Set(set);
      if (!next.delete(key)) next.add(key);
      return next;
    });
  }

  /** Forgets the media of a connection that ended; the participants stay until rejoined. */
  clearMedia(): void {
    this.remoteAudio.set([]);
    this.audioOwners.set(new Map());
    this.beginChannel();
  }

  reset(): void {
    this.selfId.set(null);
    this.participants.set([]);
    this.mutedAudio.set(new Set());
    this.clearMedia();
  }

  private setSpeaking(id: string, speaking: boolean): void {
    this.speakingState.update((set) => {
      if (set.has(id) === speaking) return set;
      const next = new Set(set);
      if (speaking) next.add(id);
      else next.delete(id);
      return next;
    });
  }
}
