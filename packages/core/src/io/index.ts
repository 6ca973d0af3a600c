// Barrel of io (browser-safe: bytes in, bytes out; files are ../node.ts's): explicit named exports only.
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
export { f16BitsToFloat, floatToF16Bits, bf16BitsToFloat, floatToBf16Bits } from './float16';
