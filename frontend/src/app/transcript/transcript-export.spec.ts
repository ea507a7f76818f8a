import { CaptionLine } from '../captions/caption-store';
import { toPlainText, toSrt, toWebVtt } from './transcript-export';

const T0 = Date.UTC(2026, 11, 1, 9, 0, 0);
const INFO = { room: 'standup', timeZone: 'UTC' };

function line(overrides: Partial<CaptionLine>): CaptionLine {
  return {
    id: 'x',
    speaker: { id: 'p-ada', name: 'Ada' },
    language: 'en',
    text: '',
    final: true,
    history: false,
    interrupted: false,
    start: 0,
    end: 0,
    startedAt: T0,
    endedAt: T0,
    translation: null,
    translatedWith: null,
    ...overrides,
  };
}

const LINES: CaptionLine[] = [
  line({
    id: 'p-ada:1',
    text: 'And so, my fellow Americans:',
    startedAt: T0 + 500,
    endedAt: T0 + 3_250,
    translation: { language: 'de', text: 'Und so, meine amerikanischen Mitbürger:', final: true },
  }),
  line({
    id: 'p-bob:1',
    speaker: { id: 'p-bob', name: 'Bob <QA>' },
    text: 'Q&A <later>',
    startedAt: T0 + 3_661_000,
    endedAt: T0 + 3_662_005,
  }),
  line({
    id: 'p-ada:2',
    text: 'still talking',
    final: false,
    startedAt: T0 + 4_000,
    endedAt: T0 + 5_000,
  }),
  line({
    id: 'p-ada:3',
    text: 'ask not',
    startedAt: T0 + 4_000,
    endedAt: T0 + 6_000,
    translation: { language: 'de', text: 'fragt nicht (noch unfertig)', final: false },
  }),
];

describe('transcript export', () => {
  it('writes WebVTT with voice spans, escaped text and final translations', () => {
    expect(toWebVtt(LINES, INFO)).toBe(
      [
        'WEBVTT',
        '',
        'NOTE',
        'Room: standup',
        'Started: 2026-12-01 09:00:00 (UTC)',
        '',
        '1',
        '00:00:00.000 --> 00:00:02.750',
        '<v Ada>And so, my fellow Americans:</v>',
        'Und so, meine amerikanischen Mitbürger:',
        '',
        '2',
        '00:00:03.500 --> 00:00:05.500',
        '<v Ada>ask not</v>',
        '',
        '3',
        '01:01:00.500 --> 01:01:01.505',
        '<v Bob &lt;QA&gt;>Q&amp;A &lt;later&gt;</v>',
        '',
      ].join('\n'),
    );
  });

  it('writes SubRip with comma milliseconds and speaker prefixes', () => {
    expect(toSrt(LINES)).toBe(
      [
        '1',
        '00:00:00,000 --> 00:00:02,750',
        'Ada: And so, my fellow Americans:',
        'Und so, meine amerikanischen Mitbürger:',
        '',
        '2',
        '00:00:03,500 --> 00:00:05,500',
        'Ada: ask not',
        '',
        '3',
        '01:01:00,500 --> 01:01:01,505',
        'Bob <QA>: Q&A <later>',
        '',
      ].join('\n'),
    );
  });

  it('writes plain text with room, date, wall-clock times and indented translations', () => {
    expect(toPlainText(LINES, INFO)).toBe(
      [
        'Room: standup',
        'Started: 2026-12-01 09:00:00 (UTC)',
        '',
        '[09:00:00] Ada: And so, my fellow Americans:',
        '           → Und so, meine amerikanischen Mitbürger:',
        '[09:00:04] Ada: ask not',
        '[10:01:01] Bob <QA>: Q&A <later>',
        '',
      ].join('\n'),
    );
  });

  it('gives wall-clock times in the chosen time zone', () => {
    const text = toPlainText(LINES, { room: 'standup', timeZone: 'Asia/Seoul' });
    expect(text).toContain('Started: 2026-12-01 18:00:00 (Asia/Seoul)');
    expect(text).toContain('[19:01:01] Bob <QA>: Q&A <later>');
    expect(toWebVtt(LINES, { room: 'standup', timeZone: 'Asia/Seoul' })).toContain(
      'Started: 2026-12-01 18:00:00 (Asia/Seoul)',
    );
  });

  it('gives every cue a positive duration', () => {
    const vtt = toWebVtt([line({ text: 'hi', startedAt: T0, endedAt: T0 })], INFO);
    expect(vtt).toContain('00:00:00.000 --> 00:00:00.001');
  });

  it('writes an empty transcript for no finals', () => {
    expect(toWebVtt([], INFO)).toBe('WEBVTT\n\nNOTE\nRoom: standup\n');
    expect(toSrt([])).toBe('');
    expect(toPlainText([], INFO)).toBe('Room: standup\n\n');
  });
});
