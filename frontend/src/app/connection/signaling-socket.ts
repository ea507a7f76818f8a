import {
  ClientMessage,
  WebSocketMessage,
  encodeClientMessage,
  parseWebSocketMessage,
} from '../protocol/protocol';

export interface SignalingHandlers {
  message(message: WebSocketMessage): void;
  /** The socket closed or went silent; not called after `close()`. */
  lost(reason: SignalingLoss): void;
  /** Round-trip time of a ping, in milliseconds. */
  roundTrip(ms: number): void;
}

/** Why the socket is gone: the user needs no close code, only whether it closed or went quiet. */
export type SignalingLoss = 'closed' | 'silent';

const PING_INTERVAL_MS = 15_000;
const OPEN_TIMEOUT_MS = 10_000;

/** One WebSocket to `/ws`: JSON messages both ways, pings so idle proxies keep it open. */
export class SignalingSocket {
  private readonly socket: WebSocket;
  private pingTimer = 0;
  private pingSentAt: number | null = null;
  private closedByUs = false;
  readonly opened: Promise<void>;

  constructor(
    url: string,
    private readonly handlers: SignalingHandlers,
  ) {
    this.socket = new WebSocket(url);
    this.opened = new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('signaling timed out')), OPEN_TIMEOUT_MS);
      this.socket.addEventListener('open', () => {
        clearTimeout(timer);
        resolve();
      });
      this.socket.addEventListener('close', () => {
        clearTimeout(timer);
        reject(new Error('signaling unreachable'));
      });
    });
    this.opened.then(
      () => this.startPings(),
      () => undefined,
    );
    this.socket.addEventListener('message', (event) => this.receive(event));
    this.socket.addEventListener('close', () => {
      clearInterval(this.pingTimer);
      if (!this.closedByUs) this.handlers.lost('closed');
    });
  }

  send(message: ClientMessage): void {
    if (this.socket.readyState === WebSocket.OPEN) {
      this.socket.send(encodeClientMessage(message));
    }
  }

  close(): void {
    this.closedByUs = true;
    clearInterval(this.pingTimer);
    this.socket.close(1000);
  }

  private startPings(): void {
    this.pingTimer = window.setInterval(() => {
      // A ping still unanswered after a whole interval means the path is dead even though
      // the socket looks open (sleeping laptop, dropped NAT mapping).
      if (this.pingSentAt !== null) {
        this.close();
        this.handlers.lost('silent');
        return;
      }
      this.pingSentAt = performance.now();
      this.send({ type: 'ping' });
    }, PING_INTERVAL_MS);
  }

  private receive(event: MessageEvent): void {
    if (typeof event.data !== 'string') return;
    const parsed = parseWebSocketMessage(event.data);
    if (!parsed.ok) {
      console.warn('Ignoring signaling message:', parsed.reason);
      return;
    }
    if (parsed.message.type === 'pong' && this.pingSentAt !== null) {
      this.handlers.roundTrip(performance.now() - this.pingSentAt);
      this.pingSentAt = null;
    }
    this.handlers.message(parsed.message);
  }
}
