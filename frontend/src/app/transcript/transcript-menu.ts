import { ChangeDetectionStrategy, Component, inject } from '@angular/core';
import { CaptionStore } from '../captions/caption-store';
import { SessionService } from '../connection/session.service';
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
      label="Transcript"
      icon="download"
      testId="transcript-menu"
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
          <app-icon name="download" [size]="14" /> {{ label(format) }}
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
        <app-icon name="copy" [size]="14" /> Copy as text
      </button>
    </app-menu>
  `,
})
export class TranscriptMenu {
  protected readonly captions = inject(CaptionStore);
  private readonly session = inject(SessionService);
  private readonly notifications = inject(NotificationService);
  protected readonly formats = Object.keys(TRANSCRIPT_FORMATS) as TranscriptFormat[];

  protected label(format: TranscriptFormat): string {
    return TRANSCRIPT_FORMATS[format].label;
  }

  protected download(format: TranscriptFormat): void {
    const { mime, render } = TRANSCRIPT_FORMATS[format];
    const room = this.session.settings()?.room ?? 'room';
    const stamp = new Date().toISOString().slice(0, 16).replace(/[-:T]/g, '');
    downloadText(`captions-${room}-${stamp}.${format}`, render(this.captions.finals()), mime);
  }

  protected async copy(): Promise<void> {
    const copied = await copyText(toPlainText(this.captions.finals()));
    this.notifications.show(
      copied ? 'success' : 'error',
      copied ? 'Transcript copied' : 'Could not copy the transcript',
    );
  }
}
