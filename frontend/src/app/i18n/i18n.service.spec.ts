import { TestBed } from '@angular/core/testing';
import { PreferencesService } from '../shared/preferences.service';
import { MessageKey, en } from './en';
import { I18n } from './i18n.service';
import { ko } from './ko';
import { browserUiLanguage } from './languages';

const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe('I18n', () => {
  beforeEach(() => localStorage.clear());
  afterEach(() => localStorage.clear());

  it('has every English text in Korean, with the same parameters', () => {
    const keys = Object.keys(en) as MessageKey[];
    expect(Object.keys(ko).sort()).toEqual([...keys].sort());
    for (const key of keys) {
      expect(ko[key].trim()).withContext(key).not.toBe('');
      expect(placeholders(ko[key])).withContext(key).toEqual(placeholders(en[key]));
    }
  });

  it('follows the browser’s preferred languages until the user picks one', () => {
    expect(browserUiLanguage(['ko-KR', 'en-US'])).toBe('ko');
    expect(browserUiLanguage(['fr-FR', 'en-GB'])).toBe('en');
    expect(browserUiLanguage(['fr'])).toBe('en');
    const i18n = TestBed.inject(I18n);
    expect(i18n.language()).toBe(browserUiLanguage(navigator.languages));
    i18n.use('ko');
    expect(i18n.language()).toBe('ko');
    expect(TestBed.inject(PreferencesService).preferences().uiLanguage).toBe('ko');
  });

  it('switches texts, parameters, language names and lists', () => {
    const i18n = TestBed.inject(I18n);
    i18n.use('en');
    expect(i18n.t('people.mute', { name: 'Ada' })).toBe('Mute Ada');
    expect(i18n.languageName('de')).toBe('German');
    expect(i18n.orList(['German', 'French'])).toBe('German or French');
    i18n.use('ko');
    expect(i18n.t('people.mute', { name: 'Ada' })).toBe('Ada 소리 끄기');
    expect(i18n.languageName('de')).toBe('독일어');
    expect(i18n.languageName('not a tag')).toBeNull();
  });
});
