import { ChangeDetectionStrategy, Component, inject } from '@angular/core';
import { SessionService } from './connection/session.service';
import { I18n } from './i18n/i18n.service';
import { JoinScreen } from './join/join-screen';
import { LeftScreen } from './left/left-screen';
import { RoomView } from './room/room-view';
import { ConfigService } from './shared/config.service';
import { ThemeService } from './shared/theme.service';
import { Toasts } from './ui/toasts';

@Component({
  selector: 'app-root',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [JoinScreen, LeftScreen, RoomView, Toasts],
  template: `
    @if (session.state() !== 'idle') {
      <app-room-view />
    } @else if (session.settings() && !session.refusal()) {
      <app-left-screen />
    } @else {
      <app-join-screen />
    }
    <app-toasts />
  `,
})
export class App {
  protected readonly session = inject(SessionService);

  constructor() {
    // Theme and language first so the page never flashes the wrong colours or words.
    inject(ThemeService);
    inject(I18n);
    void inject(ConfigService).load();
    this.session.rejoinAfterReload();
  }
}
