import { DiagnosticsService } from './diagnostics.service';

describe('DiagnosticsService caption latency', () => {
  let diagnostics: DiagnosticsService;
  beforeEach(() => (diagnostics = new DiagnosticsService()));

  it('measures from end of speech to the final caption of that speaker', () => {
    diagnostics.recordSpeech('p-1', true, 0);
    diagnostics.recordSpeech('p-1', false, 1000);
    diagnostics.recordFinal('p-1', 1450);
    expect(diagnostics.lastLatencyMs()).toBe(450);
  });

  it('ignores finals without a preceding end of speech, and other speakers', () => {
    diagnostics.recordFinal('p-1', 500);
    diagnostics.recordSpeech('p-2', false, 1000);
    diagnostics.recordFinal('p-1', 1200);
    expect(diagnostics.lastLatencyMs()).toBeNull();
  });

  it('reports the median of recent samples', () => {
    for (const [end, final] of [
      [0, 300],
      [1000, 1900],
      [2000, 2500],
    ]) {
      diagnostics.recordSpeech('p-1', false, end);
      diagnostics.recordFinal('p-1', final);
    }
    expect(diagnostics.medianLatencyMs()).toBe(500);
  });
});
