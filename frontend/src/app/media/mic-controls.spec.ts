import { TestBed } from '@angular/core/testing';
import { SessionService } from '../connection/session.service';
import { MicControls } from './mic-controls';
import { MicrophoneService } from './microphone.service';

describe('MicControls', () => {
  it('keeps one label on the mute button and toggles aria-pressed', async () => {
    TestBed.inject(SessionService).settings.set({
      room: 'standup',
      name: 'Ada',
      language: 'en',
      captionLanguage: null,
      listenOnly: false,
      captionsOnly: false,
      forceRelay: false,
      token: null,
    });
    const mic = TestBed.inject(MicrophoneService);
    const fixture = TestBed.createComponent(MicControls);
    await fixture.whenStable();
    const button = fixture.nativeElement.querySelector('[data-testid="mic-mute"]') as HTMLElement;
    expect(button.getAttribute('aria-label')).toBe('Mute microphone');
    expect(button.getAttribute('aria-pressed')).toBe('false');

    button.click();
    await fixture.whenStable();
    expect(mic.muted()).toBeTrue();
    expect(button.getAttribute('aria-label')).toBe('Mute microphone');
    expect(button.getAttribute('aria-pressed')).toBe('true');
  });
});
