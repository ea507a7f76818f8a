import {
  ChangeDetectionStrategy,
  Component,
  ElementRef,
  afterRenderEffect,
  computed,
  inject,
  signal,
  viewChild,
} from '@angular/core';
import { I18n } from '../i18n/i18n.service';
import { PreferencesService } from '../shared/preferences.service';
import { Icon } from '../ui/icon';
import { CaptionLine, CaptionStore } from './caption-store';
import { LanguageBadge } from './language-badge';
import { speakerColor } from './speaker-color';

/** How close to the bottom (px) still counts as following the live end. */
const FOLLOW_THRESHOLD_PX = 48;
/** A pause this long starts a new group even for the same speaker, so times stay useful. */
const GROUP_GAP_MS = 120_000;

/** The live transcript: provisional partials, finals with translations, auto-scroll. */
@Component({
  selector: 'app-caption-list',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [Icon, LanguageBadge],
  host: { class: 'relative block h-full' },
  template: `
    <!-- A log for assistive technology, kept quiet: the announcer below reads finals only. -->
    <div
      #scroller
      class="h-full overflow-y-auto px-4 py-6 sm:px-8"
      role="log"
      aria-live="off"
      tabindex="0"
      data-testid="caption-list"
      [attr.aria-label]="t('captions.log')"
      [style.font-size.px]="preferences().textSize"
      (scroll)="onScroll()"
    >
      @if (lines().length === 0) {
        <div
          class="flex h-full flex-col items-center justify-center gap-3 text-center text-slate-500 dark:text-slate-400"
        >
          <app-icon name="captions" [size]="40" class="text-slate-300 dark:text-slate-700" />
          <p class="text-base font-medium">{{ t('captions.empty') }}</p>
          <p class="max-w-sm text-sm">{{ t('captions.emptyHint') }}</p>
        </div>
      } @else {
        <ol class="mx-auto flex max-w-4xl flex-col">
          @for (line of shownLines(); track line.id) {
            @let head = groupHeads().has(line.id);
            <li
              data-testid="caption-line"
              [class]="head ? 'mt-[0.9em] first:mt-0' : 'mt-[0.3em]'"
              [attr.data-final]="line.final"
              [attr.data-caption-id]="line.id"
              [attr.data-speaker]="line.speaker.name"
              [attr.data-group-start]="head"
            >
              <div
                class="flex items-baseline gap-2 text-[max(0.6em,12px)] leading-tight"
                [class]="head || line.interrupted || !line.final ? 'mb-[0.15em]' : ''"
              >
                <!-- A speaker's next lines in a row go without name and time, seen or heard. -->
                @if (head) {
                  <span
                    class="font-semibold"
                    [class]="color(line.speaker.name).text"
                    data-testid="caption-speaker"
                  >
                    {{ line.speaker.name }}
                  </span>
                  <time
                    class="tabular-nums text-slate-600 dark:text-slate-400"
                    [attr.datetime]="iso(line.startedAt)"
                    [attr.title]="line.history ? t('captions.history') : null"
                    >{{ i18n.time(line.startedAt) }}</time
                  >
                }
                <!-- Names the text right below it: the translation when only that is shown.
                     A group shares its language, so later lines keep it for screen readers only. -->
                <app-language-badge
                  data-testid="caption-line-language"
                  [class.sr-only]="!head"
                  [code]="shownLanguage(line)"
                  [machine]="translationOnly(line)"
                />
                @if (line.interrupted) {
                  <span
                    class="italic text-amber-800 dark:text-amber-300"
                    [attr.title]="t('captions.cutOffHint')"
                    data-testid="caption-interrupted"
                    >{{ t('captions.cutOff') }}</span
                  >
                }
                @if (!line.final) {
                  <span class="inline-flex items-end gap-0.5" aria-hidden="true">
                    <span class="h-2 w-0.5 animate-speaking rounded bg-slate-400"></span>
                    <span
                      class="h-2 w-0.5 animate-speaking rounded bg-slate-400 [animation-delay:150ms]"
                    ></span>
                    <span
                      class="h-2 w-0.5 animate-speaking rounded bg-slate-400 [animation-delay:300ms]"
                    ></span>
                  </span>
                }
              </div>
              @if (showOriginal(line)) {
                <p
                  class="leading-snug"
                  [class.provisional]="!line.final"
                  data-testid="caption-original"
                  [attr.lang]="line.language"
                  [attr.title]="showTranslation(line) ? null : (line.translation?.text ?? null)"
                >
                  {{ line.text }}
                </p>
              }
              @if (line.translatedWith && showOriginal(line)) {
                <p
                  class="text-[max(0.7em,12px)] italic text-slate-500 dark:text-slate-400"
                  data-testid="caption-translated-with-next"
                >
                  {{ t('captions.translatedWithNext') }}
                </p>
              }
              @if (showTranslation(line) && line.translation; as translation) {
                <p class="leading-snug" [class.translation-below]="showOriginal(line)">
                  @if (showOriginal(line)) {
                    <app-language-badge
                      class="mr-1.5 align-[0.1em] text-[max(0.6em,12px)] leading-tight"
                      data-testid="caption-translation-language"
                      [code]="translation.language"
                      [machine]="true"
                    />
                  }
                  <span
                    [class.provisional]="!translation.final"
                    data-testid="caption-translation"
                    [attr.data-final]="translation.final"
                    [attr.lang]="translation.language"
                    [attr.title]="showOriginal(line) ? null : line.text"
                    >{{ translation.text }}</span
                  >
                </p>
              }
            </li>
          }
        </ol>
      }
    </div>

    @if (!following()) {
      <button
        type="button"
        class="btn-primary absolute bottom-4 left-1/2 -translate-x-1/2 rounded-full shadow-lg"
        data-testid="jump-to-live"
        (click)="jumpToLive()"
      >
        <app-icon name="arrow-down" [size]="16" /> {{ t('captions.jumpToLive') }}
      </button>
    }

    <div class="sr-only" aria-live="polite" aria-atomic="true" data-testid="caption-announcer">
      {{ announcement() }}
    </div>
  `,
})
export class CaptionList {
  private readonly captions = inject(CaptionStore);
  protected readonly i18n = inject(I18n);
  protected readonly t = this.i18n.t;
  protected readonly preferences = inject(PreferencesService).preferences;
  private readonly scroller = viewChild.required<ElementRef<HTMLElement>>('scroller');

  protected readonly lines = this.captions.lines;
  /** In translation-only view, a sentence's earlier pieces show in its one translation. */
  protected readonly shownLines = computed(() =>
    this.preferences().view === 'translation'
      ? this.lines().filter((line) => !line.translatedWith)
      : this.lines(),
  );
  /**
   * Lines that start a group: another speaker, another shown language, or a long pause
   * since the line before. Only these show the speaker's name and the time.
   */
  protected readonly groupHeads = computed(() => {
    const heads = new Set<string>();
    let previous: CaptionLine | null = null;
    for (const line of this.shownLines()) {
      if (
        previous === null ||
        previous.speaker.name !== line.speaker.name ||
        this.shownLanguage(previous) !== this.shownLanguage(line) ||
        line.startedAt - previous.startedAt > GROUP_GAP_MS
      ) {
        heads.add(line.id);
      }
      previous = line;
    }
    return heads;
  });
  protected readonly following = signal(true);
  private lastScrollTop = 0;
  protected readonly color = speakerColor;

  /** The newest live final, read out by screen readers (its translation when that arrives). */
  protected readonly announcement = computed(() => {
    const last = this.captions.finals().at(-1);
    if (!last || last.history) return '';
    const translated = this.preferences().view !== 'original' && last.translation?.final;
    return `${last.speaker.name}: ${translated ? last.translation!.text : last.text}`;
  });

  constructor() {
    afterRenderEffect({
      write: () => {
        this.lines();
        this.preferences().textSize;
        if (this.following()) {
          const el = this.scroller().nativeElement;
          el.scrollTop = el.scrollHeight;
          this.lastScrollTop = el.scrollTop;
        }
      },
    });
  }

  /** Only the translation is shown, so the badge names its language. */
  protected translationOnly(line: CaptionLine): boolean {
    return this.showTranslation(line) && !this.showOriginal(line);
  }

  protected shownLanguage(line: CaptionLine): string {
    return this.translationOnly(line) ? line.translation!.language : line.language;
  }

  protected showOriginal(line: CaptionLine): boolean {
    const view = this.preferences().view;
    return view !== 'translation' || !this.hasTranslation(line);
  }

  protected showTranslation(line: CaptionLine): boolean {
    return this.preferences().view !== 'original' && this.hasTranslation(line);
  }

  private hasTranslation(line: CaptionLine): boolean {
    return line.translation !== null && line.translation.language !== line.language;
  }

  protected onScroll(): void {
    const el = this.scroller().nativeElement;
    const atBottom = el.scrollHeight - el.scrollTop - el.clientHeight < FOLLOW_THRESHOLD_PX;
    // Only the user scrolls up; moving down (smooth jump, new lines) must not stop following.
    if (atBottom) this.following.set(true);
    else if (el.scrollTop < this.lastScrollTop) this.following.set(false);
    this.lastScrollTop = el.scrollTop;
  }

  protected jumpToLive(): void {
    const el = this.scroller().nativeElement;
    el.scrollTo({ top: el.scrollHeight, behavior: 'smooth' });
    this.following.set(true);
  }

  protected iso(ms: number): string {
    return new Date(ms).toISOString();
  }
}
