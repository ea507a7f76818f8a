import { ChangeDetectionStrategy, Component, computed, inject, input } from '@angular/core';
import { I18n } from '../i18n/i18n.service';
import { ConfigService } from '../shared/config.service';
import { Icon } from '../ui/icon';

/**
 * The language of the caption text beside it: its code on screen, its name for screen readers
 * and on hover, and a mark when the text is a machine translation.
 */
@Component({
  selector: 'app-language-badge',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [Icon],
  host: { class: 'inline-flex items-center gap-1', '[attr.data-language]': 'code()' },
  template: `
    <span
      class="rounded bg-slate-200/70 px-1 text-[0.85em] font-medium uppercase text-slate-600 dark:bg-slate-800 dark:text-slate-400"
      [attr.title]="name()"
      ><span aria-hidden="true">{{ code() }}</span
      ><span class="sr-only">{{ name() }}</span></span
    >
    @if (machine()) {
      <span
        class="inline-flex text-slate-400 dark:text-slate-500"
        role="img"
        [attr.aria-label]="t('captions.machine')"
        [attr.title]="t('captions.machine')"
        data-testid="machine-translation"
      >
        <app-icon name="translate" [size]="12" />
      </span>
    }
  `,
})
export class LanguageBadge {
  private readonly config = inject(ConfigService);
  protected readonly t = inject(I18n).t;
  readonly code = input.required<string>();
  /** The text is a machine translation. */
  readonly machine = input(false);
  protected readonly name = computed(() => this.config.nameOf(this.code()));
}
