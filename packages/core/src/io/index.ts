// Barrel of io: explicit named exports only.
export {
  parseSafetensors,
  serializeSafetensors,
  toTensorMap,
  safetensorsDtypeSize,
  SafetensorsError,
  SAFETENSORS_MAX_HEADER_SIZE,
  SAFETENSORS_DEFAULT_LIMITS,
} from './safetensors';
export type {
  SafetensorsDtype,
  SafetensorsData,
  SafetensorsTensor,
  ParsedSafetensor,
  ParsedSafetensors,
  SafetensorsErrorCode,
  SafetensorsLimitName,
  SafetensorsLimits,
  ParseSafetensorsOptions,
  SafetensorsInput,
  SerializeSafetensorsOptions,
} from './safetensors';
export { readSafetensorsFile, writeSafetensorsFile } from './safetensors-file';
export { writeFileAtomic, writeFileAtomicSync } from './atomic-write';
export { f16BitsToFloat, floatToF16Bits, bf16BitsToFloat, floatToBf16Bits } from './float16';
