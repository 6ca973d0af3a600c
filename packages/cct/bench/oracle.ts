import { makeDigitScenes } from '@lel/datasets/node';
for (const size of [32, 48, 64]) {
  const d = makeDigitScenes({ n: 256, size, seed: 'bench-train', split: 'train', variant: 'easy' });
  let fg = 0;
  for (const v of d.masks) if (v > 0 && v !== 255) fg++;
  const res: string[] = [];
  for (const s of [1, 2, 4, 8]) {
    // coarse oracle: majority label per s×s cell, nearest upsample; mIoU over 11 classes
    const C = 11;
    const inter = new Float64Array(C), uni = new Float64Array(C);
    for (let i = 0; i < d.n; i++) {
      const m = d.masks.subarray(i * size * size, (i + 1) * size * size);
      for (let cy = 0; cy < size; cy += s) for (let cx = 0; cx < size; cx += s) {
        const cnt = new Array<number>(256).fill(0);
        for (let y = cy; y < cy + s; y++) for (let x = cx; x < cx + s; x++) cnt[m[y * size + x]!]!++;
        let best = 0; for (let c = 1; c < C; c++) if (cnt[c]! > cnt[best]!) best = c;
        for (let y = cy; y < cy + s; y++) for (let x = cx; x < cx + s; x++) {
          const t = m[y * size + x]!; if (t === 255) continue;
          if (t === best) inter[t] = inter[t]! + 1; else { uni[t] = uni[t]! + 1; uni[best] = uni[best]! + 1; }
        }
      }
    }
    let miou = 0; for (let c = 0; c < C; c++) miou += inter[c]! / Math.max(1, inter[c]! + uni[c]!);
    res.push(`s${s}: ${(100 * miou / C).toFixed(1)}`);
  }
  console.log(`size ${size}: fg ${(100 * fg / d.masks.length).toFixed(1)}%  oracle coarse mIoU ${res.join(' ')}`);
}
