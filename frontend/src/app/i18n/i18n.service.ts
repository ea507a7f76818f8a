import { Injectable, computed, effect, inject } from '@angular/core';
import { PreferencesService } from '../shared/preferences.service';
import { Catalogue, MessageKey, en } from './en';
import { ko } from './ko';
import { UiLanguage, browserUiLanguage } from './languages';

const CATALOGUES: Record<UiLanguage, Catalogue> = { en, ko };

export type MessageParams = Record<string, string | number>;

/**
 * The interface's language: the user's choice, else the browser's. Texts come from the
 * catalogues; times and language names from Intl in the same language.
 */
@Injectable({ providedIn: 'root' })
export class I18n {
  private readonly prefs = inject(PreferencesService);

  readonly language = computed<UiLanguage>(
    () => this.prefs.preferences().uiLanguage ?? browserUiLanguage(),
  );
  private readonly timeFormat = computed(
    () =>
      new Intl.DateTimeFormat(this.language(), {
        hour: '2-digit',
        minute: '2-digit',
        second: '2-digit',
      }),
  );
  private readonly languageNames = computed(
    () => new Intl.DisplayNames(this.language(), { type: 'language', fallback: 'none' }),
  );

  constructor() {
    effect(() => (document.documentElement.lang = this.language()));
  }

  /** The text for `key`, `{name}` parameters filled in; reading it tracks the language. */
  readonly t = (key: MessageKey, params?: MessageParams): string => {
    const text = CATALOGUES[this.language()][key];
    return params
      ? text.replace(/\{(\w+)\}/g, (match, name) => String(params[name] ?? match))
      : text;
  };

  use(language: UiLanguage): void {
    this.prefs.update({ uiLanguage: language });
  }

  time(ms: number): string {
    return this.timeFormat().format(ms);
  }

  /** A language code's name in the interface's language; null when Intl does not know it. */
  languageName(code: string): string | null {
    try {
      return this.languageNames().of(code) ?? null;
    } catch {
      return null; // not a well-formed language tag
    }
  }

  /** "a, b or c" in the interface's language. */
  orList(items: readonly string[]): string {
    return new Intl.ListFormat(this.language(), { type: 'disjunction' }).format(items);
  }
}

/** A text to show later, in whatever language the interface has by then. */
export interface Message {
  key: MessageKey;
  params?: MessageParams;
}
