import { ComponentFixture, TestBed } from '@angular/core/testing';
import { ConfigService } from '../shared/config.service';
import { PreferencesService } from '../shared/preferences.service';
import { BOB, caption, translation } from '../testing/messages';
import { CaptionList } from './caption-list';
import { CaptionStore } from './caption-store';

describe('CaptionList', () => {
  let fixture: ComponentFixture<CaptionList>;
  let store: CaptionStore;
  let element: HTMLElement;

  const lines = () => [...element.querySelectorAll<HTMLElement>('[data-testid="caption-line"]')];
  const text = (line: HTMLElement, id: string) =>
    line.querySelector(`[data-testid="${id}"]`)?.textContent?.trim() ?? null;

  beforeEach(async () => {
    localStorage.clear();
    fixture = TestBed.createComponent(CaptionList);
    element = fixture.nativeElement;
    element.style.height = '200px';
    document.body.appendChild(element);
    store = TestBed.inject(CaptionStore);
    store.language.set('de');
    store.beginChannel();
    await fixture.whenStable();
  });

  afterEach(() => {
    element.remove();
    localStorage.clear(); // the interface language chosen here must not reach other tests
  });

  it('shows a partial as provisional and replaces it in place with the final', async () => {
    store.apply(caption({ seq: 1, text: 'ask not' }));
    await fixture.whenStable();
    const [partial] = lines();
    expect(partial.dataset['final']).toBe('false');
    expect(partial.querySelector('[data-testid="caption-original"]')!.classList).toContain(
      'provisional',
    );

    store.apply(caption({ seq: 2, text: 'Ask not.', final: true }));
    await fixture.whenStable();
    expect(lines().length).toBe(1);
    expect(lines()[0]).toBe(partial);
    expect(partial.dataset['final']).toBe('true');
    expect(text(partial, 'caption-original')).toBe('Ask not.');
    expect(text(partial, 'caption-speaker')).toBe('Ada');
  });

  it('names a speaker once for consecutive lines, again after someone else spoke', async () => {
    store.apply(caption({ seq: 1, id: 'p-ada:1', text: 'One.', final: true, start: 1 }));
    store.apply(caption({ seq: 2, id: 'p-ada:2', text: 'Two.', final: true, start: 3 }));
    store.apply(
      caption({ seq: 3, id: 'p-bob:1', speaker: BOB, text: 'Hi.', final: true, start: 4 }),
    );
    store.apply(caption({ seq: 4, id: 'p-ada:3', text: 'Three.', final: true, start: 6 }));
    await fixture.whenStable();
    expect(lines().map((line) => text(line, 'caption-speaker'))).toEqual([
      'Ada',
      null,
      'Bob',
      'Ada',
    ]);
    expect(lines().map((line) => line.querySelector('time') !== null)).toEqual([
      true,
      false,
      true,
      true,
    ]);
    expect(lines().map((line) => line.dataset['speaker'])).toEqual(['Ada', 'Ada', 'Bob', 'Ada']);
  });

  it('keeps a speaker’s colour when they come back with a new participant id', async () => {
    store.apply(caption({ seq: 1, id: 'p-ada:1', text: 'Before.', final: true }));
    store.apply(caption({ seq: 2, id: 'p-bob:1', speaker: BOB, text: 'Hi.', final: true }));
    const back = { id: 'p-ada-again', name: 'Ada' };
    store.apply(
      caption({ seq: 3, id: 'p-ada-again:1', speaker: back, text: 'After.', final: true }),
    );
    await fixture.whenStable();
    const [before, , after] = lines().map(
      (line) => line.querySelector('[data-testid="caption-speaker"]')!.className,
    );
    expect(after).toBe(before);
  });

  it('is a labelled log that leaves announcements to the announcer', () => {
    const log = element.querySelector('[data-testid="caption-list"]')!;
    expect(log.getAttribute('role')).toBe('log');
    expect(log.getAttribute('aria-label')).toBe('Captions');
    expect(log.getAttribute('aria-live')).toBe('off');
  });

  it('shows times and texts in the interface language', async () => {
    store.apply(caption({ seq: 1, text: 'Hello.', final: true }));
    await fixture.whenStable();
    TestBed.inject(PreferencesService).update({ uiLanguage: 'ko' });
    await fixture.whenStable();
    const time = element.querySelector('time')!;
    const expected = new Intl.DateTimeFormat('ko', {
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    }).format(new Date(time.getAttribute('datetime')!));
    expect(time.textContent!.trim()).toBe(expected);
    expect(element.querySelector('[data-testid="caption-list"]')!.getAttribute('aria-label')).toBe(
      '자막',
    );
  });

  it('marks a final that was cut off when its speaker stopped being heard', async () => {
    store.apply(caption({ seq: 1, id: 'p-ada:1', text: 'Whole.', final: true }));
    store.apply(caption({ seq: 2, id: 'p-ada:2', text: 'And so', final: true, interrupted: true }));
    await fixture.whenStable();
    const [whole, cut] = lines();
    expect(text(whole, 'caption-interrupted')).toBeNull();
    expect(text(cut, 'caption-interrupted')).toBe('cut off');
    expect(text(cut, 'caption-original')).toBe('And so');
  });

  it('shows original and translation, or only one, as the user chooses', async () => {
    const prefs = TestBed.inject(PreferencesService);
    store.apply(caption({ seq: 1, text: 'Hello.', final: true }));
    store.apply(translation({ seq: 2, text: 'Hallo.' }));
    await fixture.whenStable();
    expect(text(lines()[0], 'caption-original')).toBe('Hello.');
    expect(text(lines()[0], 'caption-translation')).toBe('Hallo.');

    prefs.update({ view: 'translation' });
    await fixture.whenStable();
    expect(text(lines()[0], 'caption-original')).toBeNull();
    expect(text(lines()[0], 'caption-translation')).toBe('Hallo.');

    prefs.update({ view: 'original' });
    await fixture.whenStable();
    expect(text(lines()[0], 'caption-original')).toBe('Hello.');
    expect(text(lines()[0], 'caption-translation')).toBeNull();
  });

  it('shows a sentence spoken in pieces with its one translation', async () => {
    const prefs = TestBed.inject(PreferencesService);
    store.apply(caption({ seq: 1, id: 'p-ada:1', text: 'And so,', final: true }));
    store.apply(caption({ seq: 2, id: 'p-ada:2', text: 'my friends.', final: true }));
    store.apply(
      translation({
        seq: 3,
        caption_id: 'p-ada:2',
        covers: ['p-ada:1', 'p-ada:2'],
        text: 'Und so, meine Freunde.',
      }),
    );
    await fixture.whenStable();
    expect(lines().length).toBe(2);
    expect(text(lines()[0], 'caption-translated-with-next')).toContain('below');
    expect(text(lines()[1], 'caption-translation')).toBe('Und so, meine Freunde.');

    prefs.update({ view: 'translation' });
    await fixture.whenStable();
    expect(lines().map((line) => text(line, 'caption-translation'))).toEqual([
      'Und so, meine Freunde.',
    ]);
  });

  describe('language badges', () => {
    const badge = (line: HTMLElement, id: string) =>
      line.querySelector<HTMLElement>(`[data-testid="${id}"]`);
    const language = (line: HTMLElement, id: string) =>
      badge(line, id)?.getAttribute('data-language') ?? null;
    const machineMarks = (line: HTMLElement) => [
      ...line.querySelectorAll<HTMLElement>('[data-testid="machine-translation"]'),
    ];

    beforeEach(async () => {
      store.apply(caption({ seq: 1, id: 'p-ada:1', text: 'Hello.', final: true }));
      store.apply(translation({ seq: 2, caption_id: 'p-ada:1', text: 'Hallo.' }));
      store.apply(caption({ seq: 3, id: 'p-ada:2', text: 'Not yet.', final: true }));
      await fixture.whenStable();
    });

    it('name the original’s and the translation’s language next to each', async () => {
      TestBed.inject(PreferencesService).update({ view: 'both' });
      await fixture.whenStable();
      const [translated, untranslated] = lines();
      expect(language(translated, 'caption-line-language')).toBe('en');
      expect(language(translated, 'caption-translation-language')).toBe('de');
      expect(machineMarks(translated).length).toBe(1);
      expect(
        badge(translated, 'caption-translation-language')!.contains(machineMarks(translated)[0]),
      ).toBeTrue();
      expect(language(untranslated, 'caption-line-language')).toBe('en');
      expect(badge(untranslated, 'caption-translation-language')).toBeNull();
      expect(machineMarks(untranslated)).toEqual([]);
    });

    it('name the translation in translation-only view, the original until there is one', async () => {
      TestBed.inject(PreferencesService).update({ view: 'translation' });
      await fixture.whenStable();
      const [translated, untranslated] = lines();
      expect(language(translated, 'caption-line-language')).toBe('de');
      expect(machineMarks(translated).length).toBe(1);
      expect(language(untranslated, 'caption-line-language')).toBe('en');
      expect(machineMarks(untranslated)).toEqual([]);

      store.apply(translation({ seq: 4, caption_id: 'p-ada:2', text: 'Noch nicht.' }));
      await fixture.whenStable();
      expect(language(lines()[1], 'caption-line-language')).toBe('de');
      expect(text(lines()[1], 'caption-translation')).toBe('Noch nicht.');
    });

    it('never mark originals as machine translations', async () => {
      TestBed.inject(PreferencesService).update({ view: 'original' });
      await fixture.whenStable();
      expect(lines().map((line) => language(line, 'caption-line-language'))).toEqual(['en', 'en']);
      expect(element.querySelector('[data-testid="machine-translation"]')).toBeNull();
    });

    it('give the machine-translation mark and the language an accessible name', async () => {
      TestBed.inject(PreferencesService).update({ view: 'both' });
      await fixture.whenStable();
      const mark = machineMarks(lines()[0])[0];
      expect(mark.getAttribute('role')).toBe('img');
      expect(mark.getAttribute('aria-label')).toBe('Machine translation');
      expect(mark.title).toBe('Machine translation');
    });

    it('read the language’s name to screen readers and show it on hover', async () => {
      const config = {
        protocol: 1,
        languages: [{ code: 'de', name: 'German' }],
        translation: { backend: 'openai', targets: ['*'] },
      };
      spyOn(window, 'fetch').and.callFake(async () => new Response(JSON.stringify(config)));
      await TestBed.inject(ConfigService).load();
      TestBed.inject(PreferencesService).update({ view: 'both' });
      await fixture.whenStable();
      const german = badge(lines()[0], 'caption-translation-language')!;
      expect(german.querySelector('.sr-only')!.textContent).toBe('German');
      expect(german.querySelector('[title="German"] [aria-hidden="true"]')!.textContent).toBe('de');
    });

    it('follow a change of caption language', async () => {
      TestBed.inject(PreferencesService).update({ view: 'translation' });
      store.language.set('fr');
      await fixture.whenStable();
      expect(lines().map((line) => language(line, 'caption-line-language'))).toEqual(['en', 'en']);
      expect(text(lines()[0], 'caption-original')).toBe('Hello.');
      store.apply(translation({ seq: 4, caption_id: 'p-ada:1', language: 'fr', text: 'Salut.' }));
      await fixture.whenStable();
      expect(language(lines()[0], 'caption-line-language')).toBe('fr');
      expect(text(lines()[0], 'caption-translation')).toBe('Salut.');
    });
  });

  it('falls back to the original in translation-only view until a translation exists', async () => {
    TestBed.inject(PreferencesService).update({ view: 'translation' });
    store.apply(caption({ seq: 1, text: 'Hello.', final: true }));
    await fixture.whenStable();
    expect(text(lines()[0], 'caption-original')).toBe('Hello.');
  });

  it('announces finals, not partials, to screen readers', async () => {
    const announcer = () => text(element, 'caption-announcer');
    store.apply(caption({ seq: 1, text: 'ask' }));
    await fixture.whenStable();
    expect(announcer()).toBe('');
    store.apply(caption({ seq: 2, text: 'Ask not.', final: true }));
    await fixture.whenStable();
    expect(announcer()).toBe('Ada: Ask not.');
    expect(element.querySelector('[aria-live="polite"]')).not.toBeNull();
  });

  it('stops following when scrolled up and jumps back to live', async () => {
    for (let i = 1; i <= 30; i++)
      store.apply(caption({ id: `c${i}`, seq: i, text: `line ${i}`, final: true }));
    await fixture.whenStable();
    const scroller = element.querySelector<HTMLElement>('[data-testid="caption-list"]')!;
    expect(scroller.scrollTop + scroller.clientHeight).toBeGreaterThanOrEqual(
      scroller.scrollHeight - 2,
    );

    scroller.scrollTop = 0;
    scroller.dispatchEvent(new Event('scroll'));
    await fixture.whenStable();
    const jump = element.querySelector<HTMLButtonElement>('[data-testid="jump-to-live"]')!;
    expect(jump).not.toBeNull();

    store.apply(caption({ id: 'c31', seq: 31, text: 'line 31', final: true }));
    await fixture.whenStable();
    expect(scroller.scrollTop).toBe(0);

    jump.click();
    await fixture.whenStable();
    expect(element.querySelector('[data-testid="jump-to-live"]')).toBeNull();
  });
});
