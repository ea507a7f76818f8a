import { signal } from '@angular/core';

const FLOOR_DB = -60;

/** Input level of a stream (0 silent … 1 full scale, on a dB scale) from a WebAudio analyser. */
export class LevelMeter {
  readonly level = signal(0);
  private readonly context = new AudioContext();
  private readonly analyser = this.context.createAnalyser();
  private readonly samples: Float32Array<ArrayBuffer>;
  private frame = 0;

  constructor(stream: MediaStream) {
    this.analyser.fftSize = 1024;
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

  private tick = (): void => {
    this.analyser.getFloatTimeDomainData(this.samples);
    let sum = 0;
    for (const s of this.samples) sum += s * s;
    const rms = Math.sqrt(sum / this.samples.length);
    const db = rms > 0 ? 20 * Math.log10(rms) : FLOOR_DB;
    const level = Math.min(1, Math.max(0, (db - FLOOR_DB) / -FLOOR_DB));
    // Fall slowly and rise at once, as level meters do, so short syllables stay visible.
    this.level.update((previous) => Math.max(level, previous * 0.85));
    this.frame = requestAnimationFrame(this.tick);
  };
}
