import { CaptionLine } from '../captions/caption-store';
import { toPlainText, toSrt, toWebVtt } from './transcript-export';

const T0 = Date.UTC(2026, 11, 1, 9, 0, 0);

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
    expect(toWebVtt(LINES)).toBe(
      [
        'WEBVTT',
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

  it('writes plain text with elapsed time and indented translations', () => {
    expect(toPlainText(LINES)).toBe(
      [
        '[00:00:00] Ada: And so, my fellow Americans:',
        '           → Und so, meine amerikanischen Mitbürger:',
        '[00:00:03] Ada: ask not',
        '[01:01:00] Bob <QA>: Q&A <later>',
        '',
      ].join('\n'),
    );
  });

  it('gives every cue a positive duration', () => {
    const vtt = toWebVtt([line({ text: 'hi', startedAt: T0, endedAt: T0 })]);
    expect(vtt).toContain('00:00:00.000 --> 00:00:00.001');
  });

  it('writes an empty transcript for no finals', () => {
    expect(toWebVtt([])).toBe('WEBVTT\n');
    expect(toSrt([])).toBe('');
    expect(toPlainText([])).toBe('');
  });
});
