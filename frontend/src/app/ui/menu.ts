import {
  ChangeDetectionStrategy,
  Component,
  ElementRef,
  computed,
  inject,
  input,
  signal,
} from '@angular/core';
import { Icon, IconName } from './icon';

/** A button that opens a small menu above or below it; closes on outside click and Escape. */
@Component({
  selector: 'app-menu',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [Icon],
  host: {
    class: 'relative inline-flex',
    '(document:click)': 'closeIfOutside($event)',
    '(document:keydown.escape)': 'open.set(false)',
  },
  template: `
    <button
      type="button"
      class="btn-ghost"
      [attr.aria-haspopup]="closeOnSelect() ? 'menu' : 'dialog'"
      [attr.aria-expanded]="open()"
      [attr.aria-label]="label()"
      [attr.title]="label()"
      [attr.data-testid]="testId()"
      [disabled]="disabled()"
      (click)="open.set(!open())"
    >
      <app-icon [name]="icon()" />
      <span [class]="labelShown() ? 'inline' : 'hidden md:inline'">{{ label() }}</span>
      <span class="hidden opacity-60 md:inline-flex"
        ><app-icon name="chevron-down" [size]="14"
      /></span>
    </button>
    <div
      [attr.role]="closeOnSelect() ? 'menu' : 'dialog'"
      [attr.aria-label]="closeOnSelect() ? null : label()"
      class="menu"
      [class]="position()"
      [class.hidden]="!open()"
      (click)="closeOnSelect() && open.set(false)"
    >
      <ng-content />
    </div>
  `,
})
export class Menu {
  readonly label = input.required<string>();
  readonly icon = input.required<IconName>();
  readonly testId = input<string | null>(null);
  readonly disabled = input(false);
  /** Show the label on narrow screens too (where there is room for it). */
  readonly labelShown = input(false);
  readonly placement = input<'up' | 'down'>('up');
  readonly align = input<'start' | 'end'>('start');
  /**
   * Close when something inside is clicked. Off for panels of sliders and toggles, which are
   * a dialog to assistive technology, since a menu may hold only menu items.
   */
  readonly closeOnSelect = input(true);
  protected readonly open = signal(false);
  /** Anchoring from the small breakpoint up; below it the menu is a sheet (see `menu`). */
  protected readonly position = computed(() =>
    [
      this.placement() === 'up' ? 'sm:bottom-full sm:mb-2' : 'sm:top-full sm:mt-2',
      this.align() === 'end' ? 'sm:right-0' : 'sm:left-0',
    ].join(' '),
  );
  private readonly host = inject<ElementRef<HTMLElement>>(ElementRef);

  protected closeIfOutside(event: Event): void {
    if (this.open() && !this.host.nativeElement.contains(event.target as Node)) {
      this.open.set(false);
    }
  }
}
