import { SwaCallback, swaLrSchedule } from '@lel/swa';
import { defineMethod, type AnyMethod, type LrScheduleLike, type Module, type TrainContext } from '@lel/core';
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
  const { enabled: _e, lr: _lr, annealSteps: _a, ...config } = option;
  return new SwaCallback<B>({
    ...config,
    evaluate: wiring.evaluate,
    ...(wiring.bnData ? { bnData: wiring.bnData } : {}),
    ...(wiring.bnForward ? { bnForward: wiring.bnForward } : {}),
  });
}

/**
 * The method with SWALR on top of its schedule when `swa.enabled` and `swa.lr` are set (else the method itself):
 * from the step averaging starts — `swaStart` of the run's planned steps, as `SwaCallback` counts them (`maxSteps`,
 * or epochs × steps per epoch) — the learning rate anneals (cosine, `annealSteps`) to `swa.lr` and stays there.
 * Every optimiser gets it (those without a schedule start from their own `lr`).
 */
export function withSwaLr<M extends AnyMethod>(method: M, option: SwaOption, maxSteps: number | undefined): M {
  if (!option.enabled || option.lr === null) return method;
  const swaLr = option.lr;
  return defineMethod({
    ...method,
    async build(config, data) {
      const parts = await method.build(config, data);
      const byEpochs = parts.epochs !== undefined && parts.stepsPerEpoch !== undefined ? parts.epochs * parts.stepsPerEpoch : undefined;
      const caps = [byEpochs, parts.maxSteps, maxSteps].filter((v): v is number => v !== undefined);
      if (caps.length === 0) throw new Error(`swa.lr: the length of the ${method.name} run is unknown (no epochs × steps per epoch, no train.maxSteps), so SWALR cannot know when averaging starts`);
      const startStep = option.unit === 'epoch' && parts.stepsPerEpoch !== undefined
        ? Math.floor(option.swaStart * Math.round(Math.min(...caps) / parts.stepsPerEpoch)) * parts.stepsPerEpoch
        : Math.floor(option.swaStart * Math.min(...caps));
      const wrap = (base: number | LrScheduleLike) => swaLrSchedule({ base, swaLr, startStep, annealEpochs: option.annealSteps, unit: 'step' });
      const optimizers = Array.isArray(parts.optimizers) ? parts.optimizers : [parts.optimizers];
      const schedule = parts.schedule === undefined ? optimizers.map((o) => wrap(o.lr)) : Array.isArray(parts.schedule) ? parts.schedule.map(wrap) : wrap(parts.schedule);
      return { ...parts, schedule };
    },
  }) as unknown as M;
}
