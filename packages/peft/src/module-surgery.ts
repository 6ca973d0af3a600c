import type * as tf from '@tensorflow/tfjs-core';
import { Module, Parameter } from '@lel/core';

/** The module at dotted `path` under `root` (`''` is the root itself). */
export function getSubmodule(root: Module, path: string): Module {
  return root.getModule(path);
}

/** Parent module and member name of dotted `path`. */
export function parentOf(root: Module, path: string): { parent: Module; name: string } {
  if (path === '') throw new Error('parentOf: the root module has no parent');
  const dot = path.lastIndexOf('.');
  return { parent: root.getModule(dot < 0 ? '' : path.slice(0, dot)), name: dot < 0 ? path : path.slice(dot + 1) };
}

/**
 * Swap the child at dotted `path` for `replacement`, keeping its registration name and position (so
 * parameter names and order are stable); returns the old child (core's `Module.replaceModule`).
 */
export function replaceModule(root: Module, path: string, replacement: Module): Module {
  return root.replaceModule(path, replacement);
}

/** Register an existing child under `name` (shared, not copied): used to keep HF names inside wrappers. */
export function adoptChild(parent: Module, name: string, child: Module): void {
  parent.registerModule(name, child);
}

/**
 * A module holding one parameter per adapter name (peft's `nn.ParameterDict`), so adapter tensors get
 * names like `…query.lora_A.default`.
 */
export class ParameterDict extends Module {
  /** Add (taking ownership of `value`). */
  set(name: string, value: tf.Tensor, trainable = true): Parameter {
    return this.registerParameter(name, value, trainable);
  }

  get(name: string): Parameter {
    const p = this.ownParameter(name);
    if (!p) throw new Error(`ParameterDict: no entry "${name}" (have: ${this.keys().join(', ') || 'none'})`);
    return p;
  }

  has(name: string): boolean {
    return this.ownParameter(name) !== undefined;
  }

  keys(): string[] {
    return this.ownParameterNames();
  }

  /** Remove and dispose one entry. */
  delete(name: string): void {
    this.get(name);
    this.deleteParameter(name);
  }
}
