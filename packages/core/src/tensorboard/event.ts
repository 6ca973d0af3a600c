// Browser-safe: no Node imports. TensorBoard's `Event` protos (tensorflow/core/util/event.proto, summary.proto).
import { BinaryReader, BinaryWriter, WireType } from '@bufbuild/protobuf/wire';

/** A scalar of a `Summary.Value`: `simple_value`, or a scalar `tensor` (TensorBoard's v2 summaries). */
export interface ScalarValue {
  tag: string;
  value: number;
}

/** `SessionLog.status` (START tells TensorBoard to drop later-step events of an earlier, abandoned run). */
export type SessionStatus = 'unspecified' | 'start' | 'stop' | 'checkpoint';
const SESSION_STATUS: SessionStatus[] = ['unspecified', 'start', 'stop', 'checkpoint'];

/** The parts of an `Event` LEL writes and reads. */
export interface TbEvent {
  /** Seconds since the epoch. */
  wallTime: number;
  step: number;
  /** Set on a file's first event (`brain.Event:2`). */
  fileVersion?: string;
  /** Scalar summary values (other summary kinds are skipped when reading). */
  scalars?: ScalarValue[];
  sessionLog?: { status: SessionStatus; msg?: string };
  /** `source_metadata.writer`. */
  writer?: string;
}

// TensorFlow DataType enum values for scalar tensors.
const DT_FLOAT = 1;
const DT_DOUBLE = 2;
const DT_INT32 = 3;
const DT_INT64 = 9;

function encodeValue(w: BinaryWriter, v: ScalarValue): void {
  w.tag(1, WireType.LengthDelimited).fork();
  w.tag(1, WireType.LengthDelimited).string(v.tag);
  w.tag(2, WireType.Bit32).float(v.value);
  w.join();
}

/** Serialise an {@link TbEvent} to `Event` proto bytes (scalars as `simple_value`, which every TensorBoard reads). */
export function encodeEvent(e: TbEvent): Uint8Array {
  const w = new BinaryWriter();
  w.tag(1, WireType.Bit64).double(e.wallTime);
  if (e.step !== 0) w.tag(2, WireType.Varint).int64(e.step);
  if (e.fileVersion !== undefined) w.tag(3, WireType.LengthDelimited).string(e.fileVersion);
  if (e.scalars && e.scalars.length > 0) {
    w.tag(5, WireType.LengthDelimited).fork();
    for (const v of e.scalars) encodeValue(w, v);
    w.join();
  }
  if (e.sessionLog) {
    w.tag(7, WireType.LengthDelimited).fork();
    w.tag(1, WireType.Varint).int32(SESSION_STATUS.indexOf(e.sessionLog.status));
    if (e.sessionLog.msg) w.tag(3, WireType.LengthDelimited).string(e.sessionLog.msg);
    w.join();
  }
  if (e.writer !== undefined) {
    w.tag(10, WireType.LengthDelimited).fork();
    w.tag(1, WireType.LengthDelimited).string(e.writer);
    w.join();
  }
  return w.finish();
}

/** Read a message's fields, calling `on(fieldNo, wireType)`; it returns false to skip the field. */
function readFields(bytes: Uint8Array, on: (r: BinaryReader, field: number, type: WireType) => boolean): void {
  const r = new BinaryReader(bytes);
  while (r.pos < r.len) {
    const [field, type] = r.tag();
    if (!on(r, field, type)) r.skip(type, field);
  }
}

/** The number in a scalar `TensorProto` (float/double/int val, or its `tensor_content`), or undefined. */
function tensorScalar(bytes: Uint8Array): number | undefined {
  let dtype = 0;
  let content: Uint8Array | undefined;
  let value: number | undefined;
  const packedOrOne = (r: BinaryReader, type: WireType, read: (r: BinaryReader) => number) => {
    if (type === WireType.LengthDelimited) {
      const sub = new BinaryReader(r.bytes());
      if (sub.pos < sub.len) value = read(sub);
    } else value = read(r);
  };
  readFields(bytes, (r, f, t) => {
    if (f === 1 && t === WireType.Varint) dtype = r.int32();
    else if (f === 4 && t === WireType.LengthDelimited) content = r.bytes();
    else if (f === 5) packedOrOne(r, t, (x) => x.float());
    else if (f === 6) packedOrOne(r, t, (x) => x.double());
    else if (f === 7) packedOrOne(r, t, (x) => x.int32());
    else if (f === 10) packedOrOne(r, t, (x) => Number(x.int64()));
    else return false;
    return true;
  });
  if (value !== undefined) return value;
  if (!content) return undefined;
  const v = new DataView(content.buffer, content.byteOffset, content.byteLength);
  if (dtype === DT_FLOAT && content.length >= 4) return v.getFloat32(0, true);
  if (dtype === DT_DOUBLE && content.length >= 8) return v.getFloat64(0, true);
  if (dtype === DT_INT32 && content.length >= 4) return v.getInt32(0, true);
  if (dtype === DT_INT64 && content.length >= 8) return Number(v.getBigInt64(0, true));
  return undefined;
}

function decodeValue(bytes: Uint8Array): ScalarValue | undefined {
  let tag = '';
  let value: number | undefined;
  readFields(bytes, (r, f, t) => {
    if (f === 1 && t === WireType.LengthDelimited) tag = r.string();
    else if (f === 2 && t === WireType.Bit32) value = r.float();
    else if (f === 8 && t === WireType.LengthDelimited) value ??= tensorScalar(r.bytes());
    else return false;
    return true;
  });
  return value === undefined ? undefined : { tag, value };
}

/** Parse `Event` proto bytes; fields LEL does not use (graphs, images, histograms) are skipped. */
export function decodeEvent(bytes: Uint8Array): TbEvent {
  const e: TbEvent = { wallTime: 0, step: 0 };
  readFields(bytes, (r, f, t) => {
    if (f === 1 && t === WireType.Bit64) e.wallTime = r.double();
    else if (f === 2 && t === WireType.Varint) e.step = Number(r.int64());
    else if (f === 3 && t === WireType.LengthDelimited) e.fileVersion = r.string();
    else if (f === 5 && t === WireType.LengthDelimited) {
      const scalars: ScalarValue[] = [];
      readFields(r.bytes(), (rs, fs, ts) => {
        if (fs !== 1 || ts !== WireType.LengthDelimited) return false;
        const v = decodeValue(rs.bytes());
        if (v) scalars.push(v);
        return true;
      });
      e.scalars = scalars;
    } else if (f === 7 && t === WireType.LengthDelimited) {
      const log: { status: SessionStatus; msg?: string } = { status: 'unspecified' };
      readFields(r.bytes(), (rs, fs, ts) => {
        if (fs === 1 && ts === WireType.Varint) log.status = SESSION_STATUS[rs.int32()] ?? 'unspecified';
        else if (fs === 3 && ts === WireType.LengthDelimited) log.msg = rs.string();
        else return false;
        return true;
      });
      e.sessionLog = log;
    } else if (f === 10 && t === WireType.LengthDelimited) {
      readFields(r.bytes(), (rs, fs, ts) => {
        if (fs !== 1 || ts !== WireType.LengthDelimited) return false;
        e.writer = rs.string();
        return true;
      });
    } else return false;
    return true;
  });
  return e;
}
