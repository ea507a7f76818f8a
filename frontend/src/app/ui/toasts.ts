import { ChangeDetectionStrategy, Component, inject } from '@angular/core';
import { I18n } from '../i18n/i18n.service';
import { NotificationService, ToastKind } from '../shared/notification.service';
import { Icon, IconName } from './icon';

const STYLE: Record<ToastKind, { icon: IconName; classes: string }> = {
  info: { icon: 'info', classes: 'border-slate-200 dark:border-slate-700' },
  success: { icon: 'check', classes: 'border-emerald-300 dark:border-emerald-700' },
  warning: { icon: 'alert', classes: 'border-amber-300 dark:border-amber-700' },
  error: { icon: 'alert', classes: 'border-rose-300 dark:border-rose-700' },
};

@Component({
  selector: 'app-toasts',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [Icon],
  template: `
    <!-- Below the header, so its buttons (Leave above all) stay reachable. -->
    <div
      class="pointer-events-none fixed inset-x-0 top-16 z-50 flex flex-col items-center gap-2 px-3 sm:inset-x-auto sm:right-4 sm:items-end"
    >
      @for (toast of notifications.toasts(); track toast.id) {
        <div
          class="pointer-events-auto flex w-full max-w-sm items-start gap-3 rounded-xl border bg-white/95 p-3 text-sm shadow-lg backdrop-blur dark:bg-slate-900/95"
          [class]="style[toast.kind].classes"
          [attr.role]="toast.kind === 'error' || toast.kind === 'warning' ? 'alert' : 'status'"
          data-testid="toast"
          [attr.data-kind]="toast.kind"
        >
          <app-icon
            [name]="style[toast.kind].icon"
            class="mt-0.5"
            [class.text-emerald-600]="toast.kind === 'success'"
            [class.text-amber-500]="toast.kind === 'warning'"
            [class.text-rose-600]="toast.kind === 'error'"
            [class.text-slate-500]="toast.kind === 'info'"
          />
          <p class="flex-1 leading-snug">{{ toast.text }}</p>
          @if (toast.action; as action) {
            <button
              type="button"
              class="btn -my-1 shrink-0 px-3 py-1 text-sm"
              data-testid="toast-action"
              (click)="action.run(); notifications.dismiss(toast.id)"
            >
              {{ action.label }}
            </button>
          }
          <button
            type="button"
            class="-m-1 rounded p-1 text-slate-500 hover:text-slate-700 max-sm:-m-3 max-sm:p-3 dark:text-slate-400 dark:hover:text-slate-200"
            [attr.aria-label]="t('ui.dismiss')"
            (click)="notifications.dismiss(toast.id)"
          >
            <app-icon name="close" [size]="16" />
          </button>
        </div>
      }
    </div>
  `,
})
export class Toasts {
  protected readonly notifications = inject(NotificationService);
  protected readonly style = STYLE;
  protected readonly t = inject(I18n).t;
}
