import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildTrueType } from '../fixtures/ttf';
import { listFontCharacters, makeFontGlyphFewShot, notoScriptFonts, notoScriptOf } from './font-glyphs';
import { fillContours, parseTrueType } from './truetype';

const square: [number, number, boolean][] = [[100, 100, true], [900, 100, true], [900, 900, true], [100, 900, true]];
// A diamond whose corners are on-curve with off-curve points between them (two consecutive off-curve points
// on one side exercise the implied midpoint).
const curvy: [number, number, boolean][] = [[500, 100, true], [900, 100, false], [900, 500, true], [900, 900, false], [700, 900, false], [500, 900, true], [100, 500, true]];
const fontBytes = buildTrueType([{ contours: [square] }, { component: 1, dx: 200, dy: 50, scale: 0.5 }, { contours: [curvy] }]);

describe('parseTrueType', () => {
  const font = parseTrueType(fontBytes, 'fixture.ttf');

  it('reads the cmap, simple, composite and quadratic outlines', () => {
    expect(font.unitsPerEm).toBe(1000);
    expect([...font.cmap.entries()]).toEqual([[0x41, 1], [0x42, 2], [0x43, 3]]);
    expect(font.outline(0)).toEqual([]);
    expect(font.outline(1)).toEqual([[[100, 100], [900, 100], [900, 900], [100, 900]]]);
    expect(font.outline(2)).toEqual([[[250, 100], [650, 100], [650, 500], [250, 500]]]);
    const [c] = font.outline(3);
    expect(c!.length).toBeGreaterThan(curvy.length);
    for (const [x, y, on] of curvy) if (on) expect(c!.some(([px, py]) => Math.abs(px - x) < 1e-9 && Math.abs(py - y) < 1e-9)).toBe(true);
    // The implied on-curve midpoint between the two off-curve points lies on the curve.
    expect(c!.some(([px, py]) => px === 800 && py === 900)).toBe(true);
    // A contour of off-curve points only (a rounded blob) starts at an implied midpoint and closes smoothly.
    const blob = parseTrueType(buildTrueType([{ contours: [[[0, 0, false], [1000, 0, false], [1000, 1000, false], [0, 1000, false]]] }]), 'b.ttf');
    const [ring] = blob.outline(1);
    expect(ring![0]).toEqual([0, 500]);
    expect(ring).toHaveLength(4 * 6);
    expect(ring!.every(([x, y]) => x >= 0 && x <= 1000 && y >= 0 && y <= 1000 && !(x === 0 && y === 0))).toBe(true);
  });

  it('rejects truncated files, CFF fonts and unknown formats, naming the file', () => {
    expect(() => parseTrueType(fontBytes.subarray(0, 40), 'cut.ttf')).toThrow(/cut\.ttf: unreadable font: table .* runs past the end/);
    const otto = Buffer.from(fontBytes);
    otto.write('OTTO', 0, 'latin1');
    expect(() => parseTrueType(otto, 'x.otf')).toThrow(/x\.otf: unreadable font: CFF outlines/);
    expect(() => parseTrueType(Buffer.from('hello world!!'), 'h.ttf')).toThrow(/h\.ttf: unreadable font: unknown sfnt version/);
  });

  it('refuses contour end indices that do not increase (found by pnpm fuzz: they indexed points never read, NaN)', () => {
    const two = buildTrueType([{ contours: [square, square] }]);
    const parsed = parseTrueType(two, 'two.ttf');
    expect(parsed.outline(1)).toHaveLength(2);
    // Find glyph 1's endPtsOfContours ([3, 7] as big-endian uint16) and raise the first end past the second.
    const at = Buffer.from(two).indexOf(Buffer.from([0, 3, 0, 7]));
    expect(at).toBeGreaterThan(0);
    const bad = Uint8Array.from(two);
    bad[at] = 25;
    expect(() => parseTrueType(bad, 'bad.ttf').outline(1)).toThrow(/bad\.ttf: .*glyph 1 contour 1 ends at point 7, not after 6403/);
  });
});

describe('fillContours', () => {
  it('fills a square exactly, anti-aliases half-covered pixels and honours non-zero winding holes', () => {
    const out = new Float32Array(64);
    fillContours([[[2, 2], [6, 2], [6, 6], [2, 6]]], 8, out);
    for (let y = 0; y < 8; y++) for (let x = 0; x < 8; x++) expect(out[y * 8 + x]).toBe(x >= 2 && x < 6 && y >= 2 && y < 6 ? 1 : 0);
    const half = new Float32Array(16);
    fillContours([[[0, 0], [1.5, 0], [1.5, 4], [0, 4]]], 4, half);
    expect(half[1]).toBeCloseTo(0.5, 6);
    const ring = new Float32Array(64);
    fillContours([[[0, 0], [8, 0], [8, 8], [0, 8]], [[2, 2], [2, 6], [6, 6], [6, 2]]], 8, ring);
    expect(ring[0]).toBe(1);
    expect(ring[3 * 8 + 3]).toBe(0);
  });
});

describe('makeFontGlyphFewShot', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lel-font-'));
  const path = join(dir, 'fixture.ttf');
  writeFileSync(path, fontBytes);

  it('renders classes from font files with seeded affine variation', () => {
    expect(listFontCharacters([path], { minCodePoint: 0 })).toEqual(['A', 'B', 'C']);
    expect(listFontCharacters([path])).toEqual([]);
    // A font mapping U+13A0.. (Cherokee letters) and U+25CC (dotted circle, a symbol): letters only by default.
    const cherokee = join(dir, 'cherokee.ttf');
    writeFileSync(cherokee, buildTrueType([{ contours: [square] }, { contours: [square] }], 0x13a0));
    expect(listFontCharacters([cherokee])).toEqual(['Ꭰ', 'Ꭱ']);
    const circle = join(dir, 'circle.ttf');
    writeFileSync(circle, buildTrueType([{ contours: [square] }], 0x25cc));
    expect(listFontCharacters([circle])).toEqual([]);
    expect(listFontCharacters([circle], { lettersOnly: false })).toEqual(['◌']);
    const d = makeFontGlyphFewShot({ fonts: [path], classes: ['A', 'C'], perClass: 3, seed: 0 });
    expect([d.n, d.height, d.channels]).toEqual([6, 28, 1]);
    expect(Array.from(d.labels)).toEqual([0, 0, 0, 1, 1, 1]);
    const ink = (i: number) => d.images.subarray(i * 784, (i + 1) * 784).reduce((a, b) => a + b, 0);
    expect(ink(0)).toBeGreaterThan(200); // a filled square over ~80 % of the side
    expect(ink(3)).toBeLessThan(ink(0));
    expect(Array.from(d.images.subarray(0, 784))).not.toEqual(Array.from(d.images.subarray(784, 1568)));
    expect(Array.from(makeFontGlyphFewShot({ fonts: [path], classes: ['A', 'C'], perClass: 3, seed: 0 }).images)).toEqual(Array.from(d.images));
    expect(() => makeFontGlyphFewShot({ fonts: [path], classes: ['Z'], perClass: 1, seed: 0 })).toThrow(/no font among fixture\.ttf covers "Z"/);
  });

  it('groups Noto font files by script', () => {
    expect(notoScriptOf('/x/NotoSansCherokee-Bold.ttf')).toBe('Cherokee');
    expect(notoScriptOf('NotoSerifGeorgian-Regular.ttf')).toBe('Georgian');
    expect(notoScriptOf('NotoSansTifinaghAPT-Regular.ttf')).toBe('Tifinagh');
    expect(notoScriptOf('NotoKufiArabic-Bold.ttf')).toBe('Arabic');
    expect(notoScriptOf('NotoSansDisplay-Italic.ttf')).toBe('Latin');
    const noto = mkdtempSync(join(tmpdir(), 'lel-noto-'));
    for (const f of ['NotoSansRunic-Regular.ttf', 'NotoSansCherokee-Regular.ttf', 'NotoSansCherokee-Bold.ttf', 'README']) writeFileSync(join(noto, f), '');
    expect(notoScriptFonts(noto)).toEqual({ Cherokee: [join(noto, 'NotoSansCherokee-Bold.ttf'), join(noto, 'NotoSansCherokee-Regular.ttf')], Runic: [join(noto, 'NotoSansRunic-Regular.ttf')] });
    expect(notoScriptFonts(join(noto, 'absent'))).toEqual({});
  });

  const dejavu = '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf';
  it.skipIf(!existsSync(dejavu))('reads a real system font (DejaVu Sans, when installed)', () => {
    const chars = listFontCharacters([dejavu]);
    expect(chars.length).toBeGreaterThan(1000);
    const d = makeFontGlyphFewShot({ fonts: [dejavu], classes: ['Ж', 'λ'], perClass: 2, seed: 1 });
    expect(d.images.reduce((a, b) => a + b, 0)).toBeGreaterThan(100);
  });
});
