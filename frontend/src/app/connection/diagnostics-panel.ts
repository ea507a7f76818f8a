import { ChangeDetectionStrategy, Component, computed, inject } from '@angular/core';
import { MessageKey } from '../i18n/en';
import { I18n } from '../i18n/i18n.service';
import { Icon } from '../ui/icon';
import { DiagnosticsService } from './diagnostics.service';
import { SessionService } from './session.service';

const ROUTE: Record<string, MessageKey> = {
  host: 'diag.direct',
  srflx: 'diag.nat',
  prflx: 'diag.nat',
  relay: 'diag.relay',
};

/** Connection details for troubleshooting: route, round trips, caption latency. */
@Component({
  selector: 'app-diagnostics-panel',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [Icon],
  template: `
    <dl class="grid grid-cols-[auto_1fr] gap-x-4 gap-y-1.5 text-sm" data-testid="diagnostics">
      <dt class="text-slate-500 dark:text-slate-400">{{ t('diag.connection') }}</dt>
      <dd data-testid="diag-state">{{ session.state() }}</dd>
      <dt class="text-slate-500 dark:text-slate-400">ICE</dt>
      <dd data-testid="diag-ice">{{ diagnostics.iceState() ?? '—' }}</dd>
      <dt class="text-slate-500 dark:text-slate-400">{{ t('diag.route') }}</dt>
      <dd data-testid="diag-route">{{ route() }}</dd>
      <dt class="text-slate-500 dark:text-slate-400">{{ t('diag.mediaRtt') }}</dt>
      <dd>{{ ms(stats()?.roundTripMs) }}</dd>
      <dt class="text-slate-500 dark:text-slate-400">{{ t('diag.signalingRtt') }}</dt>
      <dd>{{ ms(diagnostics.signalingRoundTripMs()) }}</dd>
      <dt class="text-slate-500 dark:text-slate-400">{{ t('diag.audioIn') }}</dt>
      <dd>
        @if (stats()?.audioJitterMs !== null && stats()?.audioJitterMs !== undefined) {
          {{
            t('diag.jitter', {
              jitter: stats()!.audioJitterMs!,
              lost: stats()!.audioPacketsLost ?? 0,
            })
          }}
        } @else {
          —
        }
      </dd>
      <dt class="flex items-center gap-1 text-slate-500 dark:text-slate-400">
        {{ t('diag.delay') }}
        <span
          class="cursor-help text-slate-500 dark:text-slate-400"
          role="img"
          [attr.title]="t('diag.delayHelp')"
          tabindex="0"
          [attr.aria-label]="t('diag.delayHelp')"
        >
          <app-icon name="info" [size]="14" />
        </span>
      </dt>
      <dd data-testid="diag-latency">
        @if (diagnostics.lastLatencyMs() !== null) {
          {{ diagnostics.lastLatencyMs() }} ms
          <span class="text-slate-500 dark:text-slate-400">{{
            t('diag.median', { ms: diagnostics.medianLatencyMs()! })
          }}</span>
        } @else {
          —
        }
      </dd>
    </dl>
  `,
})
export class DiagnosticsPanel {
  protected readonly diagnostics = inject(DiagnosticsService);
  protected readonly session = inject(SessionService);
  protected readonly stats = this.diagnostics.stats;
  protected readonly t = inject(I18n).t;

  protected readonly route = computed(() => {
    const stats = this.stats();
    if (!stats?.localCandidateType) return '—';
    const relayed = stats.localCandidateType === 'relay' || stats.remoteCandidateType === 'relay';
    const key = ROUTE[relayed ? 'relay' : stats.localCandidateType];
    const kind = key ? this.t(key) : stats.localCandidateType;
    const transport = stats.relayProtocol ?? stats.protocol;
    return transport ? `${kind}, ${transport.toUpperCase()}` : kind;
  });

  protected ms(value: number | null | undefined): string {
    return value === null || value === undefined ? '—' : `${Math.round(value)} ms`;
  }
}
