import { signal } from '@angular/core';

const FLOOR_DB = -60;
// About 15 updates a second look smooth; updating on every animation frame repainted the meter
// and its glow (and changed its aria-valuenow) 60 times a second.
const UPDATE_EVERY_MS = 66;
const FALL_PER_SECOND = 0.0005; // what is left of a level after a second of silence

/** Input level of a stream (0 silent … 1 full scale, on a dB scale) from a WebAudio analyser. */
export class LevelMeter {
  readonly level = signal(0);
  private readonly context = new AudioContext();
  private readonly analyser = this.context.createAnalyser();
  private readonly samples: Float32Array<ArrayBuffer>;
  private frame = 0;
  private updatedAt = 0;

  constructor(stream: MediaStream) {
    this.analyser.fftSize = 4096; // 85 ms at 48 kHz: each update sees all audio since the last
    this.samples = new Float32Array(this.analyser.fftSize);
    this.context.createMediaStreamSource(stream).connect(this.analyser);
    // Created outside a click the context may start suspended; resume() is retried on join.
    void this.context.resume();
    this.tick();
  }

  resume(): void {
    void this.context.resume();
  }

  stop(): void {
    cancelAnimationFrame(this.frame);
    void this.context.close();
    this.level.set(0);
  }

  private tick = (now: number = performance.now()): void => {
    this.frame = requestAnimationFrame(this.tick);
    const elapsedMs = now - this.updatedAt;
    if (elapsedMs < UPDATE_EVERY_MS) return;
    this.updatedAt = now;
    this.analyser.getFloatTimeDomainData(this.samples);
    let sum = 0;
    for (const s of this.samples) sum += s * s;
    const rms = Math.sqrt(sum / this.samples.length);
    const db = rms > 0 ? 20 * Math.log10(rms) : FLOOR_DB;
    const level = Math.min(1, Math.max(0, (db - FLOOR_DB) / -FLOOR_DB));
    // Fall slowly and rise at once, as level meters do, so short syllables stay visible.
    const fallen = FALL_PER_SECOND ** (Math.min(elapsedMs, 1000) / 1000);
    this.level.update((previous) => Math.round(Math.max(level, previous * fallen) * 100) / 100);
  };
}
