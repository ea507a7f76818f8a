import { ChangeDetectionStrategy, Component, inject } from '@angular/core';
import { MessageKey } from '../i18n/en';
import { I18n } from '../i18n/i18n.service';
import { LanguageSwitch } from '../i18n/language-switch';
import { CaptionView, PreferencesService, TEXT_SIZE } from '../shared/preferences.service';
import { Menu } from '../ui/menu';

const VIEWS: { value: CaptionView; label: MessageKey; hint: MessageKey }[] = [
  { value: 'translation', label: 'display.translation', hint: 'display.translationHint' },
  { value: 'both', label: 'display.both', hint: 'display.bothHint' },
  { value: 'original', label: 'display.original', hint: 'display.originalHint' },
];

/** What each caption line shows, and how large; and the interface language. */
@Component({
  selector: 'app-display-menu',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [LanguageSwitch, Menu],
  template: `
    <app-menu [label]="t('display.menu')" icon="text" testId="display-menu" [closeOnSelect]="false">
      <div class="flex flex-col gap-3 p-2 sm:w-64">
        <fieldset>
          <legend class="mb-1.5 text-xs font-semibold text-slate-500 dark:text-slate-400">
            {{ t('display.show') }}
          </legend>
          <div class="grid grid-cols-3 gap-1 rounded-lg bg-slate-100 p-1 dark:bg-slate-800">
            @for (view of views; track view.value) {
              <button
                type="button"
                class="rounded-md px-2 py-1 text-xs font-medium max-sm:min-h-11"
                [class.segment-on]="preferences().view === view.value"
                [attr.aria-pressed]="preferences().view === view.value"
                [attr.title]="t(view.hint)"
                [attr.data-testid]="'view-' + view.value"
                (click)="prefs.update({ view: view.value })"
              >
                {{ t(view.label) }}
              </button>
            }
          </div>
        </fieldset>
        <label class="flex flex-col gap-1.5">
          <span
            class="flex justify-between text-xs font-semibold text-slate-500 dark:text-slate-400"
          >
            {{ t('display.textSize') }}
            <span class="tabular-nums">{{ preferences().textSize }} px</span>
          </span>
          <input
            type="range"
            class="accent-indigo-600"
            data-testid="text-size"
            [min]="size.min"
            [max]="size.max"
            [step]="size.step"
            [value]="preferences().textSize"
            (input)="setSize($event)"
          />
        </label>
        <label class="flex flex-col gap-1.5">
          <span class="text-xs font-semibold text-slate-500 dark:text-slate-400">{{
            t('ui.language')
          }}</span>
          <app-language-switch />
        </label>
      </div>
    </app-menu>
  `,
})
export class DisplayMenu {
  protected readonly prefs = inject(PreferencesService);
  protected readonly t = inject(I18n).t;
  protected readonly preferences = this.prefs.preferences;
  protected readonly views = VIEWS;
  protected readonly size = TEXT_SIZE;

  protected setSize(event: Event): void {
    this.prefs.update({ textSize: Number((event.target as HTMLInputElement).value) });
  }
}
