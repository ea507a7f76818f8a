import { ChangeDetectionStrategy, Component, computed, inject } from '@angular/core';
import { SessionService } from '../connection/session.service';
import { Icon } from '../ui/icon';
import { LevelMeterBar } from '../ui/level-meter-bar';
import { Menu } from '../ui/menu';
import { MicrophoneService } from './microphone.service';

/** Mute, input level and device choice while in a room; or the switch out of listen-only. */
@Component({
  selector: 'app-mic-controls',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [Icon, LevelMeterBar, Menu],
  host: { class: 'flex items-center gap-1 sm:gap-2' },
  template: `
    @if (session.settings()?.listenOnly) {
      <span
        class="hidden items-center gap-1.5 text-sm text-slate-500 dark:text-slate-400 sm:inline-flex"
        data-testid="listen-only-badge"
      >
        <app-icon name="headphones" [size]="16" /> Listening
      </span>
      <button
        type="button"
        class="btn-secondary"
        data-testid="start-speaking"
        (click)="session.setListenOnly(false)"
      >
        <app-icon name="mic" [size]="16" /> Speak
      </button>
    } @else {
      <button
        type="button"
        class="btn size-10 rounded-full p-0"
        [class.mic-muted]="mic.muted()"
        [class.mic-live]="!mic.muted()"
        [attr.aria-pressed]="mic.muted()"
        [attr.aria-label]="mic.muted() ? 'Unmute microphone' : 'Mute microphone'"
        [attr.title]="mic.muted() ? 'Unmute microphone' : 'Mute microphone'"
        data-testid="mic-mute"
        [style.box-shadow]="ring()"
        (click)="mic.setMuted(!mic.muted())"
      >
        <app-icon [name]="mic.muted() ? 'mic-off' : 'mic'" [size]="18" />
      </button>
      @if (mic.problemText(); as problem) {
        <span class="text-rose-600" role="img" [attr.aria-label]="problem" [attr.title]="problem">
          <app-icon name="alert" />
        </span>
      }
      <div class="hidden w-20 sm:block">
        <app-level-meter-bar [level]="mic.level()" [muted]="mic.muted()" />
      </div>
      <app-menu label="Microphone" icon="sliders" testId="mic-menu">
        <p class="px-3 pt-1 pb-2 text-xs font-semibold text-slate-500 dark:text-slate-400">
          Microphone
        </p>
        @for (device of mic.devices(); track device.deviceId) {
          <button
            type="button"
            role="menuitemradio"
            class="menu-item"
            [attr.aria-checked]="device.deviceId === mic.deviceId()"
            (click)="mic.selectDevice(device.deviceId)"
          >
            <app-icon
              name="check"
              [size]="14"
              [class.invisible]="device.deviceId !== mic.deviceId()"
            />
            <span class="truncate">{{ device.label || 'Microphone' }}</span>
          </button>
        }
        <hr class="my-1 border-slate-200 dark:border-slate-700" />
        <button
          type="button"
          role="menuitem"
          class="menu-item"
          (click)="session.setListenOnly(true)"
        >
          <app-icon name="headphones" [size]="14" /> Switch to listen-only
        </button>
      </app-menu>
    }
  `,
})
export class MicControls {
  protected readonly mic = inject(MicrophoneService);
  protected readonly session = inject(SessionService);
  /** The input level as a ring around the mute button (the only meter on narrow screens). */
  protected readonly ring = computed(() =>
    this.mic.muted()
      ? 'none'
      : `0 0 0 ${(this.mic.level() * 6).toFixed(1)}px rgb(16 185 129 / 0.45)`,
  );
}
