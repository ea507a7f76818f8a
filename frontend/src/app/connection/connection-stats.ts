/** What the diagnostics panel shows of `RTCPeerConnection.getStats()`. */
export interface ConnectionStats {
  /** `host`, `srflx`, `prflx` or `relay` for each end of the selected candidate pair. */
  localCandidateType: string | null;
  remoteCandidateType: string | null;
  /** `udp` or `tcp`; for relayed candidates also how the browser reaches the TURN server. */
  protocol: string | null;
  relayProtocol: string | null;
  /** Milliseconds, from STUN consistency checks on the selected pair. */
  roundTripMs: number | null;
  audioPacketsLost: number | null;
  audioJitterMs: number | null;
}

type StatsEntry = Record<string, unknown> & { id: string; type: string };

/** Reads the selected candidate pair and the received audio from a stats report. */
export function summarizeStats(report: RTCStatsReport): ConnectionStats {
  const entries = new Map<string, StatsEntry>();
  report.forEach((value: StatsEntry) => entries.set(value.id, value));
  const all = [...entries.values()];

  const transport = all.find((s) => s.type === 'transport');
  const pair =
    entries.get(transport?.['selectedCandidatePairId'] as string) ??
    all.find((s) => s.type === 'candidate-pair' && s['nominated'] && s['state'] === 'succeeded');
  const local = entries.get(pair?.['localCandidateId'] as string);
  const remote = entries.get(pair?.['remoteCandidateId'] as string);
  const inbound = all.find((s) => s.type === 'inbound-rtp' && s['kind'] === 'audio');
  const rtt = pair?.['currentRoundTripTime'];
  const jitter = inbound?.['jitter'];

  return {
    localCandidateType: (local?.['candidateType'] as string | undefined) ?? null,
    remoteCandidateType: (remote?.['candidateType'] as string | undefined) ?? null,
    protocol: (local?.['protocol'] as string | undefined) ?? null,
    relayProtocol: (local?.['relayProtocol'] as string | undefined) ?? null,
    roundTripMs: typeof rtt === 'number' ? Math.round(rtt * 1000) : null,
    audioPacketsLost: (inbound?.['packetsLost'] as number | undefined) ?? null,
    audioJitterMs: typeof jitter === 'number' ? Math.round(jitter * 1000) : null,
  };
}
