import { ComponentFixture, TestBed } from '@angular/core/testing';
import { SessionService } from '../connection/session.service';
import { ConfigService } from '../shared/config.service';
import { joinToken } from '../testing/messages';
import { JoinScreen } from './join-screen';

const CONFIG = {
  protocol: 1,
  languages: [
    { code: 'en', name: 'English' },
    { code: 'de', name: 'German' },
  ],
  translation: { backend: 'openai', targets: ['*'] },
  audio_relay: true,
  max_room_size: 8,
};

describe('JoinScreen', () => {
  let fixture: ComponentFixture<JoinScreen>;
  let element: HTMLElement;
  let join: jasmine.Spy;

  const byTestId = <T extends HTMLElement>(id: string) =>
    element.querySelector<T>(`[data-testid="${id}"]`)!;
  const type = (id: string, value: string) => {
    const input = byTestId<HTMLInputElement>(id);
    input.value = value;
    input.dispatchEvent(new Event('input'));
  };
  const choose = (id: string, label: string) => {
    const select = byTestId<HTMLSelectElement>(id);
    select.selectedIndex = [...select.options].findIndex((o) => o.text.trim() === label);
    select.dispatchEvent(new Event('change'));
  };

  beforeEach(async () => {
    localStorage.clear();
    spyOn(window, 'fetch').and.callFake(async () => new Response(JSON.stringify(CONFIG)));
    await TestBed.inject(ConfigService).load();
    join = spyOn(TestBed.inject(SessionService), 'join');
    spyOn(history, 'replaceState');
    fixture = TestBed.createComponent(JoinScreen);
    element = fixture.nativeElement;
    await fixture.whenStable();
  });

  it('offers the server’s languages', () => {
    const spoken = [...byTestId<HTMLSelectElement>('join-language').options].map((o) =>
      o.text.trim(),
    );
    expect(spoken).toEqual(['Detect automatically', 'English', 'German']);
    const captions = [...byTestId<HTMLSelectElement>('join-caption-language').options].map((o) =>
      o.text.trim(),
    );
    expect(captions).toEqual(['Each speaker’s language', 'English', 'German']);
  });

  it('names the caption languages when the server translates into only a few', async () => {
    const limited = { ...CONFIG, translation: { backend: 'whisper', targets: ['en', 'de'] } };
    (window.fetch as jasmine.Spy).and.callFake(async () => new Response(JSON.stringify(limited)));
    await TestBed.inject(ConfigService).load();
    await fixture.whenStable();
    expect(byTestId('translation-note').textContent?.trim()).toBe(
      'Captions can be translated into English or German on this server.',
    );
  });

  describe('without translation into every language', () => {
    const REASON =
      'Translation is turned off on this server (RTC_TRANSLATOR=none). Set RTC_OPENAI_API_KEY.';
    const useTranslation = async (targets: string[]) => {
      const config = {
        ...CONFIG,
        languages: [...CONFIG.languages, { code: 'fr', name: 'French' }],
        translation: { backend: 'none', targets, unavailable_reason: REASON },
      };
      (window.fetch as jasmine.Spy).and.callFake(async () => new Response(JSON.stringify(config)));
      await TestBed.inject(ConfigService).load();
      await fixture.whenStable();
    };
    const captionOptions = () =>
      [...byTestId<HTMLSelectElement>('join-caption-language').options].map((o) => ({
        label: o.text.trim(),
        disabled: o.disabled,
      }));
    const description = () =>
      byTestId('join-caption-language')
        .getAttribute('aria-describedby')!
        .split(' ')
        .map((id) => document.getElementById(id)?.textContent?.trim() ?? '')
        .join(' ');

    it('lists every language, the unavailable ones disabled, and says why', async () => {
      await useTranslation([]);
      expect(captionOptions()).toEqual([
        { label: 'Each speaker’s language', disabled: false },
        { label: 'English (not available)', disabled: true },
        { label: 'French (not available)', disabled: true },
        { label: 'German (not available)', disabled: true },
      ]);
      expect(byTestId('translation-unavailable-reason').textContent?.trim()).toBe(REASON);
      expect(element.querySelector('[data-testid="translation-note"]')).toBeNull();
      expect(description()).toContain(REASON);
    });

    it('names what can be translated and why the rest cannot', async () => {
      await useTranslation(['en']);
      expect(captionOptions().map((o) => o.disabled)).toEqual([false, false, true, true]);
      expect(byTestId('translation-note').textContent?.trim()).toBe(
        'Captions can be translated into English on this server.',
      );
      expect(description()).toContain('into English on this server.');
      expect(description()).toContain(REASON);
    });

    it('gives no reason when every language can be translated', async () => {
      expect(captionOptions().every((o) => !o.disabled)).toBeTrue();
      expect(element.querySelector('[data-testid="translation-unavailable-reason"]')).toBeNull();
      expect(description()).toBe('Captions in other languages are translated for you.');
    });
  });

  it('explains what is wrong instead of joining', async () => {
    type('join-room', 'no spaces please');
    type('join-name', 'Ada');
    byTestId<HTMLButtonElement>('join-submit').click();
    await fixture.whenStable();
    expect(byTestId('join-error').textContent).toContain('Room names');
    expect(join).not.toHaveBeenCalled();
  });

  it('joins listen-only with the chosen languages and remembers them', async () => {
    type('join-room', 'standup');
    type('join-name', '  Ada ');
    choose('join-language', 'English');
    choose('join-caption-language', 'German');
    byTestId<HTMLButtonElement>('join-listen-only').click();
    await fixture.whenStable();
    byTestId<HTMLButtonElement>('join-submit').click();
    await fixture.whenStable();

    expect(join).toHaveBeenCalledOnceWith({
      room: 'standup',
      name: 'Ada',
      language: 'en',
      captionLanguage: 'de',
      listenOnly: true,
      forceRelay: false,
      token: null,
    });
    const saved = JSON.parse(localStorage.getItem('captions.preferences.v1')!);
    expect(saved).toEqual(
      jasmine.objectContaining({ room: 'standup', name: 'Ada', captionLanguage: 'de' }),
    );
  });

  describe('with join tokens', () => {
    const useConfig = async (auth: string) => {
      const config = { ...CONFIG, auth };
      (window.fetch as jasmine.Spy).and.callFake(async () => new Response(JSON.stringify(config)));
      await TestBed.inject(ConfigService).load();
    };
    /** The join screen as opened from an invite link with `token` in its fragment. */
    const openWith = async (token: string) => {
      location.hash = `token=${token}`;
      fixture = TestBed.createComponent(JoinScreen);
      element = fixture.nativeElement;
      await fixture.whenStable();
    };
    const joinAs = async (room: string) => {
      type('join-room', room);
      type('join-name', 'Ada');
      byTestId<HTMLButtonElement>('join-listen-only').click();
      await fixture.whenStable();
      byTestId<HTMLButtonElement>('join-submit').click();
      await fixture.whenStable();
    };

    afterEach(() => history.pushState(null, '', location.pathname + location.search));

    it('says plainly that the room needs an invite link', async () => {
      await useConfig('token');
      await fixture.whenStable();
      expect(byTestId('join-access').textContent).toContain('This room needs an invite link');
      await joinAs('board');
      expect(join).not.toHaveBeenCalled();
    });

    it('joins with the invite link’s token and keeps it out of storage', async () => {
      await useConfig('token');
      const token = joinToken('board');
      await openWith(token);
      await joinAs('board');
      expect(join).toHaveBeenCalledOnceWith(jasmine.objectContaining({ room: 'board', token }));
      const [, , address] = (history.replaceState as jasmine.Spy).calls.mostRecent().args;
      expect(new URL(address as string).hash).toBe(`#token=${token}`);
      expect(localStorage.getItem('captions.preferences.v1')).not.toContain(token);
    });

    it('says when the invite link has expired or is for another room', async () => {
      await useConfig('token');
      await openWith(joinToken('board', -60));
      type('join-room', 'board');
      await fixture.whenStable();
      expect(byTestId('join-access').textContent).toContain('This invite link has expired');
      type('join-room', 'other');
      await fixture.whenStable();
      expect(byTestId('join-access').textContent).toContain('for the room “board”');
    });

    it('shows the server’s refusal after returning from a join', async () => {
      TestBed.inject(SessionService).refusal.set('This invite link is for a different room.');
      await fixture.whenStable();
      expect(byTestId('join-access').textContent).toContain('for a different room');
    });
  });
});
