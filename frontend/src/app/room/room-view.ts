import { ChangeDetectionStrategy, Component, computed, inject, signal } from '@angular/core';
import { CaptionList } from '../captions/caption-list';
import { DisplayMenu } from '../captions/display-menu';
import { DiagnosticsPanel } from '../connection/diagnostics-panel';
import { SessionService } from '../connection/session.service';
import { I18n } from '../i18n/i18n.service';
import { MicControls } from '../media/mic-controls';
import { copyText } from '../shared/clipboard';
import { ConfigService } from '../shared/config.service';
import { NotificationService } from '../shared/notification.service';
import { PreferencesService } from '../shared/preferences.service';
import { inviteLink } from '../shared/room-link';
import { TranscriptMenu } from '../transcript/transcript-menu';
import { ConnectionBadge } from '../ui/connection-badge';
import { Icon } from '../ui/icon';
import { ThemeToggle } from '../ui/theme-toggle';
import { ParticipantsPanel } from './participants-panel';
import { PlaybackToggle } from './playback-toggle';
import { RemoteAudioPlayer } from './remote-audio';
import { RoomStore } from './room-store';

/** The room: captions in the middle, people and diagnostics aside, controls below. */
@Component({
  selector: 'app-room-view',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [
    CaptionList,
    ConnectionBadge,
    DiagnosticsPanel,
    DisplayMenu,
    Icon,
    MicControls,
    ParticipantsPanel,
    PlaybackToggle,
    RemoteAudioPlayer,
    ThemeToggle,
    TranscriptMenu,
  ],
  templateUrl: './room-view.html',
  host: {
    class: 'flex h-dvh flex-col',
    '(document:keydown.escape)': 'sidebarOpen.set(false); showReason.set(false)',
  },
})
export class RoomView {
  protected readonly session = inject(SessionService);
  protected readonly room = inject(RoomStore);
  protected readonly config = inject(ConfigService);
  private readonly prefs = inject(PreferencesService);
  private readonly notifications = inject(NotificationService);
  protected readonly t = inject(I18n).t;

  protected readonly sidebarOpen = signal(false);
  protected readonly showDiagnostics = signal(false);
  protected readonly roomName = computed(() => this.session.settings()?.room ?? '');
  protected readonly captionLanguage = computed(
    () => this.session.settings()?.captionLanguage ?? null,
  );
  /** Caption languages the server can produce, from `joined` (falling back to the config). */
  protected readonly captionLanguages = computed(() => {
    const targets = this.session.translation()?.targets;
    return targets ? this.config.captionLanguagesFor(targets) : this.config.captionLanguages();
  });
  protected readonly unavailableReason = computed(() =>
    this.captionLanguages().some((lang) => !lang.available) ? this.config.unavailableReason() : '',
  );
  protected readonly showReason = signal(false);

  /** Copies the room's invite link, or with `captionsOnly` one that opens in Captions only. */
  protected async copyInvite(captionsOnly = false): Promise<void> {
    const token = this.session.settings()?.token ?? null;
    const link = inviteLink(this.roomName(), document.baseURI, token, captionsOnly);
    const copied = await copyText(link);
    const done = captionsOnly ? 'room.captionsLinkCopied' : 'room.inviteCopied';
    this.notifications.show(
      copied ? 'success' : 'error',
      this.t(copied ? done : 'join.linkNotCopied'),
    );
  }

  protected changeCaptionLanguage(event: Event): void {
    const value = (event.target as HTMLSelectElement).value;
    const language = value === '' ? null : value;
    this.prefs.update({ captionLanguage: language });
    this.session.setCaptionLanguage(language);
  }
}
