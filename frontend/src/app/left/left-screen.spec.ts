import { TestBed } from '@angular/core/testing';
import { App } from '../app';
import { SessionService, SessionSettings } from '../connection/session.service';

const SETTINGS: SessionSettings = {
  room: 'standup',
  name: 'Ada',
  language: 'en',
  captionLanguage: null,
  listenOnly: true,
  captionsOnly: false,
  forceRelay: false,
  token: null,
};

describe('After leaving a room', () => {
  it('offers to rejoin or download the transcript, or to start over', async () => {
    sessionStorage.clear();
    spyOn(window, 'fetch').and.callFake(async () => new Response('{}', { status: 503 }));
    const session = TestBed.inject(SessionService);
    const join = spyOn(session, 'join');
    const fixture = TestBed.createComponent(App);
    const element: HTMLElement = fixture.nativeElement;
    const byTestId = (id: string) => element.querySelector<HTMLElement>(`[data-testid="${id}"]`);
    await fixture.whenStable();
    expect(byTestId('join-form')).not.toBeNull();

    session.settings.set(SETTINGS); // as left by `leave()`: idle, settings kept
    await fixture.whenStable();
    expect(byTestId('left-screen')!.textContent).toContain('You left “standup”');
    expect(byTestId('transcript-menu')).not.toBeNull();
    byTestId('rejoin')!.click();
    expect(join).toHaveBeenCalledOnceWith(SETTINGS);

    byTestId('start-over')!.click();
    await fixture.whenStable();
    expect(byTestId('left-screen')).toBeNull();
    expect(byTestId('join-form')).not.toBeNull();
  });
});
