import { ChangeDetectionStrategy, Component, inject, input } from '@angular/core';
import { I18n } from '../i18n/i18n.service';

/** A horizontal input-level bar: green for speech, amber near clipping. */
@Component({
  selector: 'app-level-meter-bar',
  changeDetection: ChangeDetectionStrategy.OnPush,
  host: {
    role: 'meter',
    '[attr.aria-label]': "t('mic.level')",
    'aria-valuemin': '0',
    'aria-valuemax': '100',
    '[attr.aria-valuenow]': 'round(level() * 100)',
    class: 'block h-2 w-full overflow-hidden rounded-full bg-slate-200 dark:bg-slate-800',
    'data-testid': 'mic-level',
  },
  template: `
    <div
      class="h-full origin-left rounded-full bg-gradient-to-r from-emerald-500 via-emerald-400 to-amber-400 transition-transform duration-75"
      [class.opacity-40]="muted()"
      [style.transform]="'scaleX(' + level() + ')'"
    ></div>
  `,
})
export class LevelMeterBar {
  readonly level = input.required<number>();
  readonly muted = input(false);
  protected readonly round = Math.round;
  protected readonly t = inject(I18n).t;
}
