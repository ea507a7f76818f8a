import { Injectable, computed, inject, signal } from '@angular/core';
import { I18n } from '../i18n/i18n.service';
import { ServerConfig, parseServerConfig } from '../protocol/protocol';

export interface Language {
  code: string;
  name: string;
}

export interface CaptionLanguage extends Language {
  /** False when the server cannot translate into it: listed, but not selectable. */
  available: boolean;
}

/** The server's languages and translation capability, from `GET /api/config`. */
@Injectable({ providedIn: 'root' })
export class ConfigService {
  private readonly i18n = inject(I18n);
  private readonly state = signal<ServerConfig | null>(null);
  readonly config = this.state.asReadonly();
  /** Why the configuration could not be loaded; null when it was. */
  readonly error = signal<string | null>(null);

  /** The server's languages, named and sorted in the interface's language. */
  readonly languages = computed<Language[]>(() =>
    this.byName(
      (this.state()?.languages ?? []).map(({ code }) => ({ code, name: this.nameOf(code) })),
    ),
  );

  /** Languages captions can be shown in besides the originals (see `captionLanguagesFor`). */
  readonly captionLanguages = computed(() =>
    this.captionLanguagesFor(this.state()?.translation.targets ?? []),
  );

  /** Why some caption languages are unavailable and what to set on the server; '' if none. */
  readonly unavailableReason = computed(() => this.state()?.translation.unavailable_reason ?? '');

  async load(): Promise<void> {
    try {
      const response = await fetch('api/config', { headers: { Accept: 'application/json' } });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const parsed = parseServerConfig(await response.json());
      if (!parsed.ok) throw new Error(parsed.reason);
      this.state.set(parsed.message);
      this.error.set(null);
    } catch (e) {
      this.error.set((e as Error).message);
    }
  }

  /**
   * Every offered language, and any other translation target, as a caption language; those
   * not in `targets` stay listed as unavailable so people see what is missing.
   */
  captionLanguagesFor(targets: readonly string[]): CaptionLanguage[] {
    const offered = this.languages();
    const others = targets
      .filter((code) => code !== '*' && !offered.some((lang) => lang.code === code))
      .map((code) => ({ code, name: this.nameOf(code) }));
    return this.byName([...offered, ...others]).map((lang) => ({
      ...lang,
      available: targets.includes('*') || targets.includes(lang.code),
    }));
  }

  /** A language's name in the interface's language (the server's English name as a fallback). */
  nameOf(code: string | null): string {
    if (code === null) return this.i18n.t('room.original');
    if (code === 'auto') return this.i18n.t('join.detect');
    return (
      this.i18n.languageName(code) ??
      this.state()?.languages.find((l) => l.code === code)?.name ??
      code.toUpperCase()
    );
  }

  private byName<T extends Language>(languages: T[]): T[] {
    const locale = this.i18n.language();
    return [...languages].sort((a, b) => a.name.localeCompare(b.name, locale));
  }
}
