import { SwaCallback } from '@lel/swa';
import type { Module, TrainContext } from '@lel/core';
import type { SwaOption } from './common';

/** What a recipe gives to wire SWA into its run. */
export interface SwaWiring<B> {
  evaluate: (model: Module, ctx: TrainContext) => Promise<Record<string, number>> | Record<string, number>;
  /** BatchNorm statistics pass for the averaged weights (models with BatchNorm). */
  bnData?: () => Iterable<B>;
  bnForward?: (model: Module, batch: B) => void;
}

/** The SWA callback for a recipe's `swa` config, or undefined when `swa.enabled` is false. */
export function swaCallback<B>(option: SwaOption, wiring: SwaWiring<B>): SwaCallback<B> | undefined {
  if (!option.enabled) return undefined;
  const { enabled: _e, ...config } = option;
  return new SwaCallback<B>({
    ...config,
    evaluate: wiring.evaluate,
    ...(wiring.bnData ? { bnData: wiring.bnData } : {}),
    ...(wiring.bnForward ? { bnForward: wiring.bnForward } : {}),
  });
}
