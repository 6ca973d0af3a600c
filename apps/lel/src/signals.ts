import type { Callback, TrainContext } from '@lel/core';

/** Exit status of a run stopped by Ctrl-C (128 + SIGINT), as shells report it. */
export const INTERRUPTED_EXIT_CODE = 130;

/**
 * Ctrl-C handling for training: the first SIGINT (or SIGTERM) asks the loop to stop after the running step —
 * `fit` then saves a full checkpoint and returns, and the CLI exits with status 130; a second one exits at once.
 * Resume with `lel train <recipe> --resume last --out <run>`.
 */
export class Interrupt {
  interrupted = false;
  private readonly handler = (signal: NodeJS.Signals) => this.onSignal(signal);
  private installed = false;

  /** The callback every recipe passes to `fit`: it turns the flag into `ctx.requestStop`. */
  readonly callback: Callback<never> = {
    onStepEnd: async (ctx: TrainContext<never>) => {
      // A training step is synchronous tensor work plus resolved promises, so signal handlers (macrotasks) would
      // only run once `fit` returns: yield to the event loop once per step so Ctrl-C is seen promptly.
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (this.interrupted) ctx.requestStop('interrupted');
    },
  };

  install(): this {
    if (!this.installed) {
      process.on('SIGINT', this.handler);
      process.on('SIGTERM', this.handler);
      this.installed = true;
    }
    return this;
  }

  uninstall(): void {
    process.off('SIGINT', this.handler);
    process.off('SIGTERM', this.handler);
    this.installed = false;
  }

  private onSignal(signal: NodeJS.Signals): void {
    if (this.interrupted) {
      process.stderr.write(`\n[lel] ${signal} again: exiting without waiting for the checkpoint\n`);
      process.exit(INTERRUPTED_EXIT_CODE);
    }
    this.interrupted = true;
    process.stderr.write(`\n[lel] ${signal}: finishing the current step and saving a checkpoint (press Ctrl-C again to quit now)\n`);
  }
}
