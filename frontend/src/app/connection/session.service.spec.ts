import { TestBed } from '@angular/core/testing';
import { CaptionStore } from '../captions/caption-store';
import { RoomStore } from '../room/room-store';
import { NotificationService } from '../shared/notification.service';
import { caption, joinToken, translation } from '../testing/messages';
import { FakeWebSocket, until } from '../testing/fake-websocket';
import { I18n } from '../i18n/i18n.service';
import { SessionService, SessionSettings, retryDelay } from './session.service';

const SETTINGS: SessionSettings = {
  room: 'standup',
  name: 'Ada',
  language: 'en',
  captionLanguage: 'de',
  listenOnly: true,
  captionsOnly: false,
  forceRelay: false,
  token: null,
};

const ADA = { id: 'p-ada', name: 'Ada', language: 'en', caption_language: 'de' };
const BOB = { id: 'p-bob', name: 'Bob', language: 'de', caption_language: 'en' };

function joined(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    type: 'joined',
    participant_id: ADA.id,
    room: 'standup',
    ice_servers: [],
    ice_transport_policy: 'all',
    translation: { backend: 'openai', targets: ['*'] },
    participants: [ADA],
    ...extra,
  };
}

describe('SessionService', () => {
  let session: SessionService;
  let restore: () => void;
  const peers: RTCPeerConnection[] = [];

  beforeEach(() => {
    restore = FakeWebSocket.install();
    session = TestBed.inject(SessionService);
  });

  afterEach(() => {
    session.leave();
    peers.forEach((pc) => pc.close());
    restore();
  });

  async function joinAndOffer(): Promise<string> {
    session.join(SETTINGS);
    FakeWebSocket.latest.accept();
    FakeWebSocket.latest.receive(joined());
    await until(() => FakeWebSocket.latest.sentOfType('offer').length === 1);
    return FakeWebSocket.latest.sentOfType('offer')[0]['sdp'] as string;
  }

  it('opens /ws?room= on the page’s host and joins with the chosen settings', async () => {
    session.join(SETTINGS);
    expect(session.state()).toBe('connecting');
    const socket = FakeWebSocket.latest;
    expect(socket.url).toBe(`ws://${location.host}/ws?room=standup`);
    socket.accept();
    await until(() => socket.sent.length > 0);
    expect(socket.sent).toEqual([
      { v: 1, type: 'join', room: 'standup', name: 'Ada', language: 'en', caption_language: 'de' },
    ]);
  });

  it('joins for captions only and shows the captions the WebSocket brings, with no peer', async () => {
    const captions = TestBed.inject(CaptionStore);
    session.join({ ...SETTINGS, captionsOnly: true });
    const socket = FakeWebSocket.latest;
    const viewer = new URL(socket.url).searchParams.get('viewer');
    expect(viewer).toMatch(/^[a-z0-9]{12}$/);
    expect(socket.url).toBe(`ws://${location.host}/ws?view=standup&viewer=${viewer}`);
    socket.accept();
    await until(() => socket.sent.length > 0);
    expect(socket.sent[0]).toEqual(jasmine.objectContaining({ type: 'join', captions_only: true }));
    socket.receive(joined({ audio_slots: 0, resume_token: 'tok-1' }));
    expect(session.state()).toBe('connected');
    socket.receive(caption({ seq: 1, final: true, text: 'Ask not.', history: true }));
    socket.receive(translation({ seq: 2, text: 'Fragt nicht.' }));
    socket.receive(caption({ id: 'p-ada:2', seq: 3, text: 'What your' }));
    expect(captions.lines().map((line) => line.text)).toEqual(['Ask not.', 'What your']);
    expect(captions.lines()[0].translation?.text).toBe('Fragt nicht.');
    expect(session['peer']).toBeNull();
    expect(socket.sentOfType('offer')).toEqual([]);

    spyOn(Math, 'random').and.returnValue(0);
    socket.drop();
    await until(() => FakeWebSocket.instances.length === 2, 2000);
    const second = FakeWebSocket.latest;
    expect(second.url).toBe(`ws://${location.host}/ws?view=standup&viewer=${viewer}`);
    second.accept();
    await until(() => second.sentOfType('join').length === 1);
    expect(second.sentOfType('join')[0]).toEqual(
      jasmine.objectContaining({
        captions_only: true,
        resume: { participant_id: ADA.id, token: 'tok-1', last_seq: 3 },
      }),
    );
  });

  it('offers a recvonly audio m-section and the captions data channel when listening only', async () => {
    const sdp = await joinAndOffer();
    expect(sdp).toContain('m=audio');
    expect(sdp).toContain('a=recvonly');
    expect(sdp).toContain('m=application');
    expect(TestBed.inject(RoomStore).participants()).toEqual([ADA]);
  });

  it('offers one audio m-section per slot the server fills, and nothing to renegotiate', async () => {
    session.join(SETTINGS);
    FakeWebSocket.latest.accept();
    FakeWebSocket.latest.receive(joined({ audio_slots: 3 }));
    await until(() => FakeWebSocket.latest.sentOfType('offer').length === 1);
    const sdp = FakeWebSocket.latest.sentOfType('offer')[0]['sdp'] as string;
    expect(sdp.match(/^m=audio /gm)?.length).toBe(3);
    expect(sdp.match(/^a=recvonly/gm)?.length).toBe(3);
  });

  it('fails without retrying when the room is full', () => {
    session.join(SETTINGS);
    FakeWebSocket.latest.accept();
    FakeWebSocket.latest.receive({ type: 'error', code: 'room_full', message: 'Room is full' });
    expect(session.state()).toBe('failed');
    expect(session.detail()).toBe('This room is full.');
  });

  it('fails with the server’s advice when too many people already speak', async () => {
    await joinAndOffer();
    const advice = 'join without your microphone to follow the captions';
    FakeWebSocket.latest.receive({ type: 'error', code: 'too_many_speakers', message: advice });
    expect(session.state()).toBe('failed');
    expect(session.detail()).toBe(advice);
  });

  it('fails without retrying when the server is full', () => {
    session.join(SETTINGS);
    FakeWebSocket.latest.accept();
    const message = 'the server is full (200 connections); try again later';
    FakeWebSocket.latest.receive({ type: 'error', code: 'server_full', message });
    expect(session.state()).toBe('failed');
    expect(session.detail()).toBe(message);
  });

  it('reconnects with a new socket after losing signaling, keeping the transcript', async () => {
    spyOn(Math, 'random').and.returnValue(0);
    const captions = TestBed.inject(CaptionStore);
    await joinAndOffer();
    captions.apply(caption({ final: true, text: 'Kept.' }));
    const first = FakeWebSocket.latest;

    first.drop();
    expect(session.state()).toBe('reconnecting');
    expect(session.retryAt()).not.toBeNull();

    await until(() => FakeWebSocket.instances.length === 2, 2000);
    FakeWebSocket.latest.accept();
    await until(() => FakeWebSocket.latest.sentOfType('join').length === 1);
    expect(captions.finals().map((l) => l.text)).toEqual(['Kept.']);
  });

  it('sends the invite link’s token with every join, reconnections included', async () => {
    spyOn(Math, 'random').and.returnValue(0);
    const token = joinToken('standup');
    session.join({ ...SETTINGS, token });
    FakeWebSocket.latest.accept();
    await until(() => FakeWebSocket.latest.sent.length > 0);
    expect(FakeWebSocket.latest.sentOfType('join')[0]['token']).toBe(token);

    FakeWebSocket.latest.drop();
    await until(() => FakeWebSocket.instances.length === 2, 2000);
    FakeWebSocket.latest.accept();
    await until(() => FakeWebSocket.latest.sentOfType('join').length === 1);
    expect(FakeWebSocket.latest.sentOfType('join')[0]['token']).toBe(token);
  });

  it('goes back to the join screen saying why an invite link was refused', () => {
    session.join(SETTINGS);
    FakeWebSocket.latest.accept();
    FakeWebSocket.latest.receive({ type: 'error', code: 'token_expired', message: 'expired' });
    expect(session.state()).toBe('idle');
    expect(session.refusal()).toEqual({ key: 'access.token_expired' });
    session.join(SETTINGS);
    expect(session.refusal()).toBeNull();
  });

  it('says a restarting server is reconnected to by itself, in its own words', () => {
    const notifications = TestBed.inject(NotificationService);
    session.join(SETTINGS);
    FakeWebSocket.latest.accept();
    FakeWebSocket.latest.receive({
      type: 'notice',
      code: 'server_shutdown',
      message: 'The server is restarting. Reconnect in a moment.',
      language: null,
    });
    const text = notifications.toasts().at(-1)!.text;
    expect(text).toContain('reconnects by itself');
    expect(text).not.toContain('Reconnect in a moment');
  });

  it('says in its own words that captions pause while transcripts cannot be kept', () => {
    const notifications = TestBed.inject(NotificationService);
    session.join(SETTINGS);
    FakeWebSocket.latest.accept();
    FakeWebSocket.latest.receive(joined());
    for (const code of ['captions_paused', 'captions_resumed']) {
      FakeWebSocket.latest.receive({ type: 'notice', code, message: 'server', language: null });
    }
    expect(notifications.toasts().map((t) => [t.kind, t.text])).toEqual([
      [
        'warning',
        'Captions are paused: the transcript database is unavailable. Nothing said is lost; captions resume by themselves.',
      ],
      ['success', 'Captions have resumed; what was said meanwhile follows.'],
    ]);
  });

  it('explains a closed signaling connection without a close code', async () => {
    spyOn(Math, 'random').and.returnValue(0);
    session.join(SETTINGS);
    FakeWebSocket.latest.accept();
    FakeWebSocket.latest.receive(joined());
    FakeWebSocket.latest.drop(1000);
    expect(session.state()).toBe('reconnecting');
    expect(session.detail()).toBe('The connection to the server closed');
  });

  it('rejoins the same room after a reload, and forgets it on leaving', async () => {
    session.join({ ...SETTINGS, token: joinToken('standup') });
    TestBed.tick();
    const { token, ...stored } = SETTINGS; // never stored: it stays in the page's address
    expect(JSON.parse(sessionStorage.getItem('captions.meeting.v1')!)).toEqual(stored);
    session.leave();
    TestBed.tick();
    expect(sessionStorage.getItem('captions.meeting.v1')).toBeNull();
    expect(session.rejoinAfterReload()).toBeFalse();

    sessionStorage.setItem('captions.meeting.v1', JSON.stringify(stored));
    expect(session.rejoinAfterReload()).toBeTrue();
    expect(session.state()).toBe('connecting');
    expect(session.settings()).toEqual(SETTINGS);
  });

  it('resumes its session after losing signaling, saying which captions it has', async () => {
    spyOn(Math, 'random').and.returnValue(0);
    await joinAndOffer();
    FakeWebSocket.latest.receive(joined({ resume_token: 'tok-1' }));
    const receive = (seq: number) =>
      session['onChannelMessage'](JSON.stringify({ v: 1, ...caption({ seq, final: true }) }));
    receive(6);
    receive(7);

    FakeWebSocket.latest.drop();
    await until(() => FakeWebSocket.instances.length === 2, 2000);
    const second = FakeWebSocket.latest;
    second.accept();
    await until(() => second.sentOfType('join').length === 1);
    expect(second.sentOfType('join')[0]['resume']).toEqual({
      participant_id: ADA.id,
      token: 'tok-1',
      last_seq: 7,
    });

    // Too late: the server refuses, and the client joins afresh on the same socket.
    second.receive({ type: 'error', code: 'resume_failed', message: 'expired' });
    expect(second.sentOfType('join').length).toBe(2);
    expect(second.sentOfType('join')[1]['resume']).toBeUndefined();
    expect(session.state()).toBe('reconnecting');
  });

  it('resumes by itself when the server says the media connection was lost', async () => {
    spyOn(Math, 'random').and.returnValue(0);
    await joinAndOffer();
    FakeWebSocket.latest.receive(joined({ resume_token: 'tok-1' }));
    FakeWebSocket.latest.receive({ type: 'error', code: 'connection_lost', message: 'gone' });
    expect(session.state()).toBe('reconnecting');
    await until(() => FakeWebSocket.instances.length === 2, 2000);
    const second = FakeWebSocket.latest;
    second.accept();
    await until(() => second.sentOfType('join').length === 1);
    expect(second.sentOfType('join')[0]['resume']).toEqual(
      jasmine.objectContaining({ participant_id: ADA.id, token: 'tok-1' }),
    );
  });

  it('joins afresh after leaving, even with a resume token', async () => {
    await joinAndOffer();
    FakeWebSocket.latest.receive(joined({ resume_token: 'tok-1' }));
    session.leave();
    session.join(SETTINGS);
    FakeWebSocket.latest.accept();
    await until(() => FakeWebSocket.latest.sentOfType('join').length === 1);
    expect(FakeWebSocket.latest.sentOfType('join')[0]['resume']).toBeUndefined();
  });

  for (const [code, text] of [
    ['room_moving', 'The room is moving to another server'],
    ['cluster_unavailable', 'The server cannot open rooms just now'],
    ['shutting_down', 'The server is restarting'],
  ]) {
    it(`keeps reconnecting, resuming its session, when a join is refused with ${code}`, async () => {
      spyOn(Math, 'random').and.returnValue(0);
      session.join(SETTINGS);
      const first = FakeWebSocket.latest;
      first.accept();
      first.receive(joined({ resume_token: 'tok-1' }));
      first.drop();
      await until(() => FakeWebSocket.instances.length === 2, 2000);
      const second = FakeWebSocket.latest;
      second.accept();
      await until(() => second.sentOfType('join').length === 1);
      second.receive({ type: 'error', code, message: 'from the server' });

      expect(session.state()).toBe('reconnecting');
      expect(session.detail()).toBe(text);
      expect(second.readyState).toBe(FakeWebSocket.CLOSED); // closed by the client at once
      await until(() => FakeWebSocket.instances.length === 3, 2000);
      const third = FakeWebSocket.latest;
      expect(third.url).toBe(`ws://${location.host}/ws?room=standup`);
      third.accept();
      await until(() => third.sentOfType('join').length === 1);
      expect(third.sentOfType('join')[0]['resume']).toEqual(
        jasmine.objectContaining({ participant_id: ADA.id, token: 'tok-1' }),
      );
    });
  }

  it('says in Korean too why it is reconnecting, before ever having joined', () => {
    const i18n = TestBed.inject(I18n);
    try {
      i18n.use('ko');
      session.join({ ...SETTINGS, captionsOnly: true });
      FakeWebSocket.latest.accept();
      FakeWebSocket.latest.receive({ type: 'error', code: 'cluster_unavailable', message: 'x' });
      expect(session.state()).toBe('reconnecting');
      expect(session.detail()).toBe('지금은 서버가 회의실을 열 수 없습니다');
    } finally {
      localStorage.clear();
    }
  });

  it('reconnects when a joined room’s host goes away mid-session (room_moving)', () => {
    session.join({ ...SETTINGS, captionsOnly: true });
    FakeWebSocket.latest.accept();
    FakeWebSocket.latest.receive(joined({ resume_token: 'tok-1' }));
    expect(session.state()).toBe('connected');
    FakeWebSocket.latest.receive({ type: 'error', code: 'room_moving', message: 'moving' });
    expect(session.state()).toBe('reconnecting');
    expect(session.detail()).toBe('The room is moving to another server');
  });

  describe('after the instance hosting the room is killed', () => {
    /** The time, in fake milliseconds, as the clock ticks on. */
    let now = 0;
    const flush = async () => {
      for (let i = 0; i < 5; i++) await Promise.resolve();
    };
    const advance = async (ms: number) => {
      for (const end = now + ms; now < end; now += 50) {
        jasmine.clock().tick(50);
        await flush();
      }
    };

    beforeEach(() => {
      now = 0;
      jasmine.clock().install();
      jasmine.clock().mockDate(new Date(2030, 0, 1));
    });
    afterEach(() => jasmine.clock().uninstall());

    for (const captionsOnly of [false, true]) {
      it(`is back in the room within 2 s of the lease lapsing (captions only: ${captionsOnly})`, async () => {
        spyOn(Math, 'random').and.returnValue(0.999); // the longest waits jitter allows
        const LEASE_LAPSES_MS = 6_000;
        session.join({ ...SETTINGS, captionsOnly });
        const first = FakeWebSocket.latest;
        first.accept();
        first.receive(joined({ resume_token: 'tok-1' }));
        first.drop(); // the host dies: its connections close

        // Until the lease lapses, any instance answers that the room is moving.
        let rejoinedAt: number | null = null;
        const answered = new Set<FakeWebSocket>([first]);
        while (rejoinedAt === null && now < 20_000) {
          await advance(50);
          const socket = FakeWebSocket.latest;
          if (answered.has(socket)) continue;
          answered.add(socket);
          expect(socket.url).toBe(
            captionsOnly
              ? `ws://${location.host}/ws?view=standup&viewer=${session['viewerId']}`
              : `ws://${location.host}/ws?room=standup`,
          );
          socket.accept();
          await flush();
          expect(socket.sentOfType('join')[0]['resume']).toEqual(
            jasmine.objectContaining({ participant_id: ADA.id, token: 'tok-1' }),
          );
          if (now < LEASE_LAPSES_MS) {
            socket.receive({ type: 'error', code: 'room_moving', message: 'moving' });
          } else {
            rejoinedAt = now;
          }
        }
        expect(rejoinedAt).not.toBeNull();
        expect(rejoinedAt!).toBeLessThanOrEqual(LEASE_LAPSES_MS + 2_000);
        expect(session.state()).toBe('reconnecting');
      });
    }

    it('backs off from a server that stays down, then gives up', async () => {
      spyOn(Math, 'random').and.returnValue(0); // the shortest waits jitter allows
      session.join({ ...SETTINGS, captionsOnly: true });
      const attempts: number[] = [];
      while (session.state() !== 'failed' && now < 600_000) {
        const socket = FakeWebSocket.latest;
        if (attempts.length < FakeWebSocket.instances.length) {
          attempts.push(now);
          socket.drop(); // nothing answers
        }
        await advance(50);
      }
      expect(session.state()).toBe('failed');
      expect(session.detail()).toContain('Gave up after 15 attempts');
      expect(attempts.length).toBe(16); // the first try and 15 more
      const gaps = attempts.slice(1).map((at, i) => at - attempts[i]);
      expect(gaps.slice(0, 8).every((gap) => gap <= 2_000)).toBeTrue();
      expect(gaps.at(-1)!).toBeGreaterThanOrEqual(20_000);
      expect(attempts.at(-1)!).toBeGreaterThanOrEqual(100_000); // not a hammering loop
    });
  });

  it('waits briefly for the first attempts and backs off after, with jitter', () => {
    const shortest = Array.from({ length: 15 }, (_, i) => retryDelay(i + 1, 0));
    const longest = Array.from({ length: 15 }, (_, i) => retryDelay(i + 1, 0.9999));
    expect(shortest.slice(0, 3)).toEqual([375, 750, 1125]);
    expect(longest.slice(0, 8).every((ms) => ms <= 2_000)).toBeTrue();
    expect(longest.slice(0, 8).reduce((a, b) => a + b)).toBeLessThanOrEqual(15_000);
    for (let i = 8; i < 15; i++) expect(shortest[i]).toBeGreaterThanOrEqual(shortest[i - 1]);
    expect(shortest[8]).toBeGreaterThan(2_000);
    expect(Math.max(...longest)).toBeGreaterThan(37_000); // 30 s at most, plus jitter
    expect(Math.max(...longest)).toBeLessThanOrEqual(37_500);
    expect(retryDelay(40, 0.5)).toBe(30_000);
    expect(retryDelay(1, 0.5)).toBe(500);
  });

  it('retries later while the speech service is still starting', () => {
    session.join(SETTINGS);
    FakeWebSocket.latest.accept();
    FakeWebSocket.latest.receive({ type: 'error', code: 'not_ready', message: 'loading' });
    expect(session.state()).toBe('reconnecting');
    expect(session.detail()).toContain('starting');
  });

  it('shows notices, other errors and arrivals to the user', () => {
    const notifications = TestBed.inject(NotificationService);
    session.join(SETTINGS);
    FakeWebSocket.latest.accept();
    FakeWebSocket.latest.receive(joined());
    FakeWebSocket.latest.receive({ type: 'participant_joined', participant: BOB });
    FakeWebSocket.latest.receive({
      type: 'notice',
      code: 'translation_paused',
      message: 'Translation is paused.',
    });
    FakeWebSocket.latest.receive({
      type: 'error',
      code: 'bad_candidate',
      message: 'Bad candidate.',
    });
    expect(notifications.toasts().map((t) => [t.kind, t.text])).toEqual([
      ['info', 'Bob joined'],
      ['warning', 'Translation is paused.'],
      ['error', 'Bad candidate.'],
    ]);
    expect(
      TestBed.inject(RoomStore)
        .participants()
        .map((p) => p.id),
    ).toEqual([ADA.id, BOB.id]);
  });

  it('offers a one-click reconnect when the server stops hearing the speaker', async () => {
    const notifications = TestBed.inject(NotificationService);
    session.join(SETTINGS);
    const first = FakeWebSocket.latest;
    first.accept();
    first.receive(joined({ resume_token: 'tok' }));
    first.receive({ type: 'notice', code: 'audio_not_arriving', message: 'Not heard.' });
    const [toast] = notifications.toasts();
    expect([toast.kind, toast.action?.label]).toEqual(['warning', 'Reconnect']);
    expect(toast.text).toContain('stopped receiving your microphone'); // the app's words
    toast.action!.run();
    expect(FakeWebSocket.latest).not.toBe(first);
    FakeWebSocket.latest.accept();
    await until(() => FakeWebSocket.latest.sent.length > 0);
    expect(FakeWebSocket.latest.sent[0]['resume']).toEqual(
      jasmine.objectContaining({ participant_id: ADA.id, token: 'tok' }),
    );
  });

  it('changes the caption language and takes the server’s confirmation', () => {
    session.join(SETTINGS);
    FakeWebSocket.latest.accept();
    FakeWebSocket.latest.receive(joined());
    session.setCaptionLanguage('fr');
    expect(FakeWebSocket.latest.sentOfType('set_caption_language')).toEqual([
      { v: 1, type: 'set_caption_language', language: 'fr' },
    ]);
    FakeWebSocket.latest.receive({ type: 'caption_language', language: 'fr' });
    expect(session.captionLanguage()).toBe('fr');
  });

  it('shows earlier captions in a newly chosen language as the server re-sends them', () => {
    const captions = TestBed.inject(CaptionStore);
    session.join(SETTINGS);
    FakeWebSocket.latest.accept();
    FakeWebSocket.latest.receive(joined());
    const receive = (message: object) =>
      session['onChannelMessage'](JSON.stringify({ v: 1, ...message }));
    receive(caption({ seq: 1, final: true, text: 'Ask not.' }));
    receive(translation({ seq: 2, text: 'Fragt nicht.' }));
    expect(captions.lines()[0].translation?.text).toBe('Fragt nicht.');

    session.setCaptionLanguage('fr');
    expect(captions.lines()[0].translation).toBeNull();
    receive(translation({ seq: 3, language: 'fr', text: 'Ne demandez pas.', history: true }));
    expect(captions.lines()[0].translation).toEqual({
      language: 'fr',
      text: 'Ne demandez pas.',
      final: true,
    });
  });

  it('refuses forced relay when the server offers no TURN server', async () => {
    session.join({ ...SETTINGS, forceRelay: true });
    FakeWebSocket.latest.accept();
    FakeWebSocket.latest.receive(joined({ ice_servers: [{ urls: ['stun:stun.example:3478'] }] }));
    await until(() => session.state() === 'failed');
    expect(session.detail()).toContain('TURN');
  });

  it('says at once when its TURN server does not answer, and tells the server why', async () => {
    session.join(SETTINGS);
    FakeWebSocket.latest.accept();
    FakeWebSocket.latest.receive(
      joined({
        // Nothing listens on the discard port: gathering ends with no relay candidate.
        ice_servers: [{ urls: ['turn:127.0.0.1:9?transport=udp'], username: 'u', credential: 'p' }],
        ice_transport_policy: 'relay',
      }),
    );
    const socket = FakeWebSocket.latest;
    await until(() => socket.sentOfType('ice_failed').length === 1, 12_000);
    expect(socket.sentOfType('ice_failed')[0]).toEqual(
      jasmine.objectContaining({ cause: 'turn_unreachable' }),
    );
    expect(session.state()).toBe('reconnecting');
    expect(session.detail()).toContain('TURN');
  }, 15_000);

  it('sends leave and returns to idle', async () => {
    session.join(SETTINGS);
    const socket = FakeWebSocket.latest;
    socket.accept();
    await until(() => socket.sentOfType('join').length === 1);
    session.leave();
    expect(socket.sentOfType('leave').length).toBe(1);
    expect(session.state()).toBe('idle');
  });
});
