import {
  inviteLink,
  randomRoomName,
  roomFromUrl,
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

  it('uses ws: or wss: like the page, on the same host', () => {
    expect(signalingUrl('http://127.0.0.1:5000/')).toBe('ws://127.0.0.1:5000/ws');
    expect(signalingUrl('https://captions.example/')).toBe('wss://captions.example/ws');
  });

  it('makes random room names the server accepts', () => {
    expect(randomRoomName(() => 0)).toBe('quiet-river-1000');
    expect(randomRoomName()).toMatch(/^[a-z]+-[a-z]+-\d{4}$/);
  });
});
