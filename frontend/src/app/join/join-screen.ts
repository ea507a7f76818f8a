import { ChangeDetectionStrategy, Component, computed, inject, signal } from '@angular/core';
import { FormsModule } from '@angular/forms';
import { SessionService, SessionSettings } from '../connection/session.service';
import { MicrophoneService } from '../media/microphone.service';
import { MAX_NAME_LENGTH, validateJoin } from '../protocol/protocol';
import { copyText } from '../shared/clipboard';
import { ConfigService } from '../shared/config.service';
import { NotificationService } from '../shared/notification.service';
import { PreferencesService } from '../shared/preferences.service';
import { joinTokenProblem, tokenForRoom } from '../shared/join-token';
import { inviteLink, randomRoomName, roomFromUrl, tokenFromUrl } from '../shared/room-link';
import { Icon } from '../ui/icon';
import { LevelMeterBar } from '../ui/level-meter-bar';
import { ThemeToggle } from '../ui/theme-toggle';

/** Choose room, name and languages, check the microphone, and join. */
@Component({
  selector: 'app-join-screen',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [FormsModule, Icon, LevelMeterBar, ThemeToggle],
  templateUrl: './join-screen.html',
})
export class JoinScreen {
  protected readonly config = inject(ConfigService);
  protected readonly mic = inject(MicrophoneService);
  protected readonly session = inject(SessionService);
  private readonly prefs = inject(PreferencesService);
  private readonly notifications = inject(NotificationService);

  private readonly saved = this.prefs.preferences();
  protected readonly invitedRoom = roomFromUrl(new URL(location.href));
  private readonly token = tokenFromUrl(new URL(location.href));
  protected readonly room = signal(this.invitedRoom ?? this.saved.room);
  protected readonly name = signal(this.saved.name);
  protected readonly language = signal(this.saved.language);
  protected readonly captionLanguage = signal<string | null>(this.saved.captionLanguage);
  protected readonly listenOnly = signal(this.saved.listenOnly);
  protected readonly forceRelay = signal(this.saved.forceRelay);
  protected readonly echoCancellation = signal(this.saved.echoCancellation);
  protected readonly error = signal<string | null>(null);
  protected readonly starting = signal(false);
  protected readonly maxName = MAX_NAME_LENGTH;

  /** What the caption languages can do here; the server's reason follows when some cannot. */
  protected readonly translationNote = computed(() => {
    const targets = this.config.config()?.translation.targets;
    if (!targets) return '';
    if (targets.includes('*')) return 'Captions in other languages are translated for you.';
    const names = this.config
      .captionLanguages()
      .filter((lang) => lang.available)
      .map((lang) => lang.name);
    if (names.length === 0) return '';
    const list =
      names.length > 1 ? `${names.slice(0, -1).join(', ')} or ${names.at(-1)}` : names[0];
    return `Captions can be translated into ${list} on this server.`;
  });

  protected readonly unavailableReason = computed(() =>
    this.config.captionLanguages().some((lang) => !lang.available)
      ? this.config.unavailableReason()
      : '',
  );

  /** What is wrong with the invite link for the chosen room, before and after joining. */
  protected readonly accessProblem = computed(
    () =>
      this.session.refusal() ??
      joinTokenProblem(this.config.config()?.auth ?? 'open', this.room().trim(), this.token),
  );

  protected newRoom(): void {
    this.room.set(randomRoomName());
  }

  protected async copyInvite(): Promise<void> {
    const room = this.room().trim() || randomRoomName();
    this.room.set(room);
    const link = inviteLink(room, document.baseURI, tokenForRoom(this.token, room));
    const copied = await copyText(link);
    this.notifications.show(
      copied ? 'success' : 'error',
      copied ? 'Invite link copied' : 'Could not copy the link',
    );
  }

  protected async checkMicrophone(): Promise<void> {
    this.starting.set(true);
    await this.mic.start();
    this.mic.wake();
    this.starting.set(false);
  }

  protected async setEchoCancellation(on: boolean): Promise<void> {
    this.echoCancellation.set(on);
    this.prefs.update({ echoCancellation: on });
    if (this.mic.track()) await this.mic.start(this.mic.deviceId());
  }

  protected useListenOnly(): void {
    this.listenOnly.set(true);
    this.error.set(null);
    this.mic.stop();
  }

  protected async join(): Promise<void> {
    const room = this.room().trim() || randomRoomName();
    this.room.set(room);
    const settings: SessionSettings = {
      room,
      name: this.name().trim(),
      language: this.language(),
      captionLanguage: this.captionLanguage(),
      listenOnly: this.listenOnly(),
      forceRelay: this.forceRelay(),
      token: tokenForRoom(this.token, room),
    };
    const invalid = validateJoin({
      room,
      name: settings.name,
      language: settings.language,
      caption_language: settings.captionLanguage,
    });
    if (invalid) {
      this.error.set(invalid);
      return;
    }
    const problem = joinTokenProblem(this.config.config()?.auth ?? 'open', room, this.token);
    if (problem) {
      this.error.set(problem);
      return;
    }
    const { token, ...remembered } = settings; // the token stays in the link, not in storage
    this.prefs.update(remembered);
    if (!settings.listenOnly) {
      this.starting.set(true);
      const ready = this.mic.track() !== null || (await this.mic.start());
      this.starting.set(false);
      // The microphone panel shows what went wrong and offers listen-only.
      if (!ready) return;
      this.mic.wake();
    }
    this.error.set(null);
    history.replaceState(null, '', inviteLink(room, location.href, token));
    this.session.join(settings);
  }
}
