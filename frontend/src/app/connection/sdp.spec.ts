import { alignExtensionIds } from './sdp';

const sdp = (...lines: string[]) =>
  ['v=0', 'm=audio 9 UDP/TLS/RTP/SAVPF 111', ...lines, ''].join('\r\n');

describe('alignExtensionIds', () => {
  const negotiated = sdp(
    'a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level',
    'a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid',
  );

  it('moves re-offered extensions back to their negotiated ids', () => {
    const offer = sdp(
      'a=extmap:1 urn:ietf:params:rtp-hdrext:sdes:mid',
      'a=extmap:2 urn:ietf:params:rtp-hdrext:ssrc-audio-level',
    );
    expect(alignExtensionIds(offer, negotiated)).toBe(
      sdp(
        'a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid',
        'a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level',
      ),
    );
  });

  it('keeps the id of a new extension unless it is taken, and keeps directions', () => {
    const offer = sdp(
      'a=extmap:4/sendrecv http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time',
      'a=extmap:7 http://example.com/new',
    );
    expect(alignExtensionIds(offer, negotiated)).toBe(
      sdp(
        'a=extmap:2/sendrecv http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time',
        'a=extmap:7 http://example.com/new',
      ),
    );
  });

  it('leaves an offer alone when nothing was negotiated', () => {
    const offer = sdp('a=extmap:1 urn:ietf:params:rtp-hdrext:sdes:mid');
    expect(alignExtensionIds(offer, '')).toBe(offer);
  });
});
