import { summarizeStats } from './connection-stats';

function report(entries: Record<string, unknown>[]): RTCStatsReport {
  return new Map(entries.map((e) => [e['id'] as string, e])) as unknown as RTCStatsReport;
}

describe('summarizeStats', () => {
  it('reads the selected pair through the transport', () => {
    const stats = summarizeStats(
      report([
        { id: 'T', type: 'transport', selectedCandidatePairId: 'CP2' },
        {
          id: 'CP1',
          type: 'candidate-pair',
          localCandidateId: 'L1',
          remoteCandidateId: 'R1',
          currentRoundTripTime: 0.5,
        },
        {
          id: 'CP2',
          type: 'candidate-pair',
          localCandidateId: 'L2',
          remoteCandidateId: 'R1',
          currentRoundTripTime: 0.0234,
        },
        { id: 'L1', type: 'local-candidate', candidateType: 'host', protocol: 'udp' },
        {
          id: 'L2',
          type: 'local-candidate',
          candidateType: 'relay',
          protocol: 'udp',
          relayProtocol: 'tcp',
        },
        { id: 'R1', type: 'remote-candidate', candidateType: 'host' },
        { id: 'IN', type: 'inbound-rtp', kind: 'audio', jitter: 0.0042, packetsLost: 3 },
      ]),
    );
    expect(stats).toEqual({
      localCandidateType: 'relay',
      remoteCandidateType: 'host',
      protocol: 'udp',
      relayProtocol: 'tcp',
      roundTripMs: 23,
      audioPacketsLost: 3,
      audioJitterMs: 4,
    });
  });

  it('falls back to the nominated succeeded pair, and to nulls', () => {
    const stats = summarizeStats(
      report([
        {
          id: 'CP',
          type: 'candidate-pair',
          nominated: true,
          state: 'succeeded',
          localCandidateId: 'L',
          remoteCandidateId: 'R',
        },
        { id: 'L', type: 'local-candidate', candidateType: 'srflx', protocol: 'udp' },
        { id: 'R', type: 'remote-candidate', candidateType: 'host' },
      ]),
    );
    expect(stats.localCandidateType).toBe('srflx');
    expect(stats.roundTripMs).toBeNull();
    expect(stats.audioJitterMs).toBeNull();
  });
});
