import { ADA, BOB, speech } from '../testing/messages';
import { RoomStore, audioKey } from './room-store';

const ada = { ...ADA, language: 'en', caption_language: null };
const bob = { ...BOB, language: 'de', caption_language: 'en' };

describe('RoomStore', () => {
  let room: RoomStore;
  beforeEach(() => {
    room = new RoomStore();
    room.selfId.set(ada.id);
    room.setParticipants([ada, bob]);
  });

  it('lists the others apart from this participant', () => {
    expect(room.others()).toEqual([bob]);
  });

  it('tracks who is speaking from speech events, in seq order', () => {
    room.applySpeech(speech(1, true, BOB));
    expect(room.speaking().has(BOB.id)).toBeTrue();
    expect(room.applySpeech(speech(1, true, BOB))).toBeFalse();
    room.applySpeech(speech(3, false, BOB));
    expect(room.applySpeech(speech(2, true, BOB))).toBeFalse();
    expect(room.speaking().has(BOB.id)).toBeFalse();
  });

  it('forgets speaking state for someone who left', () => {
    room.applySpeech(speech(1, true, BOB));
    room.remove(BOB.id);
    expect(room.speaking().size).toBe(0);
    expect(room.participants()).toEqual([ada]);
  });

  it('starts a fresh speech seq series on a new channel', () => {
    room.applySpeech(speech(9, true, BOB));
    room.beginChannel();
    expect(room.speaking().size).toBe(0);
    expect(room.applySpeech(speech(1, true, BOB))).toBeTrue();
  });

  it('matches incoming audio to a participant by stream id, with its own playback stream', () => {
    const track = fakeTrack();
    const source = { id: BOB.id, addEventListener: () => undefined } as unknown as MediaStream;
    room.addAudio(track, source);
    const audio = room.audioOf(BOB.id)!;
    expect(audio.participantId).toBe(BOB.id);
    expect(audio.stream.getTracks()).toEqual([track]);
    expect(room.unmatchedAudio()).toEqual([]);
  });

  it('keeps unknown audio playable and mutable by track', () => {
    const track = fakeTrack();
    const source = { id: 'random', addEventListener: () => undefined } as unknown as MediaStream;
    room.addAudio(track, source);
    const [audio] = room.unmatchedAudio();
    room.toggleAudioMute(audioKey(audio));
    expect(room.mutedAudio().has(track.id)).toBeTrue();
    room.toggleAudioMute(audioKey(audio));
    expect(room.mutedAudio().size).toBe(0);
  });
});

/** A real audio track from WebAudio, so MediaStream accepts it. */
function fakeTrack(): MediaStreamTrack {
  const context = new AudioContext();
  return context.createMediaStreamDestination().stream.getAudioTracks()[0];
}
