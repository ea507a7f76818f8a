import { Injectable, computed, signal } from '@angular/core';
import {
  CaptionMessage,
  CaptionWithdrawnMessage,
  Speaker,
  TranslationMessage,
} from '../protocol/protocol';
import { PartAssembler } from './part-assembler';

export interface CaptionTranslation {
  language: string;
  text: string;
  final: boolean;
}

/** One utterance as shown on screen: the latest partial, or the final. */
export interface CaptionLine {
  id: string;
  speaker: Speaker;
  language: string;
  text: string;
  final: boolean;
  /** Sent as history when this client joined (spoken before it was here). */
  history: boolean;
  /** Cut short: the speaker stopped being heard mid-sentence. */
  interrupted: boolean;
  /** Seconds on the speaker's audio clock. */
  start: number;
  end: number;
  /** Estimated local wall-clock times (ms since epoch), see `anchorOf`. */
  startedAt: number;
  endedAt: number;
  /** Into the chosen caption language only; null until one arrives in it. */
  translation: CaptionTranslation | null;
  /** The line whose translation (in the chosen language) covers this line's text too. */
  translatedWith: string | null;
}

/** Position in the `seq` series of one data channel; a new channel starts a new epoch. */
interface SeqStamp {
  epoch: number;
  seq: number;
}

interface CaptionEntry {
  message: CaptionMessage;
  order: SeqStamp;
  last: SeqStamp;
}

interface TranslationEntry {
  message: TranslationMessage;
  last: SeqStamp;
}

/**
 * Merges the caption stream into lines: a partial is replaced in place by newer partials and
 * then by its final; stale and repeated messages are dropped by `seq`; withdrawn partials
 * disappear. Finals survive reconnections, so history replayed on a new channel is merged,
 * not duplicated. Translations are kept per language and a line shows the one into the chosen
 * caption language: after a switch, the server re-sends earlier captions' translations, and
 * none in another language is passed off as one in the new language meanwhile.
 */
@Injectable({ providedIn: 'root' })
export class CaptionStore {
  private readonly captions = new Map<string, CaptionEntry>();
  /** Caption id → language → its latest translation. */
  private readonly translations = new Map<string, Map<string, TranslationEntry>>();
  /** Caption id → language → the later caption whose translation covers its text. */
  private readonly coveredBy = new Map<string, Map<string, string>>();
  private readonly withdrawn = new Set<string>();
  /** Per speaker: the earliest local time their audio clock's zero can be (see `anchorOf`). */
  private readonly anchors = new Map<string, number>();
  private readonly assembler = new PartAssembler();
  private epoch = 0;
  private readonly revision = signal(0);
  /** The caption language chosen now; null: originals only. */
  readonly language = signal<string | null>(null);

  readonly lines = computed<CaptionLine[]>(() => {
    this.revision();
    const language = this.language();
    return [...this.captions.values()]
      .sort((a, b) => compare(a.order, b.order))
      .map((entry) => this.lineOf(entry, language));
  });

  readonly finals = computed(() => this.lines().filter((line) => line.final));

  /** Call when a new data channel opens: its `seq` series starts over. */
  beginChannel(): void {
    this.epoch++;
    this.assembler.clear();
    this.withdrawn.clear();
    // Partials of the old channel will never be completed on it; history brings their finals.
    for (const [id, entry] of this.captions) {
      if (!entry.message.final) this.captions.delete(id);
    }
    this.changed();
  }

  clear(): void {
    this.captions.clear();
    this.translations.clear();
    this.coveredBy.clear();
    this.withdrawn.clear();
    this.anchors.clear();
    this.assembler.clear();
    this.changed();
  }

  /**
   * Applies one data-channel message (or piece of one). Returns the line when this message
   * made a caption final, so callers can announce it.
   */
  apply(
    message: CaptionMessage | TranslationMessage | CaptionWithdrawnMessage,
    now: number = Date.now(),
  ): CaptionLine | null {
    switch (message.type) {
      case 'caption': {
        const whole = this.assembler.add(message);
        return whole ? this.applyCaption(whole, now) : null;
      }
      case 'translation': {
        const whole = this.assembler.add(message);
        if (whole) this.applyTranslation(whole);
        return null;
      }
      case 'caption_withdrawn':
        this.applyWithdrawn(message);
        return null;
    }
  }

  private applyCaption(message: CaptionMessage, now: number): CaptionLine | null {
    const stamp = { epoch: this.epoch, seq: message.seq };
    const entry = this.captions.get(message.id);
    if (entry?.message.final) return null;
    if (!message.final) {
      if (this.withdrawn.has(message.id)) return null;
      if (entry && compare(stamp, entry.last) <= 0) return null;
    }
    this.observeAnchor(message, now);
    const updated = { message, order: entry?.order ?? stamp, last: stamp };
    this.captions.set(message.id, updated);
    this.changed();
    return message.final ? this.lineOf(updated, this.language()) : null;
  }

  private applyTranslation(message: TranslationMessage): void {
    const stamp = { epoch: this.epoch, seq: message.seq };
    let byLanguage = this.translations.get(message.caption_id);
    const entry = byLanguage?.get(message.language);
    if (entry && (entry.message.final || compare(stamp, entry.last) <= 0)) return;
    if (!byLanguage) {
      byLanguage = new Map();
      this.translations.set(message.caption_id, byLanguage);
    }
    byLanguage.set(message.language, { message, last: stamp });
    for (const id of message.covers) {
      if (id === message.caption_id) continue;
      const covered = this.coveredBy.get(id) ?? new Map<string, string>();
      covered.set(message.language, message.caption_id);
      this.coveredBy.set(id, covered);
    }
    this.changed();
  }

  private applyWithdrawn(message: CaptionWithdrawnMessage): void {
    this.withdrawn.add(message.id);
    const entry = this.captions.get(message.id);
    if (entry && !entry.message.final) {
      this.captions.delete(message.id);
      this.changed();
    }
  }

  /**
   * When the speaker's audio clock started: the server says so (`origin`), which gives every
   * listener the same times. Without it: a caption cannot arrive before its audio ended, so
   * `now - end` is never earlier than that moment; the smallest value seen is the estimate.
   */
  private observeAnchor(message: CaptionMessage, now: number): void {
    if (message.origin > 0) {
      this.anchors.set(message.speaker.id, message.origin);
      return;
    }
    const candidate = now - message.end * 1000;
    const current = this.anchors.get(message.speaker.id);
    if (current === undefined || candidate < current) {
      this.anchors.set(message.speaker.id, candidate);
    }
  }

  private lineOf({ message }: CaptionEntry, language: string | null): CaptionLine {
    const anchor = this.anchors.get(message.speaker.id) ?? 0;
    const translation =
      language === null ? undefined : this.translations.get(message.id)?.get(language)?.message;
    return {
      id: message.id,
      speaker: message.speaker,
      language: message.language,
      text: message.text,
      final: message.final,
      history: message.history,
      interrupted: message.interrupted,
      start: message.start,
      end: message.end,
      startedAt: Math.round(anchor + message.start * 1000),
      endedAt: Math.round(anchor + message.end * 1000),
      translation: translation
        ? { language: translation.language, text: translation.text, final: translation.final }
        : null,
      translatedWith: (language && this.coveredBy.get(message.id)?.get(language)) || null,
    };
  }

  private changed(): void {
    this.revision.update((n) => n + 1);
  }
}

function compare(a: SeqStamp, b: SeqStamp): number {
  return a.epoch - b.epoch || a.seq - b.seq;
}
