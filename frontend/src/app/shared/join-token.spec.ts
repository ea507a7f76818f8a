import { joinToken } from '../testing/messages';
import { ACCESS_ERRORS, joinTokenProblem, readToken, tokenForRoom } from './join-token';

describe('join tokens', () => {
  it('reads the room and expiry of a token', () => {
    const token = joinToken('board', 600);
    expect(readToken(token)?.room).toBe('board');
    expect(readToken(token)!.exp * 1000).toBeGreaterThan(Date.now());
    expect(readToken('not-a-token')).toBeNull();
    expect(readToken('a.!!!.c')).toBeNull();
  });

  it('uses a token only for its own room', () => {
    const token = joinToken('board');
    expect(tokenForRoom(token, 'board')).toBe(token);
    expect(tokenForRoom(token, 'other')).toBeNull();
    expect(tokenForRoom(null, 'board')).toBeNull();
  });

  it('says why a join would be refused', () => {
    expect(joinTokenProblem('open', 'board', null)).toBeNull();
    expect(joinTokenProblem('token', 'board', null)).toEqual(ACCESS_ERRORS['token_required']);
    expect(joinTokenProblem('token', 'board', joinToken('board'))).toBeNull();
    expect(joinTokenProblem('token', 'board', joinToken('board', -60))).toBe(
      ACCESS_ERRORS['token_expired'],
    );
    expect(joinTokenProblem('token', 'other', joinToken('board'))).toEqual({
      key: 'access.otherRoom',
      params: { linked: 'board', room: 'other' },
    });
    expect(joinTokenProblem('open', 'other', joinToken('board'))).toBeNull();
    expect(joinTokenProblem('token', 'board', 'garbage')).toEqual(ACCESS_ERRORS['token_invalid']);
  });
});
