import { CaptionLine } from '../captions/caption-store';

/** What a transcript holds of one final caption. */
interface Cue {
  speaker: string;
  text: string;
  translation: string | null;
  /** Milliseconds from the first cue. */
  start: number;
  end: number;
}

/** Final captions only, in spoken order, timed from the first one; final translations only. */
function cuesOf(lines: readonly CaptionLine[]): Cue[] {
  const finals = lines.filter((l) => l.final).sort((a, b) => a.startedAt - b.startedAt);
  const origin = finals[0]?.startedAt ?? 0;
  return finals.map((line) => {
    const start = line.startedAt - origin;
    return {
      speaker: line.speaker.name,
      text: line.text.trim(),
      translation: line.translation?.final ? line.translation.text.trim() : null,
      start,
      end: Math.max(line.endedAt - origin, start + 1),
    };
  });
}

function clock(ms: number, fractionSeparator: string | null): string {
  const total = Math.max(0, Math.round(ms));
  const h = Math.floor(total / 3_600_000);
  const m = Math.floor(total / 60_000) % 60;
  const s = Math.floor(total / 1000) % 60;
  const hms = [h, m, s].map((n) => String(n).padStart(2, '0')).join(':');
  return fractionSeparator === null
    ? hms
    : `${hms}${fractionSeparator}${String(total % 1000).padStart(3, '0')}`;
}

function escapeVtt(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function toWebVtt(lines: readonly CaptionLine[]): string {
  const cues = cuesOf(lines).map((cue, i) => {
    const body = [`<v ${escapeVtt(cue.speaker)}>${escapeVtt(cue.text)}</v>`];
    if (cue.translation) body.push(escapeVtt(cue.translation));
    return [`${i + 1}`, `${clock(cue.start, '.')} --> ${clock(cue.end, '.')}`, ...body].join('\n');
  });
  return ['WEBVTT', ...cues].join('\n\n') + '\n';
}

export function toSrt(lines: readonly CaptionLine[]): string {
  return cuesOf(lines)
    .map((cue, i) => {
      const body = [`${cue.speaker}: ${cue.text}`];
      if (cue.translation) body.push(cue.translation);
      return [`${i + 1}`, `${clock(cue.start, ',')} --> ${clock(cue.end, ',')}`, ...body]
        .join('\n')
        .concat('\n');
    })
    .join('\n');
}

export function toPlainText(lines: readonly CaptionLine[]): string {
  return cuesOf(lines)
    .map((cue) => {
      const stamp = `[${clock(cue.start, null)}]`;
      const first = `${stamp} ${cue.speaker}: ${cue.text}`;
      return cue.translation
        ? `${first}\n${' '.repeat(stamp.length)} → ${cue.translation}\n`
        : `${first}\n`;
    })
    .join('');
}

export type TranscriptFormat = 'vtt' | 'srt' | 'txt';

export const TRANSCRIPT_FORMATS: Record<
  TranscriptFormat,
  { label: string; mime: string; render: (lines: readonly CaptionLine[]) => string }
> = {
  vtt: { label: 'WebVTT (.vtt)', mime: 'text/vtt', render: toWebVtt },
  srt: { label: 'SubRip (.srt)', mime: 'application/x-subrip', render: toSrt },
  txt: { label: 'Plain text (.txt)', mime: 'text/plain', render: toPlainText },
};
