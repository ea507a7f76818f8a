import {
  CaptionMessage,
  CaptionWithdrawnMessage,
  SpeechMessage,
  TranslationMessage,
} from '../protocol/protocol';

/** Builders for data-channel messages in tests; every field can be overridden. */
export const ADA = { id: 'p-ada', name: 'Ada' };
export const BOB = { id: 'p-bob', name: 'Bob' };

export function caption(overrides: Partial<CaptionMessage> = {}): CaptionMessage {
  return {
    type: 'caption',
    id: 'p-ada:1',
    seq: 1,
    speaker: ADA,
    language: 'en',
    text: 'hello',
    final: false,
    start: 1,
    end: 2,
    origin: 0,
    part: 0,
    parts: 1,
    history: false,
    ...overrides,
  };
}

export function translation(overrides: Partial<TranslationMessage> = {}): TranslationMessage {
  return {
    type: 'translation',
    caption_id: 'p-ada:1',
    seq: 10,
    speaker: ADA,
    language: 'de',
    source_language: 'en',
    text: 'hallo',
    final: true,
    part: 0,
    parts: 1,
    history: false,
    ...overrides,
  };
}

export function withdrawn(id: string, seq: number): CaptionWithdrawnMessage {
  return { type: 'caption_withdrawn', id, seq };
}

export function speech(seq: number, speaking: boolean, speaker = ADA): SpeechMessage {
  return { type: 'speech', seq, speaker, speaking };
}
