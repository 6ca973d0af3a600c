import type { HwcImage } from './image';

/**
 * Bilinear resize of an HWC image (plain arrays; `resizeBilinear` is the tensor op) with half-pixel centres (TF `align_corners=false`,
 * `half_pixel_centers=true`), so a constant image stays constant and no half-pixel shift creeps in.
 */
export function resizeImageBilinear(image: HwcImage, outH: number, outW: number): HwcImage {
  const { data, height: h, width: w, channels: c } = image;
  const out = new Float32Array(outH * outW * c);
  const sy = h / outH;
  const sx = w / outW;
  for (let y = 0; y < outH; y++) {
    const fy = Math.min(h - 1, Math.max(0, (y + 0.5) * sy - 0.5));
    const y0 = Math.floor(fy);
    const y1 = Math.min(h - 1, y0 + 1);
    const wy = fy - y0;
    for (let x = 0; x < outW; x++) {
      const fx = Math.min(w - 1, Math.max(0, (x + 0.5) * sx - 0.5));
      const x0 = Math.floor(fx);
      const x1 = Math.min(w - 1, x0 + 1);
      const wx = fx - x0;
      for (let k = 0; k < c; k++) {
        const a = data[(y0 * w + x0) * c + k]!;
        const b = data[(y0 * w + x1) * c + k]!;
        const d = data[(y1 * w + x0) * c + k]!;
        const e = data[(y1 * w + x1) * c + k]!;
        out[(y * outW + x) * c + k] = (1 - wy) * ((1 - wx) * a + wx * b) + wy * ((1 - wx) * d + wx * e);
      }
    }
  }
  return { data: out, height: outH, width: outW, channels: c };
}

/**
 * Nearest-neighbour resize of a label mask (plain arrays; `resizeNearest` is the tensor op) (H·W class indices). Labels are never interpolated, so every output
 * value is a value of the input: the resize is label-consistent.
 */
export function resizeMaskNearest(mask: Int32Array, h: number, w: number, outH: number, outW: number): Int32Array {
  const out = new Int32Array(outH * outW);
  for (let y = 0; y < outH; y++) {
    const sy = Math.min(h - 1, Math.floor(((y + 0.5) * h) / outH));
    for (let x = 0; x < outW; x++) {
      const sx = Math.min(w - 1, Math.floor(((x + 0.5) * w) / outW));
      out[y * outW + x] = mask[sy * w + sx]!;
    }
  }
  return out;
}
