import { ChangeDetectionStrategy, Component, computed, inject } from '@angular/core';
import { I18n } from '../i18n/i18n.service';
import { ThemeService } from '../shared/theme.service';
import { Icon, IconName } from './icon';

const ICON: Record<string, IconName> = { system: 'monitor', light: 'sun', dark: 'moon' };

@Component({
  selector: 'app-theme-toggle',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [Icon],
  template: `
    <button
      type="button"
      class="btn-ghost p-2"
      data-testid="theme-toggle"
      [attr.aria-label]="label()"
      [attr.title]="label()"
      (click)="theme.cycle()"
    >
      <app-icon [name]="icon()" />
    </button>
  `,
})
export class ThemeToggle {
  protected readonly theme = inject(ThemeService);
  protected readonly icon = computed(() => ICON[this.theme.mode()]);
  private readonly t = inject(I18n).t;
  protected readonly label = computed(() => this.t(`theme.${this.theme.mode()}`));
}
