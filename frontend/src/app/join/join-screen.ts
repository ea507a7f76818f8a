import {
  ChangeDetectionStrategy,
  Component,
  ElementRef,
  computed,
  inject,
  signal,
  viewChild,
} from '@angular/core';
import { FormsModule } from '@angular/forms';
import { SessionService, SessionSettings } from '../connection/session.service';
import { MessageKey } from '../i18n/en';
import { I18n } from '../i18n/i18n.service';
import { LanguageSwitch } from '../i18n/language-switch';
import { MicrophoneService } from '../media/microphone.service';
import { MAX_NAME_LENGTH, ROOM_PATTERN, validateJoin } from '../protocol/protocol';
import { copyText } from '../shared/clipboard';
import { ConfigService } from '../shared/config.service';
import { NotificationService } from '../shared/notification.service';
import { PreferencesService } from '../shared/preferences.service';
import { joinTokenProblem, tokenForRoom } from '../shared/join-token';
import {
  captionsOnlyFromUrl,
  inviteLink,
  randomRoomName,
  roomFromUrl,
  suggestRoomName,
  tokenFromUrl,
} from '../shared/room-link';
import { Icon, IconName } from '../ui/icon';
import { LevelMeterBar } from '../ui/level-meter-bar';
import { ThemeToggle } from '../ui/theme-toggle';

type JoinMode = 'speak' | 'listen' | 'captions';

const JOIN_MODES: { mode: JoinMode; icon: IconName; label: MessageKey; testId: string }[] = [
  { mode: 'speak', icon: 'mic', label: 'join.speakListen', testId: 'join-speak' },
  { mode: 'listen', icon: 'headphones', label: 'join.listenOnly', testId: 'join-listen-only' },
  { mode: 'captions', icon: 'captions', label: 'join.captionsOnly', testId: 'join-captions-only' },
];

/** Choose room, name and languages, check the microphone, and join. */
@Component({
  selector: 'app-join-screen',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [FormsModule, Icon, LanguageSwitch, LevelMeterBar, ThemeToggle],
  templateUrl: './join-screen.html',
})
export class JoinScreen {
  protected readonly config = inject(ConfigService);
  protected readonly mic = inject(MicrophoneService);
  protected readonly session = inject(SessionService);
  protected readonly i18n = inject(I18n);
  protected readonly t = this.i18n.t;
  private readonly prefs = inject(PreferencesService);
  private readonly notifications = inject(NotificationService);
  private readonly roomInput = viewChild.required<ElementRef<HTMLInputElement>>('roomInput');
  private readonly nameInput = viewChild.required<ElementRef<HTMLInputElement>>('nameInput');

  private readonly saved = this.prefs.preferences();
  /** The room an invite link names, as given: it may not be a valid name. */
  private readonly linkedRoom = roomFromUrl(new URL(location.href));
  private readonly token = tokenFromUrl(new URL(location.href));
  protected readonly room = signal(this.linkedRoom ?? this.saved.room);
  protected readonly name = signal(this.saved.name);
  protected readonly language = signal(this.saved.language);
  protected readonly captionLanguage = signal<string | null>(this.saved.captionLanguage);
  /** A captions-only link (`view=captions`) chooses Captions only, whatever was used last. */
  private readonly linkedCaptionsOnly = captionsOnlyFromUrl(new URL(location.href));
  protected readonly listenOnly = signal(this.linkedCaptionsOnly || this.saved.listenOnly);
  protected readonly captionsOnly = signal(this.linkedCaptionsOnly || this.saved.captionsOnly);
  protected readonly modes = JOIN_MODES;
  protected readonly mode = computed<JoinMode>(() =>
    this.captionsOnly() ? 'captions' : this.listenOnly() ? 'listen' : 'speak',
  );
  protected readonly forceRelay = signal(this.saved.forceRelay);
  protected readonly echoCancellation = signal(this.saved.echoCancellation);
  /** Field problems show once the user tried to join (a broken invite link's room at once). */
  private readonly checked = signal(false);
  protected readonly starting = signal(false);
  protected readonly maxName = MAX_NAME_LENGTH;

  /** The invited room for the heading, when the link names a valid one. */
  protected readonly invitedRoom =
    this.linkedRoom !== null && ROOM_PATTERN.test(this.linkedRoom) ? this.linkedRoom : null;

  private readonly problems = computed(() =>
    validateJoin({ room: this.room().trim(), name: this.name() }),
  );

  /** An empty room field is fine: joining picks a random room. */
  protected readonly roomError = computed(() => {
    const room = this.room().trim();
    if (room === '' || !this.problems().room) return null;
    if (room === this.linkedRoom) return this.t('join.roomInvalidInvite', { room });
    return this.checked() ? this.t('join.roomInvalid') : null;
  });
  protected readonly roomSuggestion = computed(() =>
    this.roomError() ? suggestRoomName(this.room()) : null,
  );

  protected readonly nameError = computed(() => {
    const problem = this.checked() ? this.problems().name : null;
    if (problem === 'name_missing') return this.t('join.nameMissing');
    if (problem === 'name_too_long') return this.t('join.nameTooLong', { max: MAX_NAME_LENGTH });
    return null;
  });

  /** What the caption languages can do here; the server's reason follows when some cannot. */
  protected readonly translationNote = computed(() => {
    const targets = this.config.config()?.translation.targets;
    if (!targets) return '';
    if (targets.includes('*')) return this.t('join.translatedForYou');
    const names = this.config
      .captionLanguages()
      .filter((lang) => lang.available)
      .map((lang) => lang.name);
    if (names.length === 0) return '';
    return this.t('join.translatedInto', { languages: this.i18n.orList(names) });
  });

  protected readonly unavailableReason = computed(() =>
    this.config.captionLanguages().some((lang) => !lang.available)
      ? this.config.unavailableReason()
      : '',
  );

  /** What is wrong with the invite link for the chosen room, before and after joining. */
  protected readonly accessProblem = computed(() => {
    const problem =
      this.session.refusal() ??
      joinTokenProblem(this.config.config()?.auth ?? 'open', this.room().trim(), this.token);
    return problem && this.t(problem.key, problem.params);
  });

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
      this.t(copied ? 'join.linkCopied' : 'join.linkNotCopied'),
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

  protected setMode(mode: JoinMode): void {
    this.listenOnly.set(mode !== 'speak');
    this.captionsOnly.set(mode === 'captions');
    if (mode !== 'speak') this.mic.stop();
  }

  protected async join(): Promise<void> {
    this.checked.set(true);
    if (this.roomError()) return this.roomInput().nativeElement.focus();
    if (this.nameError()) return this.nameInput().nativeElement.focus();
    const room = this.room().trim() || randomRoomName();
    this.room.set(room);
    const settings: SessionSettings = {
      room,
      name: this.name().trim(),
      language: this.language(),
      captionLanguage: this.captionLanguage(),
      listenOnly: this.listenOnly(),
      captionsOnly: this.captionsOnly(),
      forceRelay: this.forceRelay(),
      token: tokenForRoom(this.token, room),
    };
    if (this.accessProblem()) return; // its notice above the form says what is wrong
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
    history.replaceState(null, '', inviteLink(room, location.href, token, settings.captionsOnly));
    this.session.join(settings);
  }
}
