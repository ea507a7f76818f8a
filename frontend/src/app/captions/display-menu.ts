import { ChangeDetectionStrategy, Component, inject } from '@angular/core';
import { CaptionView, PreferencesService, TEXT_SIZE } from '../shared/preferences.service';
import { Menu } from '../ui/menu';

const VIEWS: { value: CaptionView; label: string; hint: string }[] = [
  {
    value: 'translation',
    label: 'Translation',
    hint: 'Machine translations into your caption language; the original until one arrives',
  },
  { value: 'both', label: 'Both', hint: 'The original with its machine translation below' },
  { value: 'original', label: 'Original', hint: 'What was said, in the language spoken' },
];

/** What each caption line shows, and how large. */
@Component({
  selector: 'app-display-menu',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [Menu],
  template: `
    <app-menu label="Display" icon="text" testId="display-menu" [closeOnSelect]="false">
      <div class="flex flex-col gap-3 p-2 sm:w-64">
        <fieldset>
          <legend class="mb-1.5 text-xs font-semibold text-slate-500 dark:text-slate-400">
            Show
          </legend>
          <div class="grid grid-cols-3 gap-1 rounded-lg bg-slate-100 p-1 dark:bg-slate-800">
            @for (view of views; track view.value) {
              <button
                type="button"
                class="rounded-md px-2 py-1 text-xs font-medium"
                [class.segment-on]="preferences().view === view.value"
                [attr.aria-pressed]="preferences().view === view.value"
                [attr.title]="view.hint"
                [attr.data-testid]="'view-' + view.value"
                (click)="prefs.update({ view: view.value })"
              >
                {{ view.label }}
              </button>
            }
          </div>
        </fieldset>
        <label class="flex flex-col gap-1.5">
          <span
            class="flex justify-between text-xs font-semibold text-slate-500 dark:text-slate-400"
          >
            Text size <span class="tabular-nums">{{ preferences().textSize }} px</span>
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
      </div>
    </app-menu>
  `,
})
export class DisplayMenu {
  protected readonly prefs = inject(PreferencesService);
  protected readonly preferences = this.prefs.preferences;
  protected readonly views = VIEWS;
  protected readonly size = TEXT_SIZE;

  protected setSize(event: Event): void {
    this.prefs.update({ textSize: Number((event.target as HTMLInputElement).value) });
  }
}
