import { Injectable, signal } from '@angular/core';
import { UiLanguage, isUiLanguage } from '../i18n/languages';

export type CaptionView = 'translation' | 'both' | 'original';
export type ThemeMode = 'system' | 'light' | 'dark';

export interface Preferences {
  name: string;
  room: string;
  /** Spoken language code, or `auto`. */
  language: string;
  /** `null`: originals only. */
  captionLanguage: string | null;
  listenOnly: boolean;
  /** Captions over the WebSocket alone: no peer connection, no audio. */
  captionsOnly: boolean;
  forceRelay: boolean;
  echoCancellation: boolean;
  micDeviceId: string | null;
  view: CaptionView;
  textSize: number;
  theme: ThemeMode;
  /** `null`: the browser's language. */
  uiLanguage: UiLanguage | null;
}

export const TEXT_SIZE = { min: 14, max: 40, step: 2 } as const;

const DEFAULTS: Preferences = {
  name: '',
  room: '',
  language: 'auto',
  captionLanguage: null,
  listenOnly: false,
  captionsOnly: false,
  forceRelay: false,
  echoCancellation: false,
  micDeviceId: null,
  view: 'both',
  textSize: 20,
  theme: 'system',
  uiLanguage: null,
};

const STORAGE_KEY = 'captions.preferences.v1';

/** The user's last choices, kept in localStorage so the next visit starts where they left. */
@Injectable({ providedIn: 'root' })
export class PreferencesService {
  private readonly state = signal<Preferences>(load());
  readonly preferences = this.state.asReadonly();

  update(changes: Partial<Preferences>): void {
    this.state.update((current) => ({ ...current, ...changes }));
    try {
      localStorage.setItem(STORAGE_KEY, JSON.stringify(this.state()));
    } catch {
      // Storage can be full or disabled (private mode); preferences then last for this visit.
    }
  }
}

function load(): Preferences {
  let stored: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? '{}');
    if (typeof parsed === 'object' && parsed !== null) stored = parsed as Record<string, unknown>;
  } catch {
    // A corrupt entry falls back to defaults.
  }
  const pick = <K extends keyof Preferences>(key: K, valid: (v: unknown) => boolean) =>
    valid(stored[key]) ? (stored[key] as Preferences[K]) : DEFAULTS[key];
  const isString = (v: unknown) => typeof v === 'string';
  const isBoolean = (v: unknown) => typeof v === 'boolean';
  const isOptionalString = (v: unknown) => v === null || typeof v === 'string';
  return {
    name: pick('name', isString),
    room: pick('room', isString),
    language: pick('language', isString),
    captionLanguage: pick('captionLanguage', isOptionalString),
    listenOnly: pick('listenOnly', isBoolean),
    captionsOnly: pick('captionsOnly', isBoolean),
    forceRelay: pick('forceRelay', isBoolean),
    echoCancellation: pick('echoCancellation', isBoolean),
    micDeviceId: pick('micDeviceId', isOptionalString),
    view: pick('view', (v) => v === 'translation' || v === 'both' || v === 'original'),
    textSize: pick(
      'textSize',
      (v) => typeof v === 'number' && v >= TEXT_SIZE.min && v <= TEXT_SIZE.max,
    ),
    theme: pick('theme', (v) => v === 'system' || v === 'light' || v === 'dark'),
    uiLanguage: pick('uiLanguage', (v) => v === null || isUiLanguage(v)),
  };
}
