import { ChangeDetectionStrategy, Component, computed, inject } from '@angular/core';
import { SessionService } from '../connection/session.service';
import { I18n } from '../i18n/i18n.service';
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
        <app-icon name="headphones" [size]="16" /> {{ t('mic.listening') }}
      </span>
      <button
        type="button"
        class="btn-secondary"
        data-testid="start-speaking"
        [attr.aria-label]="t('mic.startSpeaking')"
        (click)="session.setListenOnly(false)"
      >
        <app-icon name="mic" [size]="16" />
        <span class="max-sm:sr-only">{{ t('mic.startSpeaking') }}</span>
      </button>
    } @else {
      <button
        type="button"
        class="btn size-10 rounded-full p-0 max-sm:size-11"
        [class.mic-muted]="mic.muted()"
        [class.mic-live]="!mic.muted()"
        [attr.aria-pressed]="mic.muted()"
        [attr.aria-label]="t('mic.mute')"
        [attr.title]="t('mic.mute')"
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
      <app-menu [label]="t('mic.menu')" icon="sliders" testId="mic-menu">
        <p class="px-3 pt-1 pb-2 text-xs font-semibold text-slate-500 dark:text-slate-400">
          {{ t('mic.menu') }}
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
            <span class="truncate">{{ device.label || t('mic.menu') }}</span>
          </button>
        }
        <hr class="my-1 border-slate-200 dark:border-slate-700" />
        <button
          type="button"
          role="menuitem"
          class="menu-item"
          (click)="session.setListenOnly(true)"
        >
          <app-icon name="headphones" [size]="14" /> {{ t('mic.switchToListenOnly') }}
        </button>
      </app-menu>
    }
  `,
})
export class MicControls {
  protected readonly mic = inject(MicrophoneService);
  protected readonly session = inject(SessionService);
  protected readonly t = inject(I18n).t;
  /** The input level as a ring around the mute button (the only meter on narrow screens). */
  protected readonly ring = computed(() =>
    this.mic.muted()
      ? 'none'
      : `0 0 0 ${(this.mic.level() * 6).toFixed(1)}px rgb(16 185 129 / 0.45)`,
  );
}
