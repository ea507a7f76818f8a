import { caption, translation } from '../testing/messages';
import { PartAssembler } from './part-assembler';

describe('PartAssembler', () => {
  let assembler: PartAssembler;
  beforeEach(() => (assembler = new PartAssembler()));

  it('passes whole messages through', () => {
    const message = caption();
    expect(assembler.add(message)).toBe(message);
  });

  it('joins pieces in part order, whatever order they arrive in', () => {
    const piece = (part: number, text: string, seq: number) =>
      caption({ final: true, part, parts: 3, text, seq });
    expect(assembler.add(piece(2, 'you', 12))).toBeNull();
    expect(assembler.add(piece(0, 'ask not what ', 10))).toBeNull();
    const whole = assembler.add(piece(1, 'your country can do for ', 11));
    expect(whole).toEqual(
      caption({
        final: true,
        part: 0,
        parts: 1,
        seq: 12,
        text: 'ask not what your country can do for you',
      }),
    );
  });

  it('ignores a repeated piece', () => {
    expect(assembler.add(caption({ part: 0, parts: 2, text: 'a', seq: 1 }))).toBeNull();
    expect(assembler.add(caption({ part: 0, parts: 2, text: 'a', seq: 1 }))).toBeNull();
    expect(assembler.add(caption({ part: 1, parts: 2, text: 'b', seq: 2 }))?.text).toBe('ab');
  });

  it('drops an incomplete message when a newer one for the same id starts', () => {
    assembler.add(caption({ part: 0, parts: 2, text: 'old ', seq: 1 }));
    assembler.add(caption({ part: 0, parts: 2, text: 'new ', seq: 3 }));
    expect(assembler.add(caption({ part: 1, parts: 2, text: 'end', seq: 4 }))?.text).toBe(
      'new end',
    );
  });

  it('keeps captions and translations of the same id apart', () => {
    assembler.add(caption({ final: true, part: 0, parts: 2, text: 'one ', seq: 1 }));
    assembler.add(translation({ part: 0, parts: 2, text: 'eins ', seq: 2 }));
    expect(assembler.add(translation({ part: 1, parts: 2, text: 'zwei', seq: 3 }))?.text).toBe(
      'eins zwei',
    );
    expect(
      assembler.add(caption({ final: true, part: 1, parts: 2, text: 'two', seq: 4 }))?.text,
    ).toBe('one two');
  });

  it('forgets incomplete messages on clear', () => {
    assembler.add(caption({ part: 0, parts: 2, text: 'a', seq: 1 }));
    assembler.clear();
    expect(assembler.add(caption({ part: 1, parts: 2, text: 'b', seq: 2 }))).toBeNull();
  });
});
