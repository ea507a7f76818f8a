import { CaptionLine } from '../captions/caption-store';
import { MessageKey } from '../i18n/en';

/** Where and when: the header of a transcript. */
export interface TranscriptInfo {
  room: string;
  /** IANA time zone for wall-clock times; the browser's by default. */
  timeZone?: string;
}

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

/** Local date and time in `timeZone` as `2026-12-01` and `09:00:00` (24-hour). */
function wallClock(ms: number, timeZone: string): { date: string; time: string } {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(ms);
  const part = (type: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === type)!.value;
  return {
    date: `${part('year')}-${part('month')}-${part('day')}`,
    time: `${part('hour')}:${part('minute')}:${part('second')}`,
  };
}

function zoneOf(info: TranscriptInfo): string {
  return info.timeZone ?? Intl.DateTimeFormat().resolvedOptions().timeZone;
}

/** `Room: …` and, once something was said, `Started: <date> <time> (<zone>)`. */
function header(lines: readonly CaptionLine[], info: TranscriptInfo): string[] {
  const first = lines.filter((l) => l.final).sort((a, b) => a.startedAt - b.startedAt)[0];
  if (!first) return [`Room: ${info.room}`];
  const zone = zoneOf(info);
  const { date, time } = wallClock(first.startedAt, zone);
  return [`Room: ${info.room}`, `Started: ${date} ${time} (${zone})`];
}

function escapeVtt(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Cue times count from the first caption (as players need); a NOTE says where and when. */
export function toWebVtt(lines: readonly CaptionLine[], info: TranscriptInfo): string {
  const cues = cuesOf(lines).map((cue, i) => {
    const body = [`<v ${escapeVtt(cue.speaker)}>${escapeVtt(cue.text)}</v>`];
    if (cue.translation) body.push(escapeVtt(cue.translation));
    return [`${i + 1}`, `${clock(cue.start, '.')} --> ${clock(cue.end, '.')}`, ...body].join('\n');
  });
  const note = ['NOTE', ...header(lines, info).map(escapeVtt)].join('\n');
  return ['WEBVTT', note, ...cues].join('\n\n') + '\n';
}

/** SubRip has no room for a header: the download's file name carries room and date. */
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

/** A header, then each line stamped with its wall-clock time. */
export function toPlainText(lines: readonly CaptionLine[], info: TranscriptInfo): string {
  const zone = zoneOf(info);
  const origin = lines
    .filter((l) => l.final)
    .reduce((min, l) => Math.min(min, l.startedAt), Infinity);
  const body = cuesOf(lines)
    .map((cue) => {
      const stamp = `[${wallClock(origin + cue.start, zone).time}]`;
      const first = `${stamp} ${cue.speaker}: ${cue.text}`;
      return cue.translation
        ? `${first}\n${' '.repeat(stamp.length)} → ${cue.translation}\n`
        : `${first}\n`;
    })
    .join('');
  return `${header(lines, info).join('\n')}\n\n${body}`;
}

export type TranscriptFormat = 'vtt' | 'srt' | 'txt';

export const TRANSCRIPT_FORMATS: Record<
  TranscriptFormat,
  {
    label: MessageKey;
    mime: string;
    render: (lines: readonly CaptionLine[], info: TranscriptInfo) => string;
  }
> = {
  vtt: { label: 'transcript.vtt', mime: 'text/vtt', render: toWebVtt },
  srt: { label: 'transcript.srt', mime: 'application/x-subrip', render: toSrt },
  txt: { label: 'transcript.txt', mime: 'text/plain', render: toPlainText },
};
