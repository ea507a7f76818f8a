import { IceServer } from '../protocol/protocol';

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
    this.pc.addEventListener('icecandidate', (event) =>
      handlers.candidate(event.candidate?.toJSON() ?? null, transceiver.mid),
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
    this.channel.close();
    this.pc.close();
  }

  private enqueue<T>(step: () => Promise<T>): Promise<T> {
    const result = this.queue.then(step);
    this.queue = result.catch(() => undefined);
    return result;
  }
}
