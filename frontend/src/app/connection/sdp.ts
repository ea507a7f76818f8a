const EXTMAP = /^a=extmap:(\d+)(\/\w+)? (\S+)(.*)$/;
const MAX_ONE_BYTE_ID = 14;

/**
 * Gives the RTP header extensions of a renegotiation offer the ids negotiated before.
 * Chromium rejects an offer that moves an extension to another id on an active m-section
 * ("RTP extension ID reassignment not supported"); some servers (aiortc) re-offer their
 * own default ids. Extensions not negotiated before keep their id unless it is taken.
 */
export function alignExtensionIds(offer: string, negotiated: string): string {
  const idOf = new Map<string, number>();
  for (const line of negotiated.split(/\r?\n/)) {
    const match = EXTMAP.exec(line);
    if (match) idOf.set(match[3], Number(match[1]));
  }
  if (idOf.size === 0) return offer;
  const taken = new Set(idOf.values());
  const newIds = new Map<string, number>();
  const idFor = (uri: string, offered: number): number => {
    const known = idOf.get(uri) ?? newIds.get(uri);
    if (known !== undefined) return known;
    let id = offered;
    for (let free = 1; taken.has(id) && free <= MAX_ONE_BYTE_ID; free++) id = free;
    taken.add(id);
    newIds.set(uri, id);
    return id;
  };
  return offer
    .split('\r\n')
    .map((line) => {
      const match = EXTMAP.exec(line);
      if (!match) return line;
      const [, id, direction = '', uri, rest] = match;
      return `a=extmap:${idFor(uri, Number(id))}${direction} ${uri}${rest}`;
    })
    .join('\r\n');
}
