import { Injectable, computed, signal } from '@angular/core';
import { ConnectionStats, summarizeStats } from './connection-stats';

const LATENCY_SAMPLES = 20;

/**
 * Connection health for the diagnostics panel. Caption latency is measured on this device
 * only: from the server's "speaker stopped talking" event to the arrival of that speaker's
 * final caption. Browser and server clocks are never compared.
 */
@Injectable({ providedIn: 'root' })
export class DiagnosticsService {
  readonly stats = signal<ConnectionStats | null>(null);
  readonly iceState = signal<RTCIceConnectionState | null>(null);
  readonly signalingRoundTripMs = signal<number | null>(null);
  private readonly latencies = signal<number[]>([]);
  private readonly speechEndedAt = new Map<string, number>();

  readonly lastLatencyMs = computed(() => this.latencies().at(-1) ?? null);
  readonly medianLatencyMs = computed(() => median(this.latencies()));

  recordSpeech(speakerId: string, speaking: boolean, now: number = performance.now()): void {
    if (speaking) this.speechEndedAt.delete(speakerId);
    else this.speechEndedAt.set(speakerId, now);
  }

  recordFinal(speakerId: string, now: number = performance.now()): void {
    const endedAt = this.speechEndedAt.get(speakerId);
    if (endedAt === undefined) return;
    this.speechEndedAt.delete(speakerId);
    this.latencies.update((list) => [...list, Math.round(now - endedAt)].slice(-LATENCY_SAMPLES));
  }

  async sample(source: {
    getStats(): Promise<RTCStatsReport>;
    iceConnectionState: RTCIceConnectionState;
  }): Promise<void> {
    this.iceState.set(source.iceConnectionState);
    this.stats.set(summarizeStats(await source.getStats()));
  }

  reset(): void {
    this.stats.set(null);
    this.iceState.set(null);
    this.signalingRoundTripMs.set(null);
    this.latencies.set([]);
    this.speechEndedAt.clear();
  }
}

function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : Math.round((sorted[mid - 1] + sorted[mid]) / 2);
}
