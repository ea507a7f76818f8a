import {
  candidateMessage,
  encodeClientMessage,
  joinMessage,
  parseChannelMessage,
  parseServerConfig,
  parseWebSocketMessage,
  validateJoin,
} from './protocol';

const json = (value: object) => JSON.stringify({ v: 1, ...value });

describe('protocol: client messages', () => {
  it('stamps every message with the protocol version', () => {
    expect(JSON.parse(encodeClientMessage({ type: 'ping' }))).toEqual({ v: 1, type: 'ping' });
  });

  it('builds join with a trimmed name and a null caption language for originals', () => {
    const message = joinMessage({
      room: 'standup',
      name: '  Ada ',
      language: 'auto',
      caption_language: null,
    });
    expect(JSON.parse(encodeClientMessage(message))).toEqual({
      v: 1,
      type: 'join',
      room: 'standup',
      name: 'Ada',
      language: 'auto',
      caption_language: null,
    });
  });

  it('adds the join token only when there is one', () => {
    const request = { room: 'board', name: 'Ada', language: 'en', caption_language: null };
    expect(joinMessage({ ...request, token: 'abc.def.ghi' })).toEqual(
      jasmine.objectContaining({ type: 'join', token: 'abc.def.ghi' }),
    );
    expect('token' in joinMessage({ ...request, token: null })).toBeFalse();
  });

  it('maps a browser ICE candidate to snake_case fields', () => {
    const message = candidateMessage(
      { candidate: 'candidate:1 1 udp 1 192.0.2.3 4000 typ host', sdpMid: '0', sdpMLineIndex: 0 },
      '0',
    );
    expect(message).toEqual({
      type: 'candidate',
      candidate: 'candidate:1 1 udp 1 192.0.2.3 4000 typ host',
      sdp_mid: '0',
      sdp_mline_index: 0,
    });
  });

  it('sends the end of candidates as an empty candidate on the first m-section', () => {
    expect(candidateMessage(null, '0')).toEqual({
      type: 'candidate',
      candidate: '',
      sdp_mid: '0',
      sdp_mline_index: 0,
    });
  });

  it('validates room and name as the server does', () => {
    const ok = { room: 'a_b-C9', name: 'Ada', language: 'en', caption_language: 'de' };
    expect(validateJoin(ok)).toEqual({ room: null, name: null });
    expect(validateJoin({ ...ok, room: 'with space' }).room).toBe('room_invalid');
    expect(validateJoin({ ...ok, room: 'x'.repeat(65) }).room).toBe('room_invalid');
    expect(validateJoin({ ...ok, room: '' }).room).toBe('room_invalid');
    expect(validateJoin({ ...ok, name: '   ' })).toEqual({ room: null, name: 'name_missing' });
    expect(validateJoin({ ...ok, name: 'n'.repeat(65) }).name).toBe('name_too_long');
  });
});

describe('protocol: signaling messages', () => {
  it('parses joined with ICE servers and participants', () => {
    const result = parseWebSocketMessage(
      json({
        type: 'joined',
        participant_id: 'p-1',
        room: 'standup',
        ice_servers: [
          { urls: ['turn:t.example:3478'], username: 'u', credential: 'c' },
          { urls: 'stun:s.example' },
        ],
        ice_transport_policy: 'all',
        translation: { backend: 'openai', targets: ['*'] },
        participants: [{ id: 'p-1', name: 'Ada', language: 'auto', caption_language: null }],
        resume_token: 'tok',
        resumed: true,
        audio_slots: 3,
      }),
    );
    expect(result).toEqual({
      ok: true,
      message: {
        type: 'joined',
        participant_id: 'p-1',
        room: 'standup',
        ice_servers: [
          { urls: ['turn:t.example:3478'], username: 'u', credential: 'c' },
          { urls: 'stun:s.example' },
        ],
        ice_transport_policy: 'all',
        translation: { backend: 'openai', targets: ['*'] },
        participants: [{ id: 'p-1', name: 'Ada', language: 'auto', caption_language: null }],
        resume_token: 'tok',
        resumed: true,
        audio_slots: 3,
      },
    });
  });

  it('parses a captions-only participant’s captions on the WebSocket as on the channel', () => {
    const raw = json({ type: 'caption_withdrawn', id: 'p-ada:3', seq: 9 });
    expect(parseWebSocketMessage(raw)).toEqual(parseChannelMessage(raw));
    expect(parseWebSocketMessage(raw).ok).toBeTrue();
  });

  it('parses answer, notice, error, left and pong', () => {
    expect(parseWebSocketMessage(json({ type: 'answer', sdp: 'v=0' }))).toEqual({
      ok: true,
      message: { type: 'answer', sdp: 'v=0' },
    });
    expect(
      parseWebSocketMessage(json({ type: 'notice', code: 'translation_paused', message: 'm' })),
    ).toEqual({
      ok: true,
      message: { type: 'notice', code: 'translation_paused', message: 'm', language: null },
    });
    expect(
      parseWebSocketMessage(json({ type: 'error', code: 'room_full', message: 'full' })),
    ).toEqual({
      ok: true,
      message: { type: 'error', code: 'room_full', message: 'full' },
    });
    expect(parseWebSocketMessage(json({ type: 'left' }))).toEqual({
      ok: true,
      message: { type: 'left' },
    });
    expect(parseWebSocketMessage(json({ type: 'pong' }))).toEqual({
      ok: true,
      message: { type: 'pong' },
    });
  });

  it('parses audio_tracks (whose voice arrives on which transceiver)', () => {
    expect(
      parseWebSocketMessage(
        json({ type: 'audio_tracks', tracks: [{ mid: '2', participant_id: 'p-2' }] }),
      ),
    ).toEqual({
      ok: true,
      message: { type: 'audio_tracks', tracks: [{ mid: '2', participant_id: 'p-2' }] },
    });
  });

  it('parses participant_left with its reason', () => {
    const participant = { id: 'p-2', name: 'Bob', language: 'en', caption_language: 'en' };
    expect(
      parseWebSocketMessage(json({ type: 'participant_left', participant, reason: 'failed' })),
    ).toEqual({
      ok: true,
      message: { type: 'participant_left', participant, reason: 'failed' },
    });
  });

  it('accepts every reason to leave the server gives, shutdown included', () => {
    const participant = { id: 'p-2', name: 'Bob', language: 'en', caption_language: 'en' };
    const reasons = ['left', 'disconnected', 'failed', 'connection_lost', 'shutdown'] as const;
    for (const reason of reasons) {
      const result = parseWebSocketMessage(json({ type: 'participant_left', participant, reason }));
      expect(result.ok && result.message).toEqual({
        type: 'participant_left',
        participant,
        reason,
      });
    }
  });

  it('keeps the keys the server sends only at times: delay_s and cause', () => {
    const delayed = { type: 'notice', code: 'captions_delayed', message: 'm', language: null };
    expect(parseWebSocketMessage(json({ ...delayed, delay_s: 4.5 }))).toEqual({
      ok: true,
      message: { ...delayed, delay_s: 4.5 } as never,
    });
    const failed = {
      type: 'error',
      code: 'connection_failed',
      message: 'm',
      cause: 'turn_refused',
    };
    expect(parseWebSocketMessage(json(failed))).toEqual({ ok: true, message: failed as never });
    expect(parseWebSocketMessage(json({ ...failed, cause: 1 })).ok).toBeFalse();
  });

  it('rejects what does not follow the protocol, naming the problem', () => {
    const reason = (raw: string) => {
      const result = parseWebSocketMessage(raw);
      return result.ok ? null : result.reason;
    };
    expect(reason('not json')).toContain('not JSON');
    expect(reason('[1]')).toContain('not an object');
    expect(reason(JSON.stringify({ v: 2, type: 'pong' }))).toContain('.v');
    expect(reason(json({ type: 'mystery' }))).toContain('mystery');
    expect(reason(json({ type: 'answer' }))).toContain('message.sdp');
    expect(reason(json({ type: 'offer', sdp: 'v=0' }))).toContain('offer');
    expect(reason(json({ type: 'participants', participants: [{ id: 'p' }] }))).toContain(
      'participants[0].name',
    );
    expect(
      reason(
        json({
          type: 'participant_left',
          participant: { id: 'p', name: 'n', language: 'en', caption_language: null },
          reason: 'bored',
        }),
      ),
    ).toContain('reason');
  });
});

describe('protocol: data-channel messages', () => {
  const captionJson = {
    type: 'caption',
    id: 'p-1:7',
    seq: 42,
    speaker: { id: 'p-1', name: 'Ada' },
    language: 'en',
    text: 'ask not',
    final: false,
    start: 3.12,
    end: 6.4,
    part: 0,
    parts: 1,
  };

  it('parses a caption, defaulting history and interrupted to false and origin to 0 (unknown)', () => {
    const result = parseChannelMessage(json(captionJson));
    expect(result.ok && result.message).toEqual({
      ...captionJson,
      origin: 0,
      history: false,
      interrupted: false,
    } as never);
  });

  it('keeps the mark of a final cut short', () => {
    const result = parseChannelMessage(json({ ...captionJson, final: true, interrupted: true }));
    expect(result.ok && result.message && 'interrupted' in result.message).toBeTrue();
    expect(result.ok && (result.message as { interrupted: boolean }).interrupted).toBeTrue();
  });

  it('keeps the mark of a final cut from speech that goes on, absent otherwise', () => {
    const result = parseChannelMessage(json({ ...captionJson, final: true, continued: true }));
    expect(result.ok && result.message.type === 'caption' && result.message.continued).toBeTrue();
    const plain = parseChannelMessage(json(captionJson));
    expect(plain.ok && 'continued' in plain.message).toBeFalse();
  });

  it('keeps the origin the server sends', () => {
    const result = parseChannelMessage(json({ ...captionJson, origin: 1_767_225_600_123 }));
    expect(result.ok && result.message && 'origin' in result.message && result.message.origin).toBe(
      1_767_225_600_123,
    );
  });

  it('keeps history: true and defaults part/parts when absent', () => {
    const sent: Record<string, unknown> = { ...captionJson, history: true };
    delete sent['part'];
    delete sent['parts'];
    const result = parseChannelMessage(json(sent));
    expect(result.ok && result.message).toEqual({
      ...captionJson,
      origin: 0,
      history: true,
      interrupted: false,
    } as never);
  });

  it('rejects a part outside parts and a negative seq', () => {
    expect(parseChannelMessage(json({ ...captionJson, part: 2, parts: 2 })).ok).toBeFalse();
    expect(parseChannelMessage(json({ ...captionJson, seq: -1 })).ok).toBeFalse();
  });

  it('parses translation, caption_withdrawn and speech', () => {
    const translation = {
      type: 'translation',
      caption_id: 'p-1:7',
      seq: 45,
      speaker: { id: 'p-1', name: 'Ada' },
      language: 'de',
      source_language: 'en',
      text: 'Fragt nicht',
      final: true,
      part: 0,
      parts: 1,
    };
    expect(parseChannelMessage(json(translation))).toEqual({
      ok: true,
      message: { ...translation, history: false, covers: ['p-1:7'] } as never,
    });
    const sentence = { ...translation, covers: ['p-1:6', 'p-1:7'] };
    expect(parseChannelMessage(json(sentence))).toEqual({
      ok: true,
      message: { ...sentence, history: false } as never,
    });
    expect(parseChannelMessage(json({ type: 'caption_withdrawn', id: 'p-1:8', seq: 50 }))).toEqual({
      ok: true,
      message: { type: 'caption_withdrawn', id: 'p-1:8', seq: 50 },
    });
    expect(
      parseChannelMessage(
        json({ type: 'speech', seq: 51, speaker: { id: 'p-1', name: 'Ada' }, speaking: true }),
      ),
    ).toEqual({
      ok: true,
      message: { type: 'speech', seq: 51, speaker: { id: 'p-1', name: 'Ada' }, speaking: true },
    });
  });

  it('rejects signaling types on the data channel', () => {
    expect(parseChannelMessage(json({ type: 'pong' })).ok).toBeFalse();
  });
});

describe('protocol: server config', () => {
  it('parses GET /api/config', () => {
    const config = {
      protocol: 1,
      languages: [{ code: 'en', name: 'English' }],
      translation: { backend: 'openai', targets: ['*'], unavailable_reason: '' },
      audio_relay: true,
      max_room_size: 8,
      auth: 'token' as const,
    };
    expect(parseServerConfig(config)).toEqual({ ok: true, message: config });
    const older = parseServerConfig({ ...config, auth: undefined });
    expect(older.ok && older.message.auth).toBe('open');
  });

  it('reads why languages are unavailable, empty from servers that do not say', () => {
    const reason = 'Translation is turned off on this server (RTC_TRANSLATOR=none).';
    const config = {
      protocol: 1,
      languages: [{ code: 'en', name: 'English' }],
      translation: { backend: 'none', targets: [], unavailable_reason: reason },
    };
    const parsed = parseServerConfig(config);
    expect(parsed.ok && parsed.message.translation.unavailable_reason).toBe(reason);
    const older = parseServerConfig({ ...config, translation: { backend: 'none', targets: [] } });
    expect(older.ok && older.message.translation.unavailable_reason).toBe('');
    const wrong = {
      ...config,
      translation: { backend: 'none', targets: [], unavailable_reason: 1 },
    };
    expect(parseServerConfig(wrong).ok).toBeFalse();
  });

  it('rejects a config without languages', () => {
    expect(
      parseServerConfig({ protocol: 1, translation: { backend: 'x', targets: [] } }).ok,
    ).toBeFalse();
  });
});
