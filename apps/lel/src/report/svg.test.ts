import { describe, expect, it } from 'vitest';
import { barChart, esc, fmt, heatmap, lineChart, ticks } from './svg';

describe('SVG charts', () => {
  it('formats numbers and ticks readably', () => {
    expect(fmt(1.5)).toBe('1.5');
    expect(fmt(0.0025)).toBe('0.0025');
    expect(fmt(12345)).toBe('12,345');
    expect(fmt(2e-5)).toBe('2.0e-5');
    expect(ticks(0, 1)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(esc('<a & "b">')).toBe('&lt;a &amp; &quot;b&quot;&gt;');
  });

  it('draws one path per finite series and skips empty input', () => {
    const svg = lineChart({ title: 'L', xLabel: 'x', yLabel: 'y', series: [{ name: 'a', points: [[0, 1], [1, NaN], [2, 3]] }, { name: 'b', points: [] }] });
    expect(svg.match(/class="series"/g)).toHaveLength(1);
    expect(svg.match(/class="point"/g)).toHaveLength(2);
    expect(lineChart({ title: 'L', xLabel: 'x', yLabel: 'y', series: [{ name: 'a', points: [[0, Infinity]] }] })).toBe('');
  });

  it('draws bars with error bars, log scale, and a heatmap cell per entry', () => {
    const bars = barChart({ title: 'B', yLabel: 'acc', bars: [{ label: 'x', value: 0.5, error: 0.1 }, { label: 'y', value: 0.7 }] });
    expect(bars.match(/class="bar"/g)).toHaveLength(2);
    expect(bars.match(/class="errorbar"/g)).toHaveLength(1);
    const log = barChart({ title: 'P', yLabel: 'n', logY: true, bars: [{ label: 'a', value: 100 }, { label: 'b', value: 100000 }] });
    expect(log).toContain('>1,000<');
    expect(heatmap({ title: 'C', matrix: [[1, 2], [3, 4]], labels: ['a', 'b'] }).match(/class="cell"/g)).toHaveLength(4);
  });
});
