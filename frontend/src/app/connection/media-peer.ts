import { IceFailureCause, IceServer } from '../protocol/protocol';

export interface MediaPeerOptions {
  iceServers: IceServer[];
  iceTransportPolicy: RTCIceTransportPolicy;
  /** The microphone to send, or null to only listen (recvonly). */
  microphone: MediaStreamTrack | null;
  /** Audio m-sections to offer: how many people the server may relay to us at once. */
  audioSlots: number;
}

export interface MediaPeerHandlers {
  candidate(candidate: RTCIceCandidateInit | null, mid: string | null): void;
  channelOpen(): void;
  channelMessage(data: string): void;
  channelClosed(): void;
  /** An incoming track; `mid` names its transceiver (see the `audio_tracks` message). */
  track(track: MediaStreamTrack, mid: string | null, stream: MediaStream | null): void;
  connectionState(state: RTCPeerConnectionState): void;
  /** ICE gathering ended without a single candidate: this connection can never work. */
  gatheringFailed(cause: IceFailureCause, detail: string): void;
}

/** TURN's error codes in `icecandidateerror` (RFC 8656; 701: no answer, a WebRTC addition). */
const TURN_REFUSED = new Set([401, 403, 437, 441]);
const TURN_UNREACHABLE = 701;
// A TURN server that answers gives its relay address within a second or two; Chromium itself
// reports one that does not (701) only after about 40 s.
const NO_CANDIDATE_AFTER_MS = 8_000;

/**
 * The most telling of the gathering errors: a refusal over no answer over anything else;
 * `otherwise` when none explains it.
 */
export function iceFailure(
  errors: RTCPeerConnectionIceErrorEvent[],
  otherwise: IceFailureCause = 'no_candidates',
): { cause: IceFailureCause; detail: string } {
  const refused = errors.find((error) => TURN_REFUSED.has(error.errorCode));
  const unreachable = errors.find((error) => error.errorCode === TURN_UNREACHABLE);
  const telling = refused ?? unreachable ?? errors[0];
  return {
    cause: refused ? 'turn_refused' : unreachable ? 'turn_unreachable' : otherwise,
    detail: telling ? `${telling.url} ${telling.errorCode} ${telling.errorText}`.slice(0, 512) : '',
  };
}

/**
 * One RTCPeerConnection to the server: microphone out, others' audio in, and the `captions`
 * data channel. Offer/answer steps run one at a time, in order.
 */
export class MediaPeer {
  private readonly pc: RTCPeerConnection;
  private readonly channel: RTCDataChannel;
  private readonly sender: RTCRtpSender | null;
  private queue: Promise<unknown> = Promise.resolve();
  private gatheringDeadline = 0;

  constructor(options: MediaPeerOptions, handlers: MediaPeerHandlers) {
    this.pc = new RTCPeerConnection({
      iceServers: options.iceServers,
      iceTransportPolicy: options.iceTransportPolicy,
    });
    const transceiver = options.microphone
      ? this.pc.addTransceiver(options.microphone, {
          direction: 'sendrecv',
          streams: [new MediaStream([options.microphone])],
        })
      : this.pc.addTransceiver('audio', { direction: 'recvonly' });
    this.sender = options.microphone ? transceiver.sender : null;
    // The server never renegotiates: every slot it may fill with a voice is offered now.
    for (let slot = 1; slot < options.audioSlots; slot++) {
      this.pc.addTransceiver('audio', { direction: 'recvonly' });
    }
    this.channel = this.pc.createDataChannel('captions', { ordered: true });

    this.channel.addEventListener('open', () => handlers.channelOpen());
    this.channel.addEventListener('close', () => handlers.channelClosed());
    this.channel.addEventListener('message', (event: MessageEvent) => {
      if (typeof event.data === 'string') handlers.channelMessage(event.data);
    });
    let gathered = 0;
    let failureSaid = false;
    const errors: RTCPeerConnectionIceErrorEvent[] = [];
    const noCandidates = (otherwise: IceFailureCause) => {
      if (gathered > 0 || failureSaid || this.pc.signalingState === 'closed') return;
      failureSaid = true;
      const { cause, detail } = iceFailure(errors, otherwise);
      handlers.gatheringFailed(cause, detail);
    };
    this.pc.addEventListener('icecandidate', (event) => {
      if (event.candidate?.candidate) gathered++;
      handlers.candidate(event.candidate?.toJSON() ?? null, transceiver.mid);
    });
    this.pc.addEventListener('icecandidateerror', (event) =>
      errors.push(event as RTCPeerConnectionIceErrorEvent),
    );
    this.pc.addEventListener('icegatheringstatechange', () => {
      if (this.pc.iceGatheringState === 'complete') noCandidates('no_candidates');
    });
    // Only relay candidates may be slow to come: without any, the TURN server is not answering.
    this.gatheringDeadline = window.setTimeout(
      () =>
        noCandidates(options.iceTransportPolicy === 'relay' ? 'turn_unreachable' : 'no_candidates'),
      NO_CANDIDATE_AFTER_MS,
    );
    this.pc.addEventListener('track', (event) =>
      handlers.track(event.track, event.transceiver.mid, event.streams[0] ?? null),
    );
    this.pc.addEventListener('connectionstatechange', () =>
      handlers.connectionState(this.pc.connectionState),
    );
  }

  /** Creates the client's one offer (audio m-section plus the data channel). */
  createOffer(): Promise<string> {
    return this.enqueue(async () => {
      await this.pc.setLocalDescription(await this.pc.createOffer());
      return this.pc.localDescription!.sdp;
    });
  }

  acceptAnswer(sdp: string): Promise<void> {
    return this.enqueue(() => this.pc.setRemoteDescription({ type: 'answer', sdp }));
  }

  /** Swaps the microphone (another device) without renegotiating. */
  async replaceMicrophone(track: MediaStreamTrack | null): Promise<void> {
    if (this.sender && track && this.sender.track !== track) {
      await this.sender.replaceTrack(track);
    }
  }

  getStats(): Promise<RTCStatsReport> {
    return this.pc.getStats();
  }

  get iceConnectionState(): RTCIceConnectionState {
    return this.pc.iceConnectionState;
  }

  get connectionState(): RTCPeerConnectionState {
    return this.pc.connectionState;
  }

  close(): void {
    clearTimeout(this.gatheringDeadline);
    this.channel.close();
    this.pc.close();
  }

  private enqueue<T>(step: () => Promise<T>): Promise<T> {
    const result = this.queue.then(step);
    this.queue = result.catch(() => undefined);
    return result;
  }
}
