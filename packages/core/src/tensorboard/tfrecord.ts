// Browser-safe: no Node imports. TFRecord framing as TensorFlow writes it (tensorflow/core/lib/io/record_writer.cc).
import * as crc32cModule from 'crc-32/crc32c.js';

interface Crc32c {
  buf(data: Uint8Array, seed?: number): number;
}
// crc-32's UMD build: the functions sit on `default` under Node's ESM loader, on the namespace elsewhere.
const CRC32C: Crc32c = ((crc32cModule as unknown as { default?: Crc32c }).default ?? crc32cModule) as Crc32c;

const MASK_DELTA = 0xa282ead8;

/** CRC-32C (Castagnoli) of `data`, unsigned (SheetJS `crc-32`). */
export function crc32c(data: Uint8Array): number {
  return CRC32C.buf(data) >>> 0;
}

/** TFRecord's masked CRC-32C: `((crc >>> 15) | (crc << 17)) + 0xa282ead8` (mod 2³²), so CRCs of CRCs stay strong. */
export function maskedCrc32c(data: Uint8Array): number {
  const crc = crc32c(data);
  return ((((crc >>> 15) | (crc << 17)) >>> 0) + MASK_DELTA) >>> 0;
}

/** Frame one record: `uint64 length · uint32 masked_crc(length) · data · uint32 masked_crc(data)`, little-endian. */
export function encodeTfRecord(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length + 4);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(data.length), true);
  view.setUint32(8, maskedCrc32c(out.subarray(0, 8)), true);
  out.set(data, 12);
  view.setUint32(12 + data.length, maskedCrc32c(data), true);
  return out;
}

/** What {@link decodeTfRecords} found. */
export interface DecodedTfRecords {
  /** Payloads of the complete, checksum-valid records, in order (views into the input). */
  records: Uint8Array[];
  /** Bytes after the last complete record: a record being written, or torn by a crash (not an error). */
  trailingBytes: number;
}

/**
 * Split a TFRecord stream into payloads, checking both CRCs of every record. An incomplete record at the end
 * (a writer still running or killed mid-write) is reported in `trailingBytes`, not as an error; a complete
 * record whose checksum is wrong throws, naming `source` and the byte offset.
 */
export function decodeTfRecords(bytes: Uint8Array, source = 'TFRecord data'): DecodedTfRecords {
  const records: Uint8Array[] = [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = 0;
  while (pos < bytes.length) {
    if (bytes.length - pos < 12) break;
    const lenBytes = bytes.subarray(pos, pos + 8);
    if (view.getUint32(pos + 8, true) !== maskedCrc32c(lenBytes)) {
      throw new Error(`${source}: record at byte ${pos} has a corrupt length (length checksum mismatch)`);
    }
    const len = view.getBigUint64(pos, true);
    if (len > BigInt(bytes.length - pos - 16)) break;
    const n = Number(len);
    const data = bytes.subarray(pos + 12, pos + 12 + n);
    if (view.getUint32(pos + 12 + n, true) !== maskedCrc32c(data)) {
      throw new Error(`${source}: record at byte ${pos} (${n} bytes) is corrupt (data checksum mismatch)`);
    }
    records.push(data);
    pos += 16 + n;
  }
  return { records, trailingBytes: bytes.length - pos };
}
