import { ChangeDetectionStrategy, Component, inject, input } from '@angular/core';
import { CaptionStore } from '../captions/caption-store';
import { SessionService } from '../connection/session.service';
import { MessageKey } from '../i18n/en';
import { I18n } from '../i18n/i18n.service';
import { copyText, downloadText } from '../shared/clipboard';
import { NotificationService } from '../shared/notification.service';
import { Icon } from '../ui/icon';
import { Menu } from '../ui/menu';
import { TRANSCRIPT_FORMATS, TranscriptFormat, toPlainText } from './transcript-export';

/** Download the finals as WebVTT, SRT or text, or copy them. */
@Component({
  selector: 'app-transcript-menu',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [Icon, Menu],
  template: `
    <app-menu
      icon="download"
      testId="transcript-menu"
      [label]="t(label())"
      [placement]="placement()"
      [labelShown]="labelShown()"
      [disabled]="captions.finals().length === 0"
    >
      @for (format of formats; track format) {
        <button
          type="button"
          role="menuitem"
          class="menu-item"
          [attr.data-testid]="'download-' + format"
          (click)="download(format)"
        >
          <app-icon name="download" [size]="14" /> {{ t(formatLabel(format)) }}
        </button>
      }
      <hr class="my-1 border-slate-200 dark:border-slate-700" />
      <button
        type="button"
        role="menuitem"
        class="menu-item"
        data-testid="copy-transcript"
        (click)="copy()"
      >
        <app-icon name="copy" [size]="14" /> {{ t('transcript.copy') }}
      </button>
    </app-menu>
  `,
})
export class TranscriptMenu {
  readonly label = input<MessageKey>('transcript.menu');
  readonly placement = input<'up' | 'down'>('up');
  readonly labelShown = input(false);
  protected readonly captions = inject(CaptionStore);
  private readonly session = inject(SessionService);
  private readonly notifications = inject(NotificationService);
  protected readonly t = inject(I18n).t;
  protected readonly formats = Object.keys(TRANSCRIPT_FORMATS) as TranscriptFormat[];

  protected formatLabel(format: TranscriptFormat): MessageKey {
    return TRANSCRIPT_FORMATS[format].label;
  }

  protected download(format: TranscriptFormat): void {
    const { mime, render } = TRANSCRIPT_FORMATS[format];
    const room = this.session.settings()?.room ?? 'room';
    const stamp = new Date().toISOString().slice(0, 16).replace(/[-:T]/g, '');
    downloadText(
      `captions-${room}-${stamp}.${format}`,
      render(this.captions.finals(), { room }),
      mime,
    );
  }

  protected async copy(): Promise<void> {
    const room = this.session.settings()?.room ?? 'room';
    const copied = await copyText(toPlainText(this.captions.finals(), { room }));
    this.notifications.show(
      copied ? 'success' : 'error',
      this.t(copied ? 'transcript.copied' : 'transcript.notCopied'),
    );
  }
}
