import { ComponentFixture, TestBed } from '@angular/core/testing';
import { SessionService } from '../connection/session.service';
import { ConfigService } from '../shared/config.service';
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
    });
    const saved = JSON.parse(localStorage.getItem('captions.preferences.v1')!);
    expect(saved).toEqual(
      jasmine.objectContaining({ room: 'standup', name: 'Ada', captionLanguage: 'de' }),
    );
  });
});
