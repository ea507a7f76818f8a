import { Injectable, computed, inject, signal } from '@angular/core';
import { I18n } from '../i18n/i18n.service';
import { PreferencesService } from '../shared/preferences.service';
import { LevelMeter } from './level-meter';

export type MicrophoneProblem = 'denied' | 'no-device' | 'in-use' | 'insecure' | 'ended' | 'failed';

/** The local microphone: permission, device choice, mute and input level. */
@Injectable({ providedIn: 'root' })
export class MicrophoneService {
  private readonly preferences = inject(PreferencesService);
  private readonly i18n = inject(I18n);

  private readonly streamState = signal<MediaStream | null>(null);
  readonly stream = this.streamState.asReadonly();
  readonly track = computed(() => this.streamState()?.getAudioTracks()[0] ?? null);
  readonly devices = signal<MediaDeviceInfo[]>([]);
  readonly deviceId = signal<string | null>(null);
  readonly muted = signal(false);
  readonly problem = signal<MicrophoneProblem | null>(null);
  readonly problemText = computed(() => {
    const problem = this.problem();
    return problem ? this.i18n.t(`mic.${problem}`) : null;
  });
  private readonly meter = signal<LevelMeter | null>(null);
  readonly level = computed(() => this.meter()?.level() ?? 0);

  constructor() {
    navigator.mediaDevices?.addEventListener('devicechange', () => void this.refreshDevices());
  }

  /** Opens the preferred (or given) microphone; true on success. */
  async start(
    deviceId: string | null = this.preferences.preferences().micDeviceId,
  ): Promise<boolean> {
    if (!navigator.mediaDevices?.getUserMedia) {
      this.problem.set('insecure');
      return false;
    }
    let stream: MediaStream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ audio: this.constraints(deviceId) });
    } catch (e) {
      // A remembered device that is gone should not block the default one.
      if (deviceId && (e as DOMException).name === 'OverconstrainedError') return this.start(null);
      this.problem.set(problemOf(e));
      return false;
    }
    this.release();
    const track = stream.getAudioTracks()[0];
    track.enabled = !this.muted();
    track.addEventListener('ended', () => {
      if (this.streamState() === stream) this.problem.set('ended');
    });
    this.streamState.set(stream);
    this.meter.set(new LevelMeter(stream));
    this.problem.set(null);
    this.deviceId.set(track.getSettings().deviceId ?? null);
    await this.refreshDevices();
    return true;
  }

  async selectDevice(deviceId: string): Promise<void> {
    this.preferences.update({ micDeviceId: deviceId });
    await this.start(deviceId);
  }

  setMuted(muted: boolean): void {
    this.muted.set(muted);
    const track = this.track();
    if (track) track.enabled = !muted;
  }

  /** Resumes the level meter's audio context; call from a click. */
  wake(): void {
    this.meter()?.resume();
  }

  stop(): void {
    this.release();
    this.streamState.set(null);
  }

  private release(): void {
    this.meter()?.stop();
    this.meter.set(null);
    this.streamState()
      ?.getTracks()
      .forEach((t) => t.stop());
  }

  private constraints(deviceId: string | null): MediaTrackConstraints {
    // Speech recognition wants the raw signal: processing meant for calls hurts accuracy.
    // Echo cancellation is the exception users can turn on when others' audio plays aloud.
    const echoCancellation = this.preferences.preferences().echoCancellation;
    return {
      ...(deviceId ? { deviceId: { exact: deviceId } } : {}),
      echoCancellation,
      noiseSuppression: false,
      autoGainControl: false,
      channelCount: 1,
    };
  }

  private async refreshDevices(): Promise<void> {
    const all = await navigator.mediaDevices.enumerateDevices();
    this.devices.set(all.filter((d) => d.kind === 'audioinput' && d.deviceId !== ''));
  }
}

function problemOf(error: unknown): MicrophoneProblem {
  switch ((error as DOMException | undefined)?.name) {
    case 'NotAllowedError':
    case 'SecurityError':
      return 'denied';
    case 'NotFoundError':
    case 'OverconstrainedError':
      return 'no-device';
    case 'NotReadableError':
    case 'AbortError':
      return 'in-use';
    default:
      return 'failed';
  }
}
