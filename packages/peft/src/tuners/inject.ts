import type { Module } from '@lel/core';

/** What injecting one adapter did to a model. */
export interface InjectResult {
  /** Paths of the adapter layers that now hold the adapter. */
  layers: string[];
  /** Base-model parameters the adapter trains and owns (BitFit biases, `modulesToSave`), by full name. */
  owned: string[];
}

/** Injects one method's adapter named `adapterName` into `model`. */
export type Injector<C> = (model: Module, adapterName: string, config: C) => InjectResult;
