import { DestroyRef, Injectable, computed, effect, inject, signal } from '@angular/core';
import { PreferencesService, ThemeMode } from './preferences.service';

/** Applies light or dark theme: the system's choice unless the user picked one. */
@Injectable({ providedIn: 'root' })
export class ThemeService {
  private readonly preferences = inject(PreferencesService);
  private readonly systemDark = signal(false);

  readonly mode = computed(() => this.preferences.preferences().theme);
  readonly dark = computed(() =>
    this.mode() === 'system' ? this.systemDark() : this.mode() === 'dark',
  );

  constructor() {
    const query = window.matchMedia('(prefers-color-scheme: dark)');
    this.systemDark.set(query.matches);
    const listener = (e: MediaQueryListEvent) => this.systemDark.set(e.matches);
    query.addEventListener('change', listener);
    inject(DestroyRef).onDestroy(() => query.removeEventListener('change', listener));

    effect(() => {
      const root = document.documentElement;
      root.classList.toggle('dark', this.dark());
      root.style.colorScheme = this.dark() ? 'dark' : 'light';
    });
  }

  /** Cycles system → light → dark → system. */
  cycle(): void {
    const next: Record<ThemeMode, ThemeMode> = { system: 'light', light: 'dark', dark: 'system' };
    this.preferences.update({ theme: next[this.mode()] });
  }
}
