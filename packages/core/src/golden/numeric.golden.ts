import type { GoldenHandler } from '../testing/golden';

/** Golden handlers for metrics, optimisers, schedules, clipping and safetensors. */
export const numericHandlers: Record<string, GoldenHandler> = {};
