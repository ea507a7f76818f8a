import { ADA, BOB, speech } from '../testing/messages';
import { RoomStore } from './room-store';

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

  it('gives each incoming track its own playback stream, owned as the server says', () => {
    const track = fakeTrack();
    room.addAudio(track, '2', null);
    expect(room.audioOf(BOB.id)).toBeUndefined();
    room.setAudioOwners([{ mid: '2', participant_id: BOB.id }]);
    const audio = room.audioOf(BOB.id)!;
    expect(audio.stream.getTracks()).toEqual([track]);
  });

  it('follows a speaker from slot to slot, keeping a per-person mute', () => {
    room.addAudio(fakeTrack(), '0', null);
    room.addAudio(fakeTrack(), '1', null);
    room.setAudioOwners([{ mid: '0', participant_id: BOB.id }]);
    room.toggleAudioMute(BOB.id);
    room.setAudioOwners([{ mid: '1', participant_id: BOB.id }]);
    const bob = room.audioOf(BOB.id)!;
    expect(bob.mid).toBe('1');
    expect(room.mutedAudio().has(room.audioKey(bob))).toBeTrue();
    const idle = room.remoteAudio().find((a) => a.mid === '0')!;
    expect(room.mutedAudio().has(room.audioKey(idle))).toBeFalse();
  });

  it('mutes a participant by id, and unknown audio by track', () => {
    const owned = fakeTrack();
    const unknown = fakeTrack();
    room.addAudio(owned, '1', null);
    room.addAudio(unknown, '2', null);
    room.setAudioOwners([{ mid: '1', participant_id: BOB.id }]);
    for (const audio of room.remoteAudio()) room.toggleAudioMute(room.audioKey(audio));
    expect([...room.mutedAudio()].sort()).toEqual([BOB.id, unknown.id].sort());
    room.toggleAudioMute(BOB.id);
    expect([...room.mutedAudio()]).toEqual([unknown.id]);
  });
});

/** A real audio track from WebAudio, so MediaStream accepts it. */
function fakeTrack(): MediaStreamTrack {
  const context = new AudioContext();
  return context.createMediaStreamDestination().stream.getAudioTracks()[0];
}
