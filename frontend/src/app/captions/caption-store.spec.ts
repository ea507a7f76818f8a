import { ADA, BOB, caption, translation, withdrawn } from '../testing/messages';
import { CaptionStore } from './caption-store';

describe('CaptionStore', () => {
  let store: CaptionStore;
  const texts = () => store.lines().map((l) => `${l.text}${l.final ? '' : '…'}`);

  beforeEach(() => {
    store = new CaptionStore();
    store.language.set('de');
    store.beginChannel();
  });

  describe('partials and finals', () => {
    it('replaces a partial in place by newer partials and then by the final', () => {
      store.apply(caption({ seq: 1, text: 'ask' }));
      store.apply(caption({ seq: 2, text: 'ask not' }));
      expect(texts()).toEqual(['ask not…']);
      const final = store.apply(caption({ seq: 3, text: 'Ask not.', final: true }));
      expect(texts()).toEqual(['Ask not.']);
      expect(final?.text).toBe('Ask not.');
    });

    it('reports only the message that made a caption final', () => {
      expect(store.apply(caption({ seq: 1 }))).toBeNull();
      expect(store.apply(caption({ seq: 2, final: true }))).not.toBeNull();
      expect(store.apply(caption({ seq: 2, final: true }))).toBeNull();
    });

    it('drops a partial that is older than the one shown', () => {
      store.apply(caption({ seq: 5, text: 'ask not what' }));
      store.apply(caption({ seq: 4, text: 'ask not' }));
      expect(texts()).toEqual(['ask not what…']);
    });

    it('ignores duplicates', () => {
      store.apply(caption({ seq: 1, text: 'a' }));
      store.apply(caption({ seq: 1, text: 'a' }));
      store.apply(caption({ seq: 2, text: 'a b', final: true }));
      store.apply(caption({ seq: 2, text: 'a b', final: true }));
      expect(store.lines().length).toBe(1);
    });

    it('never lets a late partial overwrite the final', () => {
      store.apply(caption({ seq: 3, text: 'Final.', final: true }));
      store.apply(caption({ seq: 2, text: 'fin' }));
      store.apply(caption({ seq: 9, text: 'later partial' }));
      expect(texts()).toEqual(['Final.']);
    });

    it('accepts a final even when it arrives before older partials', () => {
      store.apply(caption({ seq: 7, text: 'Done.', final: true }));
      store.apply(caption({ seq: 6, text: 'do' }));
      expect(texts()).toEqual(['Done.']);
    });
  });

  describe('ordering', () => {
    it('orders utterances by the seq of their first message', () => {
      store.apply(caption({ id: 'p-bob:1', speaker: BOB, seq: 3, text: 'second' }));
      store.apply(caption({ id: 'p-ada:1', speaker: ADA, seq: 2, text: 'first' }));
      store.apply(caption({ id: 'p-bob:1', speaker: BOB, seq: 4, text: 'second!', final: true }));
      expect(texts()).toEqual(['first…', 'second!']);
    });

    it('keeps an utterance in place when it is updated later', () => {
      store.apply(caption({ id: 'a', seq: 1, text: 'one' }));
      store.apply(caption({ id: 'b', seq: 2, text: 'two', speaker: BOB }));
      store.apply(caption({ id: 'a', seq: 3, text: 'one!', final: true }));
      expect(texts()).toEqual(['one!', 'two…']);
    });
  });

  describe('split messages', () => {
    it('shows a split final only once all parts are in, joined in part order', () => {
      store.apply(caption({ seq: 1, text: 'ask not' }));
      store.apply(
        caption({ seq: 3, final: true, part: 1, parts: 2, text: 'country can do for you' }),
      );
      expect(texts()).toEqual(['ask not…']);
      store.apply(caption({ seq: 2, final: true, part: 0, parts: 2, text: 'ask not what your ' }));
      expect(texts()).toEqual(['ask not what your country can do for you']);
    });

    it('joins split translations', () => {
      store.apply(caption({ seq: 1, final: true }));
      store.apply(translation({ seq: 2, part: 0, parts: 2, text: 'Fragt nicht, ' }));
      store.apply(translation({ seq: 3, part: 1, parts: 2, text: 'was euer Land' }));
      expect(store.lines()[0].translation?.text).toBe('Fragt nicht, was euer Land');
    });
  });

  describe('withdrawn captions', () => {
    it('removes a withdrawn partial and ignores its late partials', () => {
      store.apply(caption({ id: 'p-ada:8', seq: 1, text: 'uh' }));
      store.apply(withdrawn('p-ada:8', 2));
      store.apply(caption({ id: 'p-ada:8', seq: 3, text: 'uh huh' }));
      expect(store.lines()).toEqual([]);
    });

    it('does not remove a caption that is already final', () => {
      store.apply(caption({ seq: 1, final: true, text: 'Kept.' }));
      store.apply(withdrawn('p-ada:1', 2));
      expect(texts()).toEqual(['Kept.']);
    });
  });

  describe('translations', () => {
    it('attaches streaming translation partials and then the final', () => {
      store.apply(caption({ seq: 1, final: true, text: 'Ask not.' }));
      store.apply(translation({ seq: 2, final: false, text: 'Fragt' }));
      expect(store.lines()[0].translation).toEqual({ language: 'de', text: 'Fragt', final: false });
      store.apply(translation({ seq: 3, final: true, text: 'Fragt nicht.' }));
      expect(store.lines()[0].translation).toEqual({
        language: 'de',
        text: 'Fragt nicht.',
        final: true,
      });
    });

    it('drops stale translation partials and anything after the final', () => {
      store.apply(caption({ seq: 1, final: true }));
      store.apply(translation({ seq: 4, final: false, text: 'Fragt nicht' }));
      store.apply(translation({ seq: 3, final: false, text: 'Fragt' }));
      expect(store.lines()[0].translation?.text).toBe('Fragt nicht');
      store.apply(translation({ seq: 5, final: true, text: 'Fragt nicht.' }));
      store.apply(translation({ seq: 6, final: false, text: 'F' }));
      expect(store.lines()[0].translation?.text).toBe('Fragt nicht.');
    });

    it('keeps a translation that arrives before its caption', () => {
      store.apply(translation({ seq: 2, text: 'hallo' }));
      store.apply(caption({ seq: 1, final: true }));
      expect(store.lines()[0].translation?.text).toBe('hallo');
    });

    it('takes a translation into a newly chosen language', () => {
      store.apply(caption({ seq: 1, final: true }));
      store.apply(translation({ seq: 2, text: 'hallo' }));
      store.language.set('fr');
      store.apply(translation({ seq: 3, text: 'bonjour', language: 'fr' }));
      expect(store.lines()[0].translation).toEqual({
        language: 'fr',
        text: 'bonjour',
        final: true,
      });
    });
  });

  describe('a sentence spoken in pieces', () => {
    beforeEach(() => {
      store.apply(caption({ id: 'p-ada:1', seq: 1, final: true, text: 'And so,' }));
      store.apply(caption({ id: 'p-ada:2', seq: 2, final: true, text: 'my friends.' }));
      store.apply(
        translation({
          caption_id: 'p-ada:2',
          covers: ['p-ada:1', 'p-ada:2'],
          seq: 3,
          text: 'Und so, meine Freunde.',
        }),
      );
    });

    it('gets one translation, on its last piece, that the earlier pieces point to', () => {
      const [first, last] = store.lines();
      expect(first.translation).toBeNull();
      expect(first.translatedWith).toBe('p-ada:2');
      expect(last.translation?.text).toBe('Und so, meine Freunde.');
      expect(last.translatedWith).toBeNull();
    });

    it('is whole again per language: another language has not covered it yet', () => {
      store.language.set('fr');
      expect(store.lines().map((l) => l.translatedWith)).toEqual([null, null]);
    });
  });

  describe('switching the caption language', () => {
    const shown = () => store.lines().map((l) => l.translation?.text ?? null);

    beforeEach(() => {
      store.apply(caption({ id: 'p-ada:1', seq: 1, final: true, text: 'One.' }));
      store.apply(translation({ caption_id: 'p-ada:1', seq: 2, text: 'Eins.' }));
      store.apply(caption({ id: 'p-bob:1', speaker: BOB, seq: 3, final: true, text: 'Two.' }));
      store.apply(translation({ caption_id: 'p-bob:1', seq: 4, text: 'Zwei.' }));
    });

    it('stops showing translations in the old language at once', () => {
      store.language.set('fr');
      expect(shown()).toEqual([null, null]);
      store.language.set(null);
      expect(shown()).toEqual([null, null]);
    });

    it('attaches the re-sent translations to the earlier captions as they come', () => {
      store.language.set('fr');
      // Stored ones at once, missing ones streamed as they are translated.
      store.apply(
        translation({
          caption_id: 'p-bob:1',
          seq: 5,
          language: 'fr',
          text: 'Deux.',
          history: true,
        }),
      );
      expect(shown()).toEqual([null, 'Deux.']);
      const partial = { caption_id: 'p-ada:1', language: 'fr', history: true, final: false };
      store.apply(translation({ ...partial, seq: 6, text: 'Un' }));
      expect(store.lines()[0].translation).toEqual({ language: 'fr', text: 'Un', final: false });
      store.apply(translation({ ...partial, seq: 7, text: 'Un.', final: true }));
      expect(shown()).toEqual(['Un.', 'Deux.']);
      expect(texts()).toEqual(['One.', 'Two.']);
    });

    it('ignores a translation into the old language that was already on its way', () => {
      store.apply(caption({ id: 'p-ada:2', seq: 5, final: true, text: 'Three.' }));
      store.language.set('fr');
      store.apply(translation({ caption_id: 'p-ada:2', seq: 6, text: 'Drei.' }));
      expect(shown()).toEqual([null, null, null]);
    });

    it('shows the earlier translations again when switching back', () => {
      store.language.set('fr');
      store.apply(translation({ caption_id: 'p-ada:1', seq: 5, language: 'fr', text: 'Un.' }));
      store.language.set('de');
      expect(shown()).toEqual(['Eins.', 'Zwei.']);
      // The server re-sends them too: nothing changes.
      store.apply(translation({ caption_id: 'p-ada:1', seq: 6, text: 'Eins.', history: true }));
      expect(store.lines()[0].translation).toEqual({ language: 'de', text: 'Eins.', final: true });
    });
  });

  describe('reconnection', () => {
    it('keeps finals, drops unfinished partials, and merges replayed history', () => {
      store.apply(caption({ id: 'p-ada:1', seq: 1, final: true, text: 'One.' }));
      store.apply(translation({ caption_id: 'p-ada:1', seq: 2, text: 'Eins.' }));
      store.apply(caption({ id: 'p-ada:2', seq: 3, text: 'tw' }));

      store.beginChannel();
      expect(texts()).toEqual(['One.']);

      // The new channel starts its own seq series with the room's history.
      store.apply(caption({ id: 'p-ada:1', seq: 1, final: true, text: 'One.', history: true }));
      store.apply(translation({ caption_id: 'p-ada:1', seq: 2, text: 'Eins.', history: true }));
      store.apply(caption({ id: 'p-ada:2', seq: 3, final: true, text: 'Two.', history: true }));
      store.apply(caption({ id: 'p-ada:3', seq: 4, text: 'thr' }));
      expect(texts()).toEqual(['One.', 'Two.', 'thr…']);
      expect(store.lines()[0].translation?.text).toBe('Eins.');
      expect(store.lines()[1].history).toBeTrue();
    });

    it('accepts low seq numbers again on a new channel', () => {
      store.apply(caption({ id: 'a', seq: 100, text: 'x', final: true }));
      store.beginChannel();
      store.apply(caption({ id: 'b', seq: 1, text: 'y' }));
      store.apply(caption({ id: 'b', seq: 2, text: 'y z' }));
      expect(texts()).toEqual(['x', 'y z…']);
    });

    it('clear() forgets everything (a new join)', () => {
      store.apply(caption({ seq: 1, final: true }));
      store.clear();
      expect(store.lines()).toEqual([]);
    });
  });

  describe('timing', () => {
    it('maps speaker audio time to local time from the earliest arrival', () => {
      store.apply(caption({ id: 'a', seq: 1, start: 1, end: 2, final: true }), 10_000);
      expect(store.lines()[0].startedAt).toBe(9_000);
      expect(store.lines()[0].endedAt).toBe(10_000);
      // A later caption that arrives with less delay improves the estimate for all lines.
      store.apply(caption({ id: 'b', seq: 2, start: 5, end: 6, final: true }), 13_500);
      expect(store.lines().map((l) => l.startedAt)).toEqual([8_500, 12_500]);
    });

    it("uses the server's origin when the caption carries one, whenever it arrives", () => {
      const origin = 1_767_225_600_000;
      store.apply(caption({ id: 'a', seq: 1, start: 1, end: 2, origin, final: true }), 99_000);
      expect(store.lines()[0].startedAt).toBe(origin + 1_000);
      expect(store.lines()[0].endedAt).toBe(origin + 2_000);
    });
  });

  it('lists finals only in finals()', () => {
    store.apply(caption({ id: 'a', seq: 1, final: true }));
    store.apply(caption({ id: 'b', seq: 2 }));
    expect(store.finals().map((l) => l.id)).toEqual(['a']);
  });
});
