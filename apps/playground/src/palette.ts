/** Colours of the classes (background first) and of the ignore label, as RGB bytes. */
const COLOURS: [number, number, number][] = [
  [0, 0, 0],
  [230, 25, 75],
  [60, 180, 75],
  [255, 225, 25],
  [0, 130, 200],
  [245, 130, 48],
  [145, 30, 180],
  [70, 240, 240],
  [240, 50, 230],
  [210, 245, 60],
  [250, 190, 212],
];

/** The label meaning "unknown" (CCT's ignore index): painted nowhere yet. */
export const IGNORE = 255;

/** RGB of a class (cycling past the table), grey for {@link IGNORE}. */
export function colourOf(label: number): [number, number, number] {
  return label === IGNORE ? [96, 96, 96] : COLOURS[label % COLOURS.length]!;
}

/**
 * Draws an image (H×W×C floats in [0, 1]) on a canvas, with `mask` blended over it (`alpha`; ignored pixels
 * left as the image), scaled to the canvas size.
 */
export function drawScene(canvas: HTMLCanvasElement, image: Float32Array, h: number, w: number, c: number, mask?: Int32Array, alpha = 0.55): void {
  const pixels = new ImageData(w, h);
  for (let i = 0; i < h * w; i++) {
    const g = [0, 1, 2].map((k) => image[i * c + Math.min(k, c - 1)]! * 255);
    let [r, gg, b] = g as [number, number, number];
    const m = mask?.[i];
    if (m !== undefined && m !== IGNORE && m !== 0) {
      const [cr, cg, cb] = colourOf(m);
      r = r * (1 - alpha) + cr * alpha;
      gg = gg * (1 - alpha) + cg * alpha;
      b = b * (1 - alpha) + cb * alpha;
    }
    pixels.data.set([r, gg, b, 255], i * 4);
  }
  const off = new OffscreenCanvas(w, h);
  off.getContext('2d')!.putImageData(pixels, 0, 0);
  const ctx = canvas.getContext('2d')!;
  ctx.imageSmoothingEnabled = false;
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  ctx.drawImage(off, 0, 0, canvas.width, canvas.height);
}

/** Draws a label map alone (class colours; ignored pixels grey), scaled to the canvas size. */
export function drawMask(canvas: HTMLCanvasElement, mask: Int32Array, h: number, w: number): void {
  const pixels = new ImageData(w, h);
  for (let i = 0; i < h * w; i++) pixels.data.set([...colourOf(mask[i]!), 255], i * 4);
  const off = new OffscreenCanvas(w, h);
  off.getContext('2d')!.putImageData(pixels, 0, 0);
  const ctx = canvas.getContext('2d')!;
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(off, 0, 0, canvas.width, canvas.height);
}
