import { ComponentFixture, TestBed } from '@angular/core/testing';
import { MicrophoneService } from '../media/microphone.service';
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
    expect(captions).toEqual(['As spoken', 'English', 'German']);
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
        { label: 'As spoken', disabled: false },
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

  it('explains what is wrong next to each field and focuses the first one', async () => {
    document.body.appendChild(element);
    type('join-room', 'no spaces please');
    type('join-name', ' ');
    byTestId<HTMLButtonElement>('join-submit').click();
    await fixture.whenStable();
    expect(join).not.toHaveBeenCalled();
    const room = byTestId<HTMLInputElement>('join-room');
    const name = byTestId<HTMLInputElement>('join-name');
    expect(room.getAttribute('aria-invalid')).toBe('true');
    expect(document.getElementById(room.getAttribute('aria-describedby')!)!.textContent).toContain(
      'Room names',
    );
    expect(name.getAttribute('aria-invalid')).toBe('true');
    expect(document.getElementById(name.getAttribute('aria-describedby')!)!.textContent).toContain(
      'enter your name',
    );
    expect(document.activeElement).toBe(room);

    type('join-room', 'no-spaces');
    await fixture.whenStable();
    expect(room.getAttribute('aria-invalid')).toBeNull();
    expect(element.querySelector('[data-testid="join-room-error"]')).toBeNull();
    byTestId<HTMLButtonElement>('join-submit').click();
    await fixture.whenStable();
    expect(document.activeElement).toBe(name);
    element.remove();
  });

  describe('opened from an invite link with an invalid room name', () => {
    beforeEach(async () => {
      history.pushState(null, '', '?room=Team%20Meeting%20%231');
      fixture = TestBed.createComponent(JoinScreen);
      element = fixture.nativeElement;
      await fixture.whenStable();
    });
    afterEach(() => history.pushState(null, '', location.pathname));

    it('keeps the name, says what is wrong and offers a valid one', async () => {
      expect(byTestId<HTMLInputElement>('join-room').value).toBe('Team Meeting #1');
      expect(element.querySelector('[data-testid="join-name-error"]')).toBeNull(); // not yet
      expect(byTestId('join-room-error').textContent).toContain('“Team Meeting #1”');
      byTestId<HTMLButtonElement>('join-room-suggestion').click();
      await fixture.whenStable();
      expect(byTestId<HTMLInputElement>('join-room').value).toBe('Team-Meeting-1');
      expect(element.querySelector('[data-testid="join-room-error"]')).toBeNull();
      type('join-name', 'Ada');
      byTestId<HTMLButtonElement>('join-listen-only').click();
      await fixture.whenStable();
      byTestId<HTMLButtonElement>('join-submit').click();
      await fixture.whenStable();
      expect(join).toHaveBeenCalledOnceWith(jasmine.objectContaining({ room: 'Team-Meeting-1' }));
    });
  });

  it('switches every text to Korean and back', async () => {
    const heading = () => element.querySelector('h1')!.textContent!.trim();
    expect(heading()).toBe('Start or join a room');
    const select = byTestId<HTMLSelectElement>('ui-language');
    select.value = 'ko';
    select.dispatchEvent(new Event('change'));
    await fixture.whenStable();
    expect(heading()).toBe('회의실 만들기 또는 참여');
    expect(byTestId('join-submit').textContent!.trim()).toBe('참여하기');
    expect(document.documentElement.lang).toBe('ko');
    // Language names come from Intl in the interface's language.
    const spoken = [...byTestId<HTMLSelectElement>('join-language').options].map((o) =>
      o.text.trim(),
    );
    expect(spoken).toContain(new Intl.DisplayNames('ko', { type: 'language' }).of('de')!);
    expect(JSON.parse(localStorage.getItem('captions.preferences.v1')!).uiLanguage).toBe('ko');
    select.value = 'en';
    select.dispatchEvent(new Event('change'));
    await fixture.whenStable();
    expect(heading()).toBe('Start or join a room');
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
      captionsOnly: false,
      forceRelay: false,
      token: null,
    });
    const saved = JSON.parse(localStorage.getItem('captions.preferences.v1')!);
    expect(saved).toEqual(
      jasmine.objectContaining({ room: 'standup', name: 'Ada', captionLanguage: 'de' }),
    );
  });

  it('joins for captions only without asking for the microphone', async () => {
    const start = spyOn(TestBed.inject(MicrophoneService), 'start');
    type('join-room', 'lecture');
    type('join-name', 'Hall B');
    byTestId<HTMLButtonElement>('join-captions-only').click();
    await fixture.whenStable();
    expect(byTestId('join-captions-only').getAttribute('aria-pressed')).toBe('true');
    expect(byTestId('join-listen-only').getAttribute('aria-pressed')).toBe('false');
    byTestId<HTMLButtonElement>('join-submit').click();
    await fixture.whenStable();

    expect(join).toHaveBeenCalledOnceWith(
      jasmine.objectContaining({ room: 'lecture', listenOnly: true, captionsOnly: true }),
    );
    expect(start).not.toHaveBeenCalled();
  });

  describe('opened from a captions-only link', () => {
    const token = joinToken('lecture');
    beforeEach(async () => {
      history.pushState(null, '', `${location.pathname}?room=lecture&view=captions#token=${token}`);
      fixture = TestBed.createComponent(JoinScreen);
      element = fixture.nativeElement;
      await fixture.whenStable();
    });
    afterEach(() => history.pushState(null, '', location.pathname));

    it('has Captions only chosen, and keeps the link’s form in the address', async () => {
      expect(byTestId('join-captions-only').getAttribute('aria-pressed')).toBe('true');
      expect(byTestId('join-speak').getAttribute('aria-pressed')).toBe('false');
      expect(byTestId('mic-check')).toBeNull();
      type('join-name', 'Hall B');
      byTestId<HTMLButtonElement>('join-submit').click();
      await fixture.whenStable();
      expect(join).toHaveBeenCalledOnceWith(
        jasmine.objectContaining({ room: 'lecture', listenOnly: true, captionsOnly: true, token }),
      );
      const [, , address] = (history.replaceState as jasmine.Spy).calls.mostRecent().args;
      const url = new URL(address as string);
      expect([url.search, url.hash]).toEqual(['?room=lecture&view=captions', `#token=${token}`]);
    });

    it('still lets the guest choose to speak', async () => {
      byTestId<HTMLButtonElement>('join-speak').click();
      await fixture.whenStable();
      expect(byTestId('join-captions-only').getAttribute('aria-pressed')).toBe('false');
      expect(byTestId('mic-check')).not.toBeNull();
    });
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
      TestBed.inject(SessionService).refusal.set({ key: 'access.token_wrong_room' });
      await fixture.whenStable();
      expect(byTestId('join-access').textContent).toContain('for a different room');
    });
  });
});
