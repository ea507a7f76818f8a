import { Injectable, computed, signal } from '@angular/core';
import { ServerConfig, parseServerConfig } from '../protocol/protocol';

export interface Language {
  code: string;
  name: string;
}

/** The server's languages and translation capability, from `GET /api/config`. */
@Injectable({ providedIn: 'root' })
export class ConfigService {
  private readonly state = signal<ServerConfig | null>(null);
  readonly config = this.state.asReadonly();
  readonly error = signal<string | null>(null);

  readonly languages = computed<Language[]>(() =>
    [...(this.state()?.languages ?? [])].sort((a, b) => a.name.localeCompare(b.name)),
  );

  /** Languages captions can be shown in besides the originals. */
  readonly captionLanguages = computed<Language[]>(() => {
    const targets = this.state()?.translation.targets ?? [];
    if (targets.includes('*')) return this.languages();
    return targets.map((code) => ({ code, name: this.nameOf(code) }));
  });

  async load(): Promise<void> {
    try {
      const response = await fetch('api/config', { headers: { Accept: 'application/json' } });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const parsed = parseServerConfig(await response.json());
      if (!parsed.ok) throw new Error(parsed.reason);
      this.state.set(parsed.message);
      this.error.set(null);
    } catch (e) {
      this.error.set(`Could not load the server configuration (${(e as Error).message}).`);
    }
  }

  nameOf(code: string | null): string {
    if (code === null) return 'Original';
    if (code === 'auto') return 'Auto-detect';
    return this.state()?.languages.find((l) => l.code === code)?.name ?? code.toUpperCase();
  }
}
