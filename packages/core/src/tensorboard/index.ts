// Barrel of tensorboard: explicit named exports only. tfrecord/event/event-file are browser-safe; writer, reader
// and callback use node:fs.
export { crc32c, maskedCrc32c, encodeTfRecord, decodeTfRecords } from './tfrecord';
export type { DecodedTfRecords } from './tfrecord';
export { encodeEvent, decodeEvent } from './event';
export type { TbEvent, ScalarValue, SessionStatus } from './event';
export { EVENT_FILE_VERSION, eventRecord, parseEventFile, scalarSeries } from './event-file';
export type { ParsedEventFile, ScalarPoint } from './event-file';
