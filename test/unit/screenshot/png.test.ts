/** encodePng: an RGBA framebuffer to PNG with pngjs, read back pixel by pixel. */
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { encodePng } from '../../../src/screenshot/png.js';

describe('encodePng', () => {
  it('writes an 8-bit RGBA PNG that decodes to the same pixels', () => {
    const w = 7;
    const h = 3;
    const rgba = Buffer.alloc(w * h * 4);
    for (let i = 0; i < w * h; i++) rgba.set([i * 11, 255 - i, (i * 37) & 0xff, 255], i * 4);
    const png = encodePng(w, h, rgba);
    expect(png.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
    const back = PNG.sync.read(png);
    expect([back.width, back.height, back.colorType, back.depth]).toEqual([w, h, 6, 8]);
    expect(back.data.equals(rgba)).toBe(true);
  });

  it('refuses a buffer of the wrong size', () => {
    expect(() => encodePng(2, 2, Buffer.alloc(15))).toThrow('encodePng: 15 bytes for a 2x2 RGBA image (want 16)');
    expect(() => encodePng(0, 2, Buffer.alloc(0))).toThrow(RangeError);
  });
});
