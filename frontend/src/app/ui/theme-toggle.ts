import { ChangeDetectionStrategy, Component, computed, inject } from '@angular/core';
import { ThemeService } from '../shared/theme.service';
import { Icon, IconName } from './icon';

const ICON: Record<string, IconName> = { system: 'monitor', light: 'sun', dark: 'moon' };
const LABEL: Record<string, string> = {
  system: 'Theme: system (click for light)',
  light: 'Theme: light (click for dark)',
  dark: 'Theme: dark (click for system)',
};

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
  protected readonly label = computed(() => LABEL[this.theme.mode()]);
}
