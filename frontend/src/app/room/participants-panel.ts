import { ChangeDetectionStrategy, Component, computed, inject } from '@angular/core';
import { speakerColor } from '../captions/speaker-color';
import { I18n } from '../i18n/i18n.service';
import { ConfigService } from '../shared/config.service';
import { Icon } from '../ui/icon';
import { RoomStore } from './room-store';

/** Everyone in the room, their languages, who is speaking, and per-person audio mute. */
@Component({
  selector: 'app-participants-panel',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [Icon],
  template: `
    <h2
      class="mb-2 flex items-center gap-2 text-xs font-semibold tracking-wide text-slate-500 dark:text-slate-400 uppercase"
    >
      <app-icon name="users" [size]="14" /> {{ t('people.title') }}
      <span
        class="ml-auto rounded-full bg-slate-200 px-2 py-0.5 text-[11px] text-slate-600 dark:bg-slate-800 dark:text-slate-300"
      >
        {{ room.participants().length }}
      </span>
    </h2>
    <ul class="flex flex-col gap-1" data-testid="participants">
      @for (person of people(); track person.id) {
        @let speaking = room.speaking().has(person.id);
        @let audio = room.audioOf(person.id);
        <li
          class="flex items-center gap-3 rounded-xl px-2 py-2 transition-colors"
          [class.speaking-row]="speaking"
          data-testid="participant"
          [attr.data-speaking]="speaking"
        >
          <span
            class="relative flex size-9 shrink-0 items-center justify-center rounded-full text-sm font-semibold text-white"
            [class]="color(person.name).avatar"
            [class.speaking-avatar]="speaking"
          >
            {{ initials(person.name) }}
          </span>
          <div class="min-w-0 flex-1">
            <p class="truncate text-sm font-medium">
              {{ person.name }}
              @if (person.id === room.selfId()) {
                <span class="font-normal text-slate-500 dark:text-slate-400">{{
                  t('people.you')
                }}</span>
              }
            </p>
            <p class="text-xs text-slate-500 dark:text-slate-400">
              {{
                person.language === 'auto'
                  ? t('people.autoDetected')
                  : t('people.speaks', { language: config.nameOf(person.language) })
              }}
              ·
              {{
                person.caption_language === null
                  ? t('people.readsOriginals')
                  : t('people.reads', { language: config.nameOf(person.caption_language) })
              }}
            </p>
          </div>
          @if (speaking) {
            <span
              class="flex h-4 items-end gap-0.5"
              [attr.aria-label]="t('people.speaking')"
              role="img"
            >
              <span class="h-full w-1 origin-bottom animate-speaking rounded bg-emerald-500"></span>
              <span
                class="h-full w-1 origin-bottom animate-speaking rounded bg-emerald-500 [animation-delay:200ms]"
              ></span>
              <span
                class="h-full w-1 origin-bottom animate-speaking rounded bg-emerald-500 [animation-delay:400ms]"
              ></span>
            </span>
          }
          @if (audio) {
            @let muted = room.mutedAudio().has(room.audioKey(audio));
            <button
              type="button"
              class="btn-ghost p-1.5"
              [attr.aria-pressed]="muted"
              [attr.aria-label]="t('people.mute', { name: person.name })"
              [attr.title]="t('people.mute', { name: person.name })"
              (click)="room.toggleAudioMute(room.audioKey(audio))"
            >
              <app-icon [name]="muted ? 'volume-off' : 'volume'" [size]="16" />
            </button>
          }
        </li>
      }
    </ul>
  `,
})
export class ParticipantsPanel {
  protected readonly room = inject(RoomStore);
  protected readonly config = inject(ConfigService);
  protected readonly t = inject(I18n).t;
  protected readonly color = speakerColor;
  /** This participant first, then the others in joining order. */
  protected readonly people = computed(() => {
    const self = this.room.participants().filter((p) => p.id === this.room.selfId());
    return [...self, ...this.room.others()];
  });

  protected initials(name: string): string {
    const words = name.trim().split(/\s+/);
    return (
      (words[0]?.[0] ?? '') + (words.length > 1 ? (words.at(-1)?.[0] ?? '') : '')
    ).toUpperCase();
  }
}
