import * as tf from '@tensorflow/tfjs-core';
import { Module, type Parameter } from '@lel/core';
import { ParameterDict } from '../module-surgery';
import { assertAdapterName, type AdapterLayer } from './adapter-layer';

/**
 * The adapter bookkeeping every injected layer shares (peft's `BaseTunerLayer`): named adapters with
 * their settings `S`, one active adapter, an enabled/disabled switch, the per-adapter tensors kept in
 * {@link ParameterDict}s (so they are named `<layer>.<dict>.<adapter>`), deletion, and merge/unmerge
 * bookkeeping. Subclasses add their tensors through {@link adapterDict} and implement the forward pass
 * and, when the adapter is linear in a base weight, {@link applyMerge}.
 */
export abstract class BaseAdapterLayer<S> extends Module implements AdapterLayer {
  readonly isAdapterLayer = true as const;
  abstract readonly mergeable: boolean;
  /** Method name used in error messages (`LoRA`, `KronA`, …). */
  protected abstract readonly method: string;
  private readonly specs = new Map<string, S>();
  private readonly dicts: [string, ParameterDict][] = [];
  private active: string | null = null;
  private enabled = true;
  private merged: string | null = null;

  constructor(readonly baseLayer: Module) {
    super();
  }

  /** The adapter selected on this layer (it runs when adapters are enabled and nothing is merged). */
  get activeAdapter(): string | null {
    return this.active;
  }

  set activeAdapter(name: string | null) {
    if (name !== null) this.spec(name);
    this.active = name;
  }

  /** False while adapters are disabled: the forward pass runs the base layer alone. */
  get adaptersEnabled(): boolean {
    return this.enabled;
  }

  enableAdapters(enabled: boolean): void {
    this.enabled = enabled;
  }

  /** The adapter the forward pass applies now: the active one when enabled and not merged, else null. */
  protected get runningAdapter(): string | null {
    return this.enabled && this.merged === null ? this.active : null;
  }

  get mergedAdapter(): string | null {
    return this.merged;
  }

  adapterNames(): string[] {
    return [...this.specs.keys()];
  }

  hasAdapter(name: string): boolean {
    return this.specs.has(name);
  }

  /** Settings of adapter `name`; throws naming the adapters this layer has. */
  protected spec(name: string): S {
    const s = this.specs.get(name);
    if (s === undefined) throw new Error(`${this.method}: no adapter "${name}" on this layer (have: ${this.adapterNames().join(', ') || 'none'})`);
    return s;
  }

  /** Record adapter `name` (validated, unique); call before creating its tensors. */
  protected registerAdapter(name: string, spec: S): void {
    assertAdapterName(name);
    if (this.specs.has(name)) throw new Error(`${this.method}: adapter "${name}" already exists on this layer`);
    this.specs.set(name, spec);
  }

  /** Register a per-adapter tensor dict under `localName` (e.g. `lora_A`); call in the constructor. */
  protected adapterDict(localName: string): ParameterDict {
    const d = this.registerModule(localName, new ParameterDict());
    this.dicts.push([localName, d]);
    return d;
  }

  /**
   * Adapter `name`'s own tensors as `[localName, parameter]` (every dict holding an entry for it); a layer
   * that reads tied tensors from another layer holds none of them.
   */
  adapterParameters(name: string): [string, Parameter][] {
    this.spec(name);
    return this.dicts.filter(([, d]) => d.has(name)).map(([local, d]) => [local, d.get(name)]);
  }

  /** Remove adapter `name` and dispose its tensors (a merged adapter must be unmerged first). */
  deleteAdapter(name: string): void {
    const spec = this.spec(name);
    if (this.merged === name) throw new Error(`${this.method}: adapter "${name}" is merged; unmerge it before deleting it`);
    for (const [, d] of this.dicts) if (d.has(name)) d.delete(name);
    this.onDeleteAdapter(name, spec);
    this.specs.delete(name);
    if (this.active === name) this.active = null;
  }

  /**
   * Delete every adapter, leaving a merged update in the base weights (peft's `merge_and_unload` on a
   * layer that is then dropped from the model).
   */
  deleteAllAdapters(): void {
    this.merged = null;
    for (const name of this.adapterNames()) this.deleteAdapter(name);
  }

  /** Hook for state outside the dicts (generators, side tables). */
  protected onDeleteAdapter(_name: string, _spec: S): void {}

  /** Fold adapter `name` into the base weights (only when {@link mergeable}). */
  merge(name: string): void {
    if (!this.mergeable) throw new Error(this.mergeRefusal());
    if (this.merged !== null) throw new Error(`${this.method}.merge: adapter "${this.merged}" is already merged; unmerge first`);
    this.spec(name);
    tf.tidy(() => this.applyMerge(name, 1));
    this.merged = name;
  }

  /** Undo {@link merge} (nothing to do when nothing is merged). */
  unmerge(): void {
    if (this.merged === null) return;
    const name = this.merged;
    tf.tidy(() => this.applyMerge(name, -1));
    this.merged = null;
  }

  /** Add (`sign` 1) or subtract (−1) adapter `name`'s update to the base weights. */
  protected applyMerge(_name: string, _sign: 1 | -1): void {
    throw new Error(this.mergeRefusal());
  }

  /** Why this layer cannot be merged. */
  protected mergeRefusal(): string {
    return `${this.method} cannot be merged into the base layer`;
  }
}

