// Property-based test of the TrueType parser (fast-check): any mutation of a valid font parses and outlines
// every mapped glyph with finite coordinates, or is refused with a DatasetError — never a RangeError or a hang.
import { runProperty } from '@lel/core/testing';
import fc from 'fast-check';
import { describe, test } from 'vitest';
import { DatasetError } from '../errors';
import { buildTrueType } from '../fixtures/ttf';
import { parseTrueType } from './truetype';

const square: [number, number, boolean][] = [[100, 100, true], [900, 100, true], [900, 900, false], [100, 900, true]];
const font = buildTrueType([{ contours: [square] }, { component: 1, dx: 200, dy: 50, scale: 0.5 }, { contours: [square, square] }]);

describe('TrueType properties', () => {
  test('any mutation of a font parses and outlines consistently or is a DatasetError', async () => {
    await runProperty('truetype mutations', (p) =>
      fc.check(
        fc.property(
          fc.array(
            fc.oneof(
              fc.record({ at: fc.nat(), value: fc.integer({ min: 0, max: 255 }), cut: fc.constant(false) }),
              fc.record({ at: fc.nat(), value: fc.constant(0), cut: fc.constant(true) }),
            ),
            { minLength: 1, maxLength: 4 },
          ),
          (ms) => {
            let bytes = Uint8Array.from(font);
            for (const m of ms) {
              if (m.cut) bytes = bytes.slice(0, m.at % (bytes.length + 1));
              else if (bytes.length > 0) bytes[m.at % bytes.length] = m.value;
            }
            try {
              const f = parseTrueType(bytes, 'x.ttf');
              for (const g of new Set(f.cmap.values())) {
                for (const c of f.outline(g)) for (const [x, y] of c) if (!Number.isFinite(x) || !Number.isFinite(y)) throw new Error(`glyph ${g}: non-finite point`);
              }
            } catch (e) {
              if (!(e instanceof DatasetError)) throw e;
            }
          },
        ),
        p,
      ),
      300,
    );
  });
});
