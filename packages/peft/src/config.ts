import { z } from 'zod';
import { validateConfig } from '@lel/core';
import { bitFitConfigSchema } from './tuners/bitfit/config';
import { kronaConfigSchema } from './tuners/krona/config';
import { loraConfigSchema } from './tuners/lora/config';
import { relBitFitConfigSchema } from './tuners/relbitfit/config';

/** Any method's config, discriminated by `method`. */
export const peftConfigSchema = z.discriminatedUnion('method', [bitFitConfigSchema, relBitFitConfigSchema, kronaConfigSchema, loraConfigSchema]);

export type PeftConfig = z.input<typeof peftConfigSchema>;
export type ResolvedPeftConfig = z.output<typeof peftConfigSchema>;
export type PeftMethod = ResolvedPeftConfig['method'];

/** Validate and fill defaults; errors name the offending key. */
export function resolvePeftConfig(raw: unknown): ResolvedPeftConfig {
  return validateConfig(peftConfigSchema, raw);
}
