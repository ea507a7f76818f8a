/** The languages the interface is written in, each named in itself for the switch. */
export const UI_LANGUAGES = { en: 'English', ko: '한국어' } as const;
export type UiLanguage = keyof typeof UI_LANGUAGES;

export function isUiLanguage(value: unknown): value is UiLanguage {
  return typeof value === 'string' && Object.hasOwn(UI_LANGUAGES, value);
}

/** The first of the browser's preferred languages the interface has (`ko-KR` → `ko`). */
export function browserUiLanguage(preferred: readonly string[] = navigator.languages): UiLanguage {
  for (const tag of preferred) {
    const base = tag.toLowerCase().split('-')[0];
    if (isUiLanguage(base)) return base;
  }
  return 'en';
}
