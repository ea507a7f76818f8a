import { iceFailure } from './media-peer';

function error(errorCode: number, url = 'turn:turn.example:3478'): RTCPeerConnectionIceErrorEvent {
  return { errorCode, url, errorText: `error ${errorCode}` } as RTCPeerConnectionIceErrorEvent;
}

describe('iceFailure', () => {
  it('names a refusal first, whatever else failed', () => {
    expect(iceFailure([error(701), error(401, 'turn:a:3478')])).toEqual({
      cause: 'turn_refused',
      detail: 'turn:a:3478 401 error 401',
    });
  });

  it('names a TURN server that did not answer', () => {
    expect(iceFailure([error(701)]).cause).toBe('turn_unreachable');
  });

  it('says no candidates when nothing explains it', () => {
    expect(iceFailure([])).toEqual({ cause: 'no_candidates', detail: '' });
    expect(iceFailure([error(500)]).cause).toBe('no_candidates');
  });
});
