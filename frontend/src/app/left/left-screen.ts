import { ChangeDetectionStrategy, Component, inject } from '@angular/core';
import { SessionService } from '../connection/session.service';
import { I18n } from '../i18n/i18n.service';
import { TranscriptMenu } from '../transcript/transcript-menu';
import { Icon } from '../ui/icon';

/** After leaving: go back in, keep the transcript, or start over. */
@Component({
  selector: 'app-left-screen',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [Icon, TranscriptMenu],
  template: `
    <main class="flex min-h-dvh items-start justify-center px-4 pt-16 sm:items-center sm:pt-4">
      <section class="panel w-full max-w-md p-6 text-center sm:p-8" data-testid="left-screen">
        <h1 class="text-xl font-semibold tracking-tight">
          {{ t('left.title', { room: session.settings()!.room }) }}
        </h1>
        <p class="mt-2 text-sm text-slate-600 dark:text-slate-400">{{ t('left.body') }}</p>
        <div class="mt-6 flex flex-wrap items-center justify-center gap-2">
          <button
            type="button"
            class="btn-primary"
            data-testid="rejoin"
            (click)="session.join(session.settings()!)"
          >
            <app-icon name="refresh" [size]="16" /> {{ t('left.rejoin') }}
          </button>
          <app-transcript-menu label="left.download" placement="down" [labelShown]="true" />
          <button
            type="button"
            class="btn-ghost"
            data-testid="start-over"
            (click)="session.startOver()"
          >
            {{ t('left.startOver') }}
          </button>
        </div>
      </section>
    </main>
  `,
})
export class LeftScreen {
  protected readonly session = inject(SessionService);
  protected readonly t = inject(I18n).t;
}
