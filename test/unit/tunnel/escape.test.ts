import { describe, expect, it } from 'vitest';
import { createEscapeFilter, initialEscapeState, scanEscape } from '../../../src/tunnel/escape.js';

const b = (s: string): Buffer => Buffer.from(s, 'latin1');

/** Feeds chunks through one filter; returns what would be sent and whether it disconnected. */
function feed(...chunks: string[]): { sent: string; disconnect: boolean } {
  const f = createEscapeFilter();
  let sent = '';
  for (const c of chunks) {
    const r = f(b(c));
    sent += r.data.toString('latin1');
    if (r.disconnect) return { sent, disconnect: true };
  }
  return { sent, disconnect: false };
}

describe('scanEscape (~. state machine)', () => {
  it('disconnects on ~. at the very start, sending nothing', () => {
    expect(feed('~.')).toEqual({ sent: '', disconnect: true });
  });

  it('disconnects on ~. right after \\r or \\n, sending what came before', () => {
    expect(feed('ls\r~.')).toEqual({ sent: 'ls\r', disconnect: true });
    expect(feed('ls\n~.')).toEqual({ sent: 'ls\n', disconnect: true });
  });

  it('drops bytes after ~. in the same chunk', () => {
    expect(feed('a\r~.rest')).toEqual({ sent: 'a\r', disconnect: true });
  });

  it('passes ~. in the middle of a line through', () => {
    expect(feed('cd ~.')).toEqual({ sent: 'cd ~.', disconnect: false });
    expect(feed('a~.b')).toEqual({ sent: 'a~.b', disconnect: false });
  });

  it('sends one ~ for ~~ at line start, and is then mid-line', () => {
    expect(feed('~~')).toEqual({ sent: '~', disconnect: false });
    expect(feed('~~.')).toEqual({ sent: '~.', disconnect: false });
    expect(feed('\r~~x')).toEqual({ sent: '\r~x', disconnect: false });
  });

  it('sends ~ and the next byte for ~ followed by anything else', () => {
    expect(feed('~a')).toEqual({ sent: '~a', disconnect: false });
    expect(feed('\n~/tmp')).toEqual({ sent: '\n~/tmp', disconnect: false });
  });

  it('a newline after a held ~ keeps the line-start state', () => {
    expect(feed('~\r~.')).toEqual({ sent: '~\r', disconnect: true });
  });

  it('holds a ~ across chunk boundaries', () => {
    expect(feed('x\r', '~', '.')).toEqual({ sent: 'x\r', disconnect: true });
    expect(feed('x\r~', 'y')).toEqual({ sent: 'x\r~y', disconnect: false });
    expect(feed('~', '~', '.')).toEqual({ sent: '~.', disconnect: false });
  });

  it('is pure: returns new state objects and leaves the input alone', () => {
    const input = b('\r~');
    const copy = Buffer.from(input);
    const r = scanEscape(initialEscapeState, input);
    expect(r.state).toEqual({ atLineStart: true, pendingTilde: true });
    expect(initialEscapeState).toEqual({ atLineStart: true, pendingTilde: false });
    expect(input.equals(copy)).toBe(true);
    const r2 = scanEscape(r.state, b('.'));
    expect(r2).toEqual({ state: { atLineStart: false, pendingTilde: false }, data: Buffer.alloc(0), disconnect: true });
  });

  it('passes arbitrary binary (no ~ at line start) unchanged', () => {
    const data = Buffer.from(Array.from({ length: 256 }, (_, i) => i).filter((i) => i !== 0x7e));
    const r = scanEscape({ atLineStart: false, pendingTilde: false }, data);
    expect(r.data.equals(data)).toBe(true);
  });
});
