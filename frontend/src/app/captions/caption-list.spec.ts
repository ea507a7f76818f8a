import { ComponentFixture, TestBed } from '@angular/core/testing';
import { PreferencesService } from '../shared/preferences.service';
import { caption, translation } from '../testing/messages';
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
    store.beginChannel();
    await fixture.whenStable();
  });

  afterEach(() => element.remove());

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
