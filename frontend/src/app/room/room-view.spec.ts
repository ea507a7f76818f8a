import { ComponentFixture, TestBed } from '@angular/core/testing';
import { SessionService } from '../connection/session.service';
import { ConfigService } from '../shared/config.service';
import { RoomView } from './room-view';

const REASON = 'This server translates offline, into English only. Set RTC_OPENAI_API_KEY.';

describe('RoomView caption language', () => {
  let fixture: ComponentFixture<RoomView>;
  let element: HTMLElement;
  let session: SessionService;

  const byTestId = <T extends HTMLElement>(id: string) =>
    element.querySelector<T>(`[data-testid="${id}"]`);
  const options = () =>
    [...byTestId<HTMLSelectElement>('caption-language')!.options].map((o) => ({
      label: o.text.trim(),
      disabled: o.disabled,
    }));

  async function open(targets: string[], joinedTargets: string[] | null): Promise<void> {
    const config = {
      protocol: 1,
      languages: [
        { code: 'en', name: 'English' },
        { code: 'de', name: 'German' },
      ],
      translation: { backend: 'whisper', targets, unavailable_reason: REASON },
    };
    spyOn(window, 'fetch').and.callFake(async () => new Response(JSON.stringify(config)));
    await TestBed.inject(ConfigService).load();
    session = TestBed.inject(SessionService);
    session.translation.set(joinedTargets && { backend: 'whisper', targets: joinedTargets });
    fixture = TestBed.createComponent(RoomView);
    element = fixture.nativeElement;
    await fixture.whenStable();
  }

  it('lists every language, disables those the server cannot produce, and says why', async () => {
    await open(['en'], ['en']);
    expect(options()).toEqual([
      { label: 'Original', disabled: false },
      { label: 'English', disabled: false },
      { label: 'German (not available)', disabled: true },
    ]);
    const select = byTestId('caption-language')!;
    const reason = document.getElementById(select.getAttribute('aria-describedby')!)!;
    expect(reason.textContent?.trim()).toBe(REASON);
    expect(reason.checkVisibility()).toBeFalse();

    const why = byTestId<HTMLButtonElement>('caption-language-why')!;
    expect(why.getAttribute('aria-label')).toBe('Why some caption languages are not available');
    expect(why.title).toBe(REASON);
    why.click();
    await fixture.whenStable();
    expect(why.getAttribute('aria-expanded')).toBe('true');
    expect(reason.checkVisibility()).toBeTrue();

    document.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape' }));
    await fixture.whenStable();
    expect(reason.checkVisibility()).toBeFalse();
  });

  it('takes the targets from joined, falling back to the config', async () => {
    await open([], null);
    expect(options().filter((o) => o.disabled).length).toBe(2);
    session.translation.set({ backend: 'openai', targets: ['*'] });
    await fixture.whenStable();
    expect(options().every((o) => !o.disabled)).toBeTrue();
    expect(byTestId('caption-language-why')).toBeNull();
    expect(byTestId('caption-language')!.hasAttribute('aria-describedby')).toBeFalse();
  });

  it('switches the caption language with the selection', async () => {
    await open(['en'], ['en']);
    const change = spyOn(session, 'setCaptionLanguage');
    const select = byTestId<HTMLSelectElement>('caption-language')!;
    select.value = 'en';
    select.dispatchEvent(new Event('change'));
    expect(change).toHaveBeenCalledOnceWith('en');
  });
});

describe('RoomView links', () => {
  it('copies an invite link and a captions-only link for the room', async () => {
    spyOn(window, 'fetch').and.callFake(async () => new Response('{}', { status: 404 }));
    const session = TestBed.inject(SessionService);
    session.settings.set({
      room: 'lecture',
      name: 'Ada',
      language: 'en',
      captionLanguage: null,
      listenOnly: false,
      captionsOnly: false,
      forceRelay: false,
      token: 'abc',
    });
    const copied = spyOn(navigator.clipboard, 'writeText').and.resolveTo();
    const fixture = TestBed.createComponent(RoomView);
    await fixture.whenStable();
    const element: HTMLElement = fixture.nativeElement;
    const click = async (id: string) => {
      element.querySelector<HTMLButtonElement>(`[data-testid="${id}"]`)!.click();
      await fixture.whenStable();
      return new URL(copied.calls.mostRecent().args[0]);
    };

    const invite = await click('copy-invite');
    expect([invite.search, invite.hash]).toEqual(['?room=lecture', '#token=abc']);
    const captions = await click('copy-captions-link');
    expect([captions.search, captions.hash]).toEqual(['?room=lecture&view=captions', '#token=abc']);
    const button = element.querySelector('[data-testid="copy-captions-link"]')!;
    // Its accessible name holds its visible text (axe: label-content-name-mismatch).
    expect(button.getAttribute('aria-label')).toBe('Copy captions link');
    expect(button.getAttribute('title')).toContain('captions-only');
  });
});
