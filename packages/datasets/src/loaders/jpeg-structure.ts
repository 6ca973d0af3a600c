// Decoder-independent validation of a JPEG before it is decoded: the marker segments up to the first scan lie
// inside the file, a frame header (SOFn) declares a size within the pixel limit, an EOI marker follows the scan
// (a file cut short is refused rather than decoded with a missing bottom), and the image data is large enough
// for the declared size: Huffman coding spends at least one bit on each 8×8 block (its DC code), so a 2 KB
// file cannot hold 60 megapixels — decoders would allocate for the header and zero-fill the rest.
import { DatasetError } from '../errors';
import { LimitExceededError } from '../limits';

/** What {@link inspectJpeg} read from the frame header. */
export interface JpegInfo {
  width: number;
  height: number;
  components: number;
}

// Frame headers: SOF0–SOF15 except DHT (C4), JPG (C8) and DAC (CC).
const isSof = (m: number): boolean => m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc;

/**
 * Validate the structure of a JPEG and return its frame size.
 * @throws LimitExceededError when width × height exceeds `maxImagePixels` (checked from the frame header)
 * @throws DatasetError naming the file and the defect for anything else
 */
export function inspectJpeg(bytes: Uint8Array, file: string, maxImagePixels: number): JpegInfo {
  const bad = (defect: string): DatasetError => new DatasetError(file, `unreadable image: ${defect}`);
  if (bytes.length < 4 || bytes[0] !== 0xff || bytes[1] !== 0xd8) throw bad('not a JPEG (no SOI marker)');
  let at = 2;
  let frame: JpegInfo | null = null;
  let scan = -1;
  while (at + 1 < bytes.length) {
    if (bytes[at] !== 0xff) throw bad(`corrupt JPEG: expected a marker at byte ${at}, found 0x${bytes[at]!.toString(16)}`);
    const marker = bytes[at + 1]!;
    if (marker === 0xff) {
      at++; // fill byte
      continue;
    }
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd8)) {
      at += 2; // markers without a length
      continue;
    }
    if (marker === 0xd9) throw bad('corrupt JPEG: the image ends (EOI) before any scan');
    if (at + 4 > bytes.length) break;
    const len = (bytes[at + 2]! << 8) | bytes[at + 3]!;
    if (len < 2) throw bad(`corrupt JPEG: segment 0xff${marker.toString(16)} at byte ${at} has length ${len}`);
    if (at + 2 + len > bytes.length) throw bad(`truncated JPEG: segment 0xff${marker.toString(16)} at byte ${at} runs past the end of the file`);
    if (isSof(marker)) {
      // jpeg-js (and most browsers' fallbacks) decode Huffman-coded baseline, extended and progressive frames only.
      if (marker !== 0xc0 && marker !== 0xc1 && marker !== 0xc2) {
        throw bad(`unsupported JPEG: frame type SOF${marker - 0xc0} (${marker === 0xc3 || marker === 0xc7 || marker === 0xcb || marker === 0xcf ? 'lossless' : marker >= 0xc9 ? 'arithmetic coding' : 'hierarchical'})`);
      }
      if (len < 8) throw bad(`corrupt JPEG: frame header of ${len} bytes`);
      const height = (bytes[at + 5]! << 8) | bytes[at + 6]!;
      const width = (bytes[at + 7]! << 8) | bytes[at + 8]!;
      if (width === 0 || height === 0) throw bad(`unsupported JPEG: frame size ${width}×${height} (a height given later by a DNL marker is not supported)`);
      if (width * height > maxImagePixels) {
        throw new LimitExceededError(file, 'maxImagePixels', maxImagePixels, width * height, `a JPEG of ${width}×${height} = ${(width * height).toLocaleString('en-US')} pixels`);
      }
      frame = { width, height, components: bytes[at + 9]! };
    }
    if (marker === 0xda) {
      scan = at + 2 + len;
      break;
    }
    at += 2 + len;
  }
  if (scan < 0) throw bad('truncated JPEG: the file ends before its image data (no SOS marker)');
  if (!frame) throw bad('corrupt JPEG: image data without a frame header (SOF)');
  // Entropy-coded data escapes 0xFF as 0xFF00, so 0xFFD9 there is the EOI marker.
  let eoi = -1;
  for (let i = bytes.length - 2; i >= scan; i--) {
    if (bytes[i] === 0xff && bytes[i + 1] === 0xd9) {
      eoi = i;
      break;
    }
  }
  if (eoi < 0) throw bad('truncated JPEG: no EOI marker after the image data (the file was cut short)');
  const blocks = Math.ceil(frame.width / 8) * Math.ceil(frame.height / 8);
  if ((eoi - scan) * 8 < blocks) {
    throw bad(`truncated JPEG: ${eoi - scan} bytes of image data cannot code the ${blocks} blocks of a ${frame.width}×${frame.height} image (at least one bit each)`);
  }
  return frame;
}
