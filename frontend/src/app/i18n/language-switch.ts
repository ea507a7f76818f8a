import { ChangeDetectionStrategy, Component, inject } from '@angular/core';
import { I18n } from './i18n.service';
import { UI_LANGUAGES, UiLanguage } from './languages';

/** Picks the interface language; each option is named in its own language. */
@Component({
  selector: 'app-language-switch',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <select
      class="field w-auto py-1.5"
      data-testid="ui-language"
      [attr.aria-label]="i18n.t('ui.language')"
      [attr.title]="i18n.t('ui.language')"
      (change)="choose($event)"
    >
      @for (option of options; track option.code) {
        <option
          [value]="option.code"
          [lang]="option.code"
          [selected]="option.code === i18n.language()"
        >
          {{ option.name }}
        </option>
      }
    </select>
  `,
})
export class LanguageSwitch {
  protected readonly i18n = inject(I18n);
  protected readonly options = Object.entries(UI_LANGUAGES).map(([code, name]) => ({
    code: code as UiLanguage,
    name,
  }));

  protected choose(event: Event): void {
    this.i18n.use((event.target as HTMLSelectElement).value as UiLanguage);
  }
}
