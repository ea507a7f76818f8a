import {
  ChangeDetectionStrategy,
  Component,
  DestroyRef,
  computed,
  inject,
  signal,
} from '@angular/core';
import { ConnectionState, SessionService } from '../connection/session.service';
import { I18n } from '../i18n/i18n.service';

const DOT: Record<ConnectionState, string> = {
  idle: 'bg-slate-400',
  connecting: 'bg-amber-400 animate-pulse',
  connected: 'bg-emerald-500',
  reconnecting: 'bg-amber-500 animate-pulse',
  failed: 'bg-rose-500',
};

/** The connection state as a small pill, with the retry countdown while reconnecting. */
@Component({
  selector: 'app-connection-badge',
  changeDetection: ChangeDetectionStrategy.OnPush,
  host: {
    class:
      'inline-flex items-center gap-2 rounded-full border border-slate-200 bg-white px-3 py-1 max-sm:px-2 max-sm:py-2 text-xs font-medium dark:border-slate-700 dark:bg-slate-900',
    role: 'status',
    'data-testid': 'connection-state',
    '[attr.data-state]': 'session.state()',
    '[attr.title]': 'session.detail() || null',
  },
  template: `
    <span class="inline-flex size-2.5 rounded-full" [class]="dot()"></span>
    <!-- Only the dot on phones, where the header needs the room's name. -->
    <span class="max-sm:sr-only">{{ label() }}</span>
  `,
})
export class ConnectionBadge {
  protected readonly session = inject(SessionService);
  private readonly t = inject(I18n).t;
  private readonly now = signal(Date.now());
  protected readonly dot = computed(() => DOT[this.session.state()]);
  protected readonly label = computed(() => {
    const retryAt = this.session.retryAt();
    if (this.session.state() === 'reconnecting' && retryAt !== null) {
      const seconds = Math.max(0, Math.ceil((retryAt - this.now()) / 1000));
      if (seconds > 0) return this.t('state.reconnectingIn', { seconds });
    }
    return this.t(`state.${this.session.state()}`);
  });

  constructor() {
    const timer = setInterval(() => this.now.set(Date.now()), 500);
    inject(DestroyRef).onDestroy(() => clearInterval(timer));
  }
}
