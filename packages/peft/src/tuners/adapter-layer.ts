import type { Module, Parameter } from '@lel/core';

/**
 * What every injected adapter layer (LoRA, KronA, KronA^B, RelBitFit attention) offers the
 * {@link PeftModel}: several named adapters, one active, a switch that disables them all, merge/unmerge
 * when the adapter is linear in the base weight. `BaseAdapterLayer` implements the bookkeeping once.
 */
export interface AdapterLayer extends Module {
  readonly isAdapterLayer: true;
  /** The module this layer replaced (restored by `unload`). */
  readonly baseLayer: Module;
  /** Adapter selected on this layer; `null` runs the base layer alone. */
  activeAdapter: string | null;
  /** False while adapters are disabled (the base layer runs alone, the active adapter is kept). */
  readonly adaptersEnabled: boolean;
  enableAdapters(enabled: boolean): void;
  adapterNames(): string[];
  hasAdapter(name: string): boolean;
  /**
   * The adapter's own tensors as `[localName, parameter]`, where the parameter's full name in the model
   * is `<layer path>.<localName>.<adapter>` and its key in a saved adapter file `<layer path>.<localName>`.
   * Layers sharing tensors with another layer (tying) return none for the shared ones.
   */
  adapterParameters(name: string): [string, Parameter][];
  deleteAdapter(name: string): void;
  /** Delete every adapter, leaving a merged update in the base weights. */
  deleteAllAdapters(): void;
  /** Whether the active adapter can be folded into the base weight. */
  readonly mergeable: boolean;
  /** Name of the adapter folded into the base weight, or null. */
  readonly mergedAdapter: string | null;
  merge(name: string): void;
  unmerge(): void;
}

/** Type guard for {@link AdapterLayer}. */
export function isAdapterLayer(m: Module): m is AdapterLayer {
  return (m as unknown as Partial<AdapterLayer>).isAdapterLayer === true;
}

/** Throws when `name` cannot be an adapter name (it becomes a parameter-name segment). */
export function assertAdapterName(name: string): void {
  if (!/^[A-Za-z0-9_-]+$/.test(name)) {
    throw new Error(`adapter name "${name}" is invalid: use letters, digits, "_" or "-" (it becomes part of parameter names)`);
  }
}
