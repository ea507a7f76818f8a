import {
  captionsOnlyFromUrl,
  inviteLink,
  randomRoomName,
  roomFromUrl,
  newViewerId,
  signalingUrl,
  suggestRoomName,
  tokenFromUrl,
} from './room-link';

describe('room links', () => {
  it('reads the room from ?room= or /r/<room>', () => {
    expect(roomFromUrl(new URL('https://c.example/?room=standup'))).toBe('standup');
    expect(roomFromUrl(new URL('https://c.example/r/team_2-b'))).toBe('team_2-b');
    expect(roomFromUrl(new URL('https://c.example/r/team/'))).toBe('team');
    expect(roomFromUrl(new URL('https://c.example/'))).toBeNull();
  });

  it('keeps room names the server would reject, for the join screen to correct', () => {
    expect(roomFromUrl(new URL('https://c.example/?room=Team%20Meeting%20%231'))).toBe(
      'Team Meeting #1',
    );
    expect(roomFromUrl(new URL('https://c.example/r/%3Cscript%3E'))).toBe('<script>');
    expect(roomFromUrl(new URL('https://c.example/?room=%20'))).toBeNull();
  });

  it('suggests a valid room name close to an invalid one', () => {
    expect(suggestRoomName('Team Meeting #1')).toBe('Team-Meeting-1');
    expect(suggestRoomName('Café  bar!')).toBe('Cafe-bar');
    expect(suggestRoomName('회의')).toBeNull();
    expect(suggestRoomName('x'.repeat(80))).toBe('x'.repeat(64));
  });

  it('builds an invite link on the app’s own address', () => {
    expect(inviteLink('standup', 'https://c.example/')).toBe('https://c.example/?room=standup');
    expect(inviteLink('b', 'https://c.example/r/a?x=1#top')).toBe('https://c.example/?room=b');
    expect(inviteLink('b', 'http://127.0.0.1:5000/?room=a')).toBe('http://127.0.0.1:5000/?room=b');
  });

  it('keeps the join token in the fragment, which never reaches a server', () => {
    const link = inviteLink('board', 'https://c.example/?room=a#token=old', 'abc.def.ghi');
    expect(link).toBe('https://c.example/?room=board#token=abc.def.ghi');
    expect(tokenFromUrl(new URL(link))).toBe('abc.def.ghi');
    expect(tokenFromUrl(new URL('https://c.example/?room=board'))).toBeNull();
    expect(tokenFromUrl(new URL('https://c.example/?token=leaky'))).toBeNull();
  });

  it('builds a captions-only link that the join screen recognises', () => {
    const link = inviteLink('lecture', 'https://c.example/?room=a#token=old', 'abc', true);
    expect(link).toBe('https://c.example/?room=lecture&view=captions#token=abc');
    expect(captionsOnlyFromUrl(new URL(link))).toBeTrue();
    expect(roomFromUrl(new URL(link))).toBe('lecture');
    expect(inviteLink('b', 'https://c.example/?room=a&view=captions')).toBe(
      'https://c.example/?room=b',
    );
    expect(captionsOnlyFromUrl(new URL('https://c.example/?room=a'))).toBeFalse();
    expect(captionsOnlyFromUrl(new URL('https://c.example/?room=a&view=other'))).toBeFalse();
  });

  it('uses ws: or wss: like the page, on the same host', () => {
    expect(signalingUrl('http://127.0.0.1:5000/', 'a', false, 'v1')).toBe(
      'ws://127.0.0.1:5000/ws?room=a',
    );
    expect(signalingUrl('https://captions.example/app/', 'a', false, 'v1')).toBe(
      'wss://captions.example/app/ws?room=a',
    );
  });

  it('names the room for participants and for captions-only viewers apart, encoded', () => {
    expect(signalingUrl('https://c.example/?room=x#token=t', 'team_2-b', false, 'v1')).toBe(
      'wss://c.example/ws?room=team_2-b',
    );
    expect(signalingUrl('https://c.example/', 'lecture', true, 'k3x9')).toBe(
      'wss://c.example/ws?view=lecture&viewer=k3x9',
    );
    const odd = new URL(signalingUrl('https://c.example/', 'a&view=b#c', true, 'v1'));
    expect([...odd.searchParams]).toEqual([
      ['view', 'a&view=b#c'],
      ['viewer', 'v1'],
    ]);
    expect(odd.hash).toBe('');
  });

  it('makes random viewer ids of letters and digits', () => {
    expect(newViewerId(() => 0)).toBe('000000000000');
    expect(newViewerId()).toMatch(/^[a-z0-9]{12}$/);
    expect(newViewerId()).not.toBe(newViewerId());
  });

  it('makes random room names the server accepts', () => {
    expect(randomRoomName(() => 0)).toBe('quiet-river-1000');
    expect(randomRoomName()).toMatch(/^[a-z]+-[a-z]+-\d{4}$/);
  });
});
