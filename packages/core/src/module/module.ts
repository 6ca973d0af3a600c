import * as tf from '@tensorflow/tfjs-core';
import type { Rng, RngState } from '../random/rng';
import { Parameter } from './parameter';

/** A predicate or pattern selecting parameters by hierarchical name. */
export type NameMatcher = RegExp | string | ((name: string) => boolean);

/** Turns a {@link NameMatcher} into a predicate; a string matches the full name or a dotted suffix. */
export function toNamePredicate(m: NameMatcher): (name: string) => boolean {
  if (typeof m === 'function') return m;
  if (typeof m === 'string') return (n) => n === m || n.endsWith('.' + m);
  return (n) => {
    m.lastIndex = 0;
    return m.test(n);
  };
}

/** Parameter counts, as peft's `print_trainable_parameters`. */
export interface ParameterCounts {
  trainable: number;
  all: number;
  /** 100 · trainable / all. */
  percent: number;
}

/** Result of {@link Module.loadStateDict}. */
export interface LoadReport {
  missing: string[];
  unexpected: string[];
  mismatched: { name: string; expected: number[]; got: number[] }[];
}

/**
 * The non-tensor state of a module tree that checkpoints save beside its tensors (see
 * {@link Module.extraStateDict}): what a module draws its random masks from and what it counts.
 */
export interface ModuleExtraState {
  /** States of the generators registered with `registerGenerator`, by dotted name (`backbone.layer1.0.rng`). */
  generators: Record<string, RngState>;
  /** JSON states returned by the modules' {@link Module.extraState}, by dotted module path (`''` = the root). */
  modules: Record<string, unknown>;
}

/** Options of {@link Module.loadExtraStateDict}. */
export interface LoadExtraStateOptions {
  /** Refuse (default) a state whose generator or module names differ from the tree's, changing nothing. */
  strict?: boolean;
}

/**
 * Base class of the module tree (in the spirit of `torch.nn.Module`): parameters, buffers and child
 * modules registered under names, giving hierarchical dotted names, train/eval mode, freezing by pattern,
 * and state dicts for checkpoints. Subclasses define their own `forward(...)`.
 */
export class Module {
  /** Training mode (dropout active, batch-norm uses batch statistics). */
  training = true;
  private readonly _params = new Map<string, Parameter>();
  private readonly _buffers = new Map<string, tf.Variable>();
  private readonly _children = new Map<string, Module>();
  private readonly _generators = new Map<string, Rng>();

  /** Register a parameter; the module takes ownership of `value`'s data (it is copied into a variable). */
  protected registerParameter(name: string, value: tf.Tensor, trainable = true): Parameter {
    this.checkName(name);
    const p = new Parameter(value, trainable);
    value.dispose();
    this._params.set(name, p);
    return p;
  }

  /** This module's own parameter `name` (not a descendant's), if registered. */
  protected ownParameter(name: string): Parameter | undefined {
    return this._params.get(name);
  }

  /** Names of this module's own parameters, in registration order. */
  protected ownParameterNames(): string[] {
    return [...this._params.keys()];
  }

  /** Remove and dispose this module's own parameter `name` (dictionaries of per-adapter tensors need it). */
  protected deleteParameter(name: string): void {
    const p = this._params.get(name);
    if (!p) throw new Error(`Module.deleteParameter: no parameter "${name}" (have: ${this.ownParameterNames().join(', ') || 'none'})`);
    this._params.delete(name);
    p.dispose();
  }

  /** Register non-trainable state (running statistics, step counters) saved with the weights. */
  protected registerBuffer(name: string, value: tf.Tensor): tf.Variable {
    this.checkName(name);
    const v = tf.variable(value, false, undefined, value.dtype);
    value.dispose();
    this._buffers.set(name, v);
    return v;
  }

  /**
   * Register a generator the module draws from while it runs (dropout / DropBlock masks, noise), so that its
   * state is part of the module's state: {@link extraStateDict} saves it, checkpoints keep it, a resumed run
   * draws the same masks. Several modules may register the same generator (a model built with one `Rng`).
   * Generators used only to initialise weights need no registration. Returns `rng`.
   */
  protected registerGenerator(name: string, rng: Rng): Rng {
    this.checkName(name);
    this._generators.set(name, rng);
    return rng;
  }

  /** Unregister this module's own generator `name` (per-adapter generators, when the adapter is deleted). */
  protected deleteGenerator(name: string): void {
    if (!this._generators.delete(name)) {
      throw new Error(`Module.deleteGenerator: no generator "${name}" (have: ${[...this._generators.keys()].join(', ') || 'none'})`);
    }
  }

  /** Register a child module under `name`. */
  registerModule<M extends Module>(name: string, module: M): M {
    this.checkName(name);
    this._children.set(name, module);
    return module;
  }

  private checkName(name: string): void {
    if (!name || name.includes('.')) throw new Error(`Module: invalid member name "${name}" (non-empty, no dots)`);
    if (this._params.has(name) || this._buffers.has(name) || this._children.has(name) || this._generators.has(name)) {
      throw new Error(`Module: "${name}" is already registered`);
    }
  }

  /**
   * Replace the sub-module at dotted `path` (e.g. `encoder.layer.0.attention.self.query`) by `replacement`,
   * keeping its name and position, and return the module it replaced (not disposed: adapters usually wrap
   * it). Fields of the parent that referenced the old module (`this.query = registerModule(...)`) and
   * `ModuleList` items are updated too, so forward passes use the replacement.
   */
  replaceModule<M extends Module>(path: string, replacement: M): Module {
    const parts = path.split('.');
    const last = parts.pop();
    if (!last) throw new Error('Module.replaceModule: empty path');
    const parent = parts.length ? this.getModule(parts.join('.')) : this;
    const old = parent._children.get(last);
    if (!old) {
      const known = [...parent._children.keys()].join(', ') || 'none';
      throw new Error(`Module.replaceModule: no sub-module "${path}" (children of its parent: ${known})`);
    }
    parent._children.set(last, replacement);
    const fields = parent as unknown as Record<string, unknown>;
    for (const key of Object.keys(fields)) if (fields[key] === old) fields[key] = replacement;
    if (parent instanceof ModuleList) {
      const i = parent.items.indexOf(old);
      if (i >= 0) parent.items[i] = replacement;
    }
    return old;
  }

  /** The sub-module at dotted `path` ('' = this module). */
  getModule(path: string): Module {
    if (path === '') return this;
    return path.split('.').reduce<Module>((m, p) => {
      const next = m._children.get(p);
      if (!next) throw new Error(`Module.getModule: no sub-module "${path}" (missing "${p}")`);
      return next;
    }, this);
  }

  /** Direct children, in registration order. */
  children(): [string, Module][] {
    return [...this._children.entries()];
  }

  /** Every module in the tree (this one first, with name ''), depth first. */
  namedModules(prefix = ''): [string, Module][] {
    const out: [string, Module][] = [[prefix, this]];
    for (const [n, c] of this._children) out.push(...c.namedModules(prefix ? `${prefix}.${n}` : n));
    return out;
  }

  /** Every parameter with its hierarchical dotted name. */
  namedParameters(prefix = ''): [string, Parameter][] {
    const out: [string, Parameter][] = [];
    for (const [n, p] of this._params) out.push([prefix ? `${prefix}.${n}` : n, p]);
    for (const [n, c] of this._children) out.push(...c.namedParameters(prefix ? `${prefix}.${n}` : n));
    return out;
  }

  /** Every buffer with its hierarchical dotted name. */
  namedBuffers(prefix = ''): [string, tf.Variable][] {
    const out: [string, tf.Variable][] = [];
    for (const [n, b] of this._buffers) out.push([prefix ? `${prefix}.${n}` : n, b]);
    for (const [n, c] of this._children) out.push(...c.namedBuffers(prefix ? `${prefix}.${n}` : n));
    return out;
  }

  /** Every registered generator with its hierarchical dotted name (a shared generator appears under each name). */
  namedGenerators(prefix = ''): [string, Rng][] {
    const out: [string, Rng][] = [];
    for (const [n, g] of this._generators) out.push([prefix ? `${prefix}.${n}` : n, g]);
    for (const [n, c] of this._children) out.push(...c.namedGenerators(prefix ? `${prefix}.${n}` : n));
    return out;
  }

  /**
   * This module's own non-tensor state besides its generators (not its children's), JSON-serialisable:
   * step counters that drive schedules (e.g. DropBlock's), saved in checkpoints by {@link extraStateDict}.
   * Override together with {@link loadExtraState} (as PyTorch's `get_extra_state` / `set_extra_state`); a
   * module that does not override it has none. Keep tensors in buffers instead.
   */
  extraState(): unknown {
    return undefined;
  }

  /** Restore what {@link extraState} returned. Modules that override `extraState` must override this too. */
  loadExtraState(state: unknown): void {
    throw new Error(`${this.constructor.name}.loadExtraState: not implemented, cannot restore ${JSON.stringify(state)}`);
  }

  /** Whether this module (not its children) overrides {@link extraState}. */
  hasExtraState(): boolean {
    return this.extraState !== Module.prototype.extraState;
  }

  /**
   * The tree's non-tensor state: every registered generator's state and every module's {@link extraState},
   * by dotted name. Checkpoints save it beside {@link stateDict} so a resumed run continues bit-exactly.
   * Reading a generator's state drops its cached Box–Muller normal (see `Rng.state`).
   */
  extraStateDict(): ModuleExtraState {
    const generators: Record<string, RngState> = {};
    for (const [n, g] of this.namedGenerators()) generators[n] = g.state();
    const modules: Record<string, unknown> = {};
    for (const [n, m] of this.namedModules()) if (m.hasExtraState()) modules[n] = m.extraState();
    return { generators, modules };
  }

  /**
   * Differences between `state` and the tree's generators and stateful modules (missing / unexpected names),
   * as human-readable lines; empty when they match.
   */
  compareExtraState(state: ModuleExtraState): string[] {
    const problems: string[] = [];
    const gens = new Set(this.namedGenerators().map(([n]) => n));
    const savedGens = state.generators ?? {};
    for (const n of gens) if (!(n in savedGens)) problems.push(`missing:    generator ${n}`);
    for (const n of Object.keys(savedGens)) if (!gens.has(n)) problems.push(`unexpected: generator ${n}`);
    const mods = new Set(this.namedModules().filter(([, m]) => m.hasExtraState()).map(([n]) => n));
    const savedMods = state.modules ?? {};
    const show = (n: string) => (n === '' ? '(root)' : n);
    for (const n of mods) if (!(n in savedMods)) problems.push(`missing:    state of module ${show(n)}`);
    for (const n of Object.keys(savedMods)) if (!mods.has(n)) problems.push(`unexpected: state of module ${show(n)}`);
    return problems;
  }

  /**
   * Restore generator states and module states saved by {@link extraStateDict}. With `strict` (default) any
   * missing or unexpected name is refused with the list of differences and nothing is changed; otherwise
   * what matches is restored and the differences are returned.
   */
  loadExtraStateDict(state: ModuleExtraState, options: LoadExtraStateOptions = {}): string[] {
    const problems = this.compareExtraState(state);
    if ((options.strict ?? true) && problems.length > 0) {
      throw new Error(`loadExtraStateDict: state does not match the model:\n  ${problems.join('\n  ')}`);
    }
    const savedGens = state.generators ?? {};
    for (const [n, g] of this.namedGenerators()) {
      const s = savedGens[n];
      if (s !== undefined) g.setState(s);
    }
    const savedMods = state.modules ?? {};
    for (const [n, m] of this.namedModules()) if (m.hasExtraState() && n in savedMods) m.loadExtraState(savedMods[n]);
    return problems;
  }

  /** Parameters that optimisers update, by name. */
  trainableParameters(): [string, Parameter][] {
    return this.namedParameters().filter(([, p]) => p.trainable);
  }

  /** One parameter by its full name; throws naming close matches when absent. */
  getParameter(name: string): Parameter {
    const found = this.namedParameters().find(([n]) => n === name);
    if (!found) throw new Error(`Module.getParameter: no parameter "${name}"`);
    return found[1];
  }

  /** Set training (`true`) or evaluation mode on the whole tree. */
  train(mode = true): this {
    for (const [, m] of this.namedModules()) m.training = mode;
    return this;
  }

  /** Evaluation mode on the whole tree. */
  eval(): this {
    return this.train(false);
  }

  /** Freeze the parameters whose names match (all when omitted). Returns how many changed state. */
  freeze(match?: NameMatcher): number {
    return this.setTrainable(false, match);
  }

  /** Unfreeze the parameters whose names match (all when omitted). */
  unfreeze(match?: NameMatcher): number {
    return this.setTrainable(true, match);
  }

  private setTrainable(value: boolean, match?: NameMatcher): number {
    const pred = match === undefined ? () => true : toNamePredicate(match);
    let n = 0;
    for (const [name, p] of this.namedParameters()) {
      if (pred(name) && p.trainable !== value) {
        p.trainable = value;
        n++;
      }
    }
    return n;
  }

  /** Trainable / all parameter element counts and the trainable percentage. */
  countParameters(): ParameterCounts {
    let trainable = 0;
    let all = 0;
    for (const [, p] of this.namedParameters()) {
      all += p.size;
      if (p.trainable) trainable += p.size;
    }
    return { trainable, all, percent: all === 0 ? 0 : (100 * trainable) / all };
  }

  /** Parameters and buffers by name (live variables, not copies). */
  stateDict(): Map<string, tf.Tensor> {
    const out = new Map<string, tf.Tensor>();
    for (const [n, p] of this.namedParameters()) out.set(n, p.variable);
    for (const [n, b] of this.namedBuffers()) out.set(n, b);
    return out;
  }

  /**
   * Copy tensors into parameters and buffers by name. With `strict` (default) any missing, unexpected
   * or mis-shaped tensor is refused with the full list of differences and nothing is changed.
   */
  loadStateDict(state: Map<string, tf.Tensor> | Record<string, tf.Tensor>, options: { strict?: boolean } = {}): LoadReport {
    const strict = options.strict ?? true;
    const entries = state instanceof Map ? state : new Map(Object.entries(state));
    const own = this.stateDict();
    const report: LoadReport = { missing: [], unexpected: [], mismatched: [] };
    for (const name of own.keys()) if (!entries.has(name)) report.missing.push(name);
    for (const name of entries.keys()) if (!own.has(name)) report.unexpected.push(name);
    for (const [name, t] of entries) {
      const target = own.get(name);
      if (target && !tf.util.arraysEqual(target.shape, t.shape)) {
        report.mismatched.push({ name, expected: target.shape, got: t.shape });
      }
    }
    const bad = report.missing.length + report.unexpected.length + report.mismatched.length;
    if (strict && bad > 0) throw new Error(`loadStateDict: state does not match the model:\n${formatLoadReport(report)}`);
    const mismatchedNames = new Set(report.mismatched.map((m) => m.name));
    for (const [name, t] of entries) {
      const target = own.get(name) as tf.Variable | undefined;
      if (!target || mismatchedNames.has(name)) continue;
      target.assign(t.dtype === target.dtype ? t : tf.cast(t, target.dtype));
    }
    return report;
  }

  /** Release every variable of the tree. */
  dispose(): void {
    for (const [, p] of this._params) p.dispose();
    for (const [, b] of this._buffers) b.dispose();
    for (const [, c] of this._children) c.dispose();
  }
}

/** Human-readable list of the differences in a {@link LoadReport}. */
export function formatLoadReport(r: LoadReport): string {
  const lines: string[] = [];
  for (const n of r.missing) lines.push(`  missing:    ${n}`);
  for (const n of r.unexpected) lines.push(`  unexpected: ${n}`);
  for (const m of r.mismatched) lines.push(`  mis-shaped: ${m.name} expected [${m.expected}] got [${m.got}]`);
  return lines.join('\n');
}

/** A module with a single-tensor forward, the element type of {@link Sequential}. */
export interface TensorModule extends Module {
  forward(x: tf.Tensor): tf.Tensor;
}

/** A list of child modules named `0`, `1`, … (as `torch.nn.ModuleList`). */
export class ModuleList<M extends Module = Module> extends Module {
  readonly items: M[] = [];
  constructor(modules: M[] = []) {
    super();
    for (const m of modules) this.push(m);
  }
  push(m: M): void {
    this.registerModule(String(this.items.length), m);
    this.items.push(m);
  }
  get length(): number {
    return this.items.length;
  }
  at(i: number): M {
    const m = this.items[i];
    if (!m) throw new Error(`ModuleList: index ${i} out of range (length ${this.items.length})`);
    return m;
  }
}

/** Applies child modules in order (as `torch.nn.Sequential`). */
export class Sequential extends ModuleList<TensorModule> implements TensorModule {
  forward(x: tf.Tensor): tf.Tensor {
    let y = x;
    for (const m of this.items) y = m.forward(y);
    return y;
  }
}
