import { ChangeDetectionStrategy, Component, inject, input } from '@angular/core';
import { I18n } from '../i18n/i18n.service';
import { Icon } from '../ui/icon';
import { RoomStore } from './room-store';

/** Mutes everyone's voice here; one label, the state in aria-pressed. */
@Component({
  selector: 'app-playback-toggle',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [Icon],
  template: `
    <button
      type="button"
      class="btn-ghost p-2"
      data-testid="playback-mute"
      [attr.aria-pressed]="room.playbackMuted()"
      [attr.aria-label]="t('room.muteAudio')"
      [attr.title]="t('room.muteAudio')"
      (click)="room.playbackMuted.set(!room.playbackMuted())"
    >
      <app-icon [name]="room.playbackMuted() ? 'volume-off' : 'volume'" />
      @if (withLabel()) {
        <span>{{ t('room.muteAudio') }}</span>
      }
    </button>
  `,
})
export class PlaybackToggle {
  readonly withLabel = input(false);
  protected readonly room = inject(RoomStore);
  protected readonly t = inject(I18n).t;
}
