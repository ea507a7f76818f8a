import { ChangeDetectionStrategy, Component, inject } from '@angular/core';
import { RoomStore } from './room-store';

/** Plays every incoming track in its own <audio> element, honouring per-person mute. */
@Component({
  selector: 'app-remote-audio',
  changeDetection: ChangeDetectionStrategy.OnPush,
  host: { class: 'hidden' },
  template: `
    @for (audio of room.remoteAudio(); track audio.trackId) {
      <audio
        autoplay
        [srcObject]="audio.stream"
        [muted]="room.playbackMuted() || room.mutedAudio().has(room.audioKey(audio))"
        data-testid="remote-audio"
      ></audio>
    }
  `,
})
export class RemoteAudioPlayer {
  protected readonly room = inject(RoomStore);
}
