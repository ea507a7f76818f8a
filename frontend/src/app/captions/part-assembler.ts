import { CaptionMessage, TranslationMessage } from '../protocol/protocol';

type Piece = CaptionMessage | TranslationMessage;

interface PendingMessage {
  parts: number;
  texts: (string | undefined)[];
  seqs: (number | undefined)[];
}

/**
 * Joins the pieces of split data-channel messages (same id, `part` of `parts`) in part order.
 * A piece whose part is already held with a lower `seq` starts a newer message and discards
 * the older, incomplete one; a piece already held with the same `seq` is a duplicate.
 */
export class PartAssembler {
  private readonly pending = new Map<string, PendingMessage>();

  /** Returns the whole message once all its pieces are in, else null. */
  add<T extends Piece>(piece: T): T | null {
    if (piece.parts === 1) return piece;
    const key = `${piece.type}|${idOf(piece)}|${piece.final}`;
    let entry = this.pending.get(key);
    const heldSeq = entry?.seqs[piece.part];
    if (entry && heldSeq !== undefined && heldSeq >= piece.seq) return null;
    if (!entry || entry.parts !== piece.parts || heldSeq !== undefined) {
      entry = { parts: piece.parts, texts: [], seqs: [] };
      this.pending.set(key, entry);
    }
    entry.texts[piece.part] = piece.text;
    entry.seqs[piece.part] = piece.seq;
    for (let i = 0; i < entry.parts; i++) {
      if (entry.texts[i] === undefined) return null;
    }
    this.pending.delete(key);
    return {
      ...piece,
      text: entry.texts.join(''),
      seq: Math.max(...(entry.seqs as number[])),
      part: 0,
      parts: 1,
    };
  }

  /** Forgets incomplete messages, e.g. when a new data channel starts a new `seq` series. */
  clear(): void {
    this.pending.clear();
  }
}

function idOf(piece: Piece): string {
  return piece.type === 'caption' ? piece.id : piece.caption_id;
}
