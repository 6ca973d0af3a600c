/** One line of a chart. */
export interface Series {
  label: string;
  colour: string;
  points: [number, number][];
}

/** Draws line series on a canvas (shared axes from the data's range; y from 0 when `fromZero`). */
export function drawChart(canvas: HTMLCanvasElement, series: Series[], options: { title: string; fromZero?: boolean }): void {
  const ctx = canvas.getContext('2d')!;
  const { width: W, height: H } = canvas;
  const pad = { l: 44, r: 10, t: 22, b: 22 };
  ctx.clearRect(0, 0, W, H);
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, W, H);
  ctx.fillStyle = '#222';
  ctx.font = '12px system-ui, sans-serif';
  ctx.fillText(options.title, pad.l, 14);
  const all = series.flatMap((s) => s.points).filter(([, y]) => Number.isFinite(y));
  if (all.length === 0) return;
  const xMax = Math.max(1, ...all.map(([x]) => x));
  const yMin = options.fromZero ? 0 : Math.min(...all.map(([, y]) => y));
  const yMax = Math.max(yMin + 1e-6, ...all.map(([, y]) => y));
  const px = (x: number) => pad.l + (x / xMax) * (W - pad.l - pad.r);
  const py = (y: number) => H - pad.b - ((y - yMin) / (yMax - yMin)) * (H - pad.t - pad.b);
  ctx.strokeStyle = '#bbb';
  ctx.beginPath();
  ctx.moveTo(pad.l, pad.t);
  ctx.lineTo(pad.l, H - pad.b);
  ctx.lineTo(W - pad.r, H - pad.b);
  ctx.stroke();
  ctx.fillStyle = '#555';
  ctx.fillText(yMax.toPrecision(3), 2, pad.t + 4);
  ctx.fillText(yMin.toPrecision(3), 2, H - pad.b);
  ctx.fillText(`step ${xMax}`, W - pad.r - 60, H - 6);
  // Legend entries side by side, each as wide as its label.
  let legendX = pad.l + 8;
  series.forEach((s) => {
    ctx.strokeStyle = s.colour;
    ctx.lineWidth = 1.5;
    ctx.beginPath();
    s.points.filter(([, y]) => Number.isFinite(y)).forEach(([x, y], j) => (j === 0 ? ctx.moveTo(px(x), py(y)) : ctx.lineTo(px(x), py(y))));
    ctx.stroke();
    ctx.fillStyle = s.colour;
    ctx.fillText(s.label, legendX, pad.t + 12);
    legendX += ctx.measureText(s.label).width + 16;
  });
}
