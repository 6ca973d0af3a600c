// Browser-safe: no Node imports. Whole event files → events → scalar series.
import { decodeEvent, encodeEvent, type TbEvent } from './event';
import { decodeTfRecords, encodeTfRecord } from './tfrecord';

/** The `file_version` of TensorBoard event files. */
export const EVENT_FILE_VERSION = 'brain.Event:2';

/** One point of a scalar series. */
export interface ScalarPoint {
  step: number;
  value: number;
  wallTime: number;
}

/** What {@link parseEventFile} found. */
export interface ParsedEventFile {
  events: TbEvent[];
  /** Bytes of an incomplete last record (a writer still running, or killed mid-write). */
  trailingBytes: number;
}

/** One framed `Event` record, ready to append to an event file. */
export function eventRecord(event: TbEvent): Uint8Array {
  return encodeTfRecord(encodeEvent(event));
}

/** Parse an event file's bytes (checksums checked; a torn last record is reported, not an error). */
export function parseEventFile(bytes: Uint8Array, source = 'event file'): ParsedEventFile {
  const { records, trailingBytes } = decodeTfRecords(bytes, source);
  const events = records.map((r, i) => {
    try {
      return decodeEvent(r);
    } catch (e) {
      throw new Error(`${source}: record ${i} is not an Event proto (${(e as Error).message})`);
    }
  });
  return { events, trailingBytes };
}

/**
 * Scalar series by tag from events in file order, with TensorBoard's purge rule: a `SessionLog` START at step s
 * (a run restarted from a checkpoint) drops the points at steps ≥ s written before it, so a resumed run shows
 * one curve.
 */
export function scalarSeries(events: Iterable<TbEvent>): Map<string, ScalarPoint[]> {
  const out = new Map<string, ScalarPoint[]>();
  for (const e of events) {
    if (e.sessionLog?.status === 'start' && e.step > 0) {
      for (const [tag, pts] of out) out.set(tag, pts.filter((p) => p.step < e.step));
    }
    for (const s of e.scalars ?? []) {
      if (!out.has(s.tag)) out.set(s.tag, []);
      out.get(s.tag)!.push({ step: e.step, value: s.value, wallTime: e.wallTime });
    }
  }
  return out;
}
