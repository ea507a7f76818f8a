import { ChangeDetectionStrategy, Component, inject } from '@angular/core';
import { SessionService } from './connection/session.service';
import { JoinScreen } from './join/join-screen';
import { RoomView } from './room/room-view';
import { ConfigService } from './shared/config.service';
import { ThemeService } from './shared/theme.service';
import { Toasts } from './ui/toasts';

@Component({
  selector: 'app-root',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [JoinScreen, RoomView, Toasts],
  template: `
    @if (session.state() === 'idle') {
      <app-join-screen />
    } @else {
      <app-room-view />
    }
    <app-toasts />
  `,
})
export class App {
  protected readonly session = inject(SessionService);

  constructor() {
    // Theme first so the page never flashes the wrong colours.
    inject(ThemeService);
    void inject(ConfigService).load();
  }
}
