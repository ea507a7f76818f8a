import { ChangeDetectionStrategy, Component, computed, inject } from '@angular/core';
import { Icon } from '../ui/icon';
import { DiagnosticsService } from './diagnostics.service';
import { SessionService } from './session.service';

const ROUTE: Record<string, string> = {
  host: 'Direct',
  srflx: 'Direct (through NAT)',
  prflx: 'Direct (through NAT)',
  relay: 'Relayed (TURN)',
};

const LATENCY_HELP =
  'Measured on this device: from the moment the server reports that a speaker stopped ' +
  'talking to the arrival of their final caption. It includes recognition time and the ' +
  'network; browser and server clocks are never compared.';

/** Connection details for troubleshooting: route, round trips, caption latency. */
@Component({
  selector: 'app-diagnostics-panel',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [Icon],
  template: `
    <dl class="grid grid-cols-[auto_1fr] gap-x-4 gap-y-1.5 text-sm" data-testid="diagnostics">
      <dt class="text-slate-500 dark:text-slate-400">Connection</dt>
      <dd data-testid="diag-state">{{ session.state() }}</dd>
      <dt class="text-slate-500 dark:text-slate-400">ICE</dt>
      <dd data-testid="diag-ice">{{ diagnostics.iceState() ?? '—' }}</dd>
      <dt class="text-slate-500 dark:text-slate-400">Route</dt>
      <dd data-testid="diag-route">{{ route() }}</dd>
      <dt class="text-slate-500 dark:text-slate-400">Media RTT</dt>
      <dd>{{ ms(stats()?.roundTripMs) }}</dd>
      <dt class="text-slate-500 dark:text-slate-400">Signaling RTT</dt>
      <dd>{{ ms(diagnostics.signalingRoundTripMs()) }}</dd>
      <dt class="text-slate-500 dark:text-slate-400">Audio in</dt>
      <dd>
        @if (stats()?.audioJitterMs !== null && stats()?.audioJitterMs !== undefined) {
          jitter {{ stats()!.audioJitterMs }} ms · lost {{ stats()!.audioPacketsLost ?? 0 }}
        } @else {
          —
        }
      </dd>
      <dt class="flex items-center gap-1 text-slate-500 dark:text-slate-400">
        Caption delay
        <span
          class="cursor-help text-slate-400"
          [attr.title]="latencyHelp"
          tabindex="0"
          [attr.aria-label]="latencyHelp"
        >
          <app-icon name="info" [size]="14" />
        </span>
      </dt>
      <dd data-testid="diag-latency">
        @if (diagnostics.lastLatencyMs() !== null) {
          {{ diagnostics.lastLatencyMs() }} ms
          <span class="text-slate-500 dark:text-slate-400"
            >(median {{ diagnostics.medianLatencyMs() }} ms)</span
          >
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
  protected readonly latencyHelp = LATENCY_HELP;

  protected readonly route = computed(() => {
    const stats = this.stats();
    if (!stats?.localCandidateType) return '—';
    const relayed = stats.localCandidateType === 'relay' || stats.remoteCandidateType === 'relay';
    const kind = relayed
      ? ROUTE['relay']
      : (ROUTE[stats.localCandidateType] ?? stats.localCandidateType);
    const transport = stats.relayProtocol ?? stats.protocol;
    return transport ? `${kind}, ${transport.toUpperCase()}` : kind;
  });

  protected ms(value: number | null | undefined): string {
    return value === null || value === undefined ? '—' : `${Math.round(value)} ms`;
  }
}
