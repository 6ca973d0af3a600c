/**
 * Constants the command line needs before any command runs (option choices and defaults, recipe and suite names),
 * kept free of tfjs and the method packages so that `lel --help`, `lel status` and `lel worker` start fast; the
 * modules that use them re-export them.
 */

/** Values `--backend` accepts. */
export const BACKEND_CHOICES = ['auto', 'wasm', 'cpu', 'webgpu', 'tensorflow', 'tensorflow-gpu'] as const;

/** Metric loggers of `lel train`: `metrics.jsonl` is always written; `tensorboard` adds event files. */
export const LOGGERS = ['jsonl', 'tensorboard'] as const;

/** The BullMQ queue every `lel sweep --queue` and `lel worker` use unless `--queue-name` says otherwise. */
export const DEFAULT_QUEUE_NAME = 'lel-sweep';

/** BullMQ's defaults (30 s), kept for the lock and the stalled-run check. */
export const WORKER_DEFAULTS = { concurrency: 1, lockDurationMs: 30_000, stalledIntervalMs: 30_000, maxStalled: 3 } as const;

/** Names of the recipes, in `lel recipes` order (a test checks them against the recipes themselves). */
export const RECIPE_NAMES = ['cct', 'cct-supervised', 'arseg', 'iic', 'kd', 'ckd', 'akd', 'student', 'scl', 'finetune-full', 'peft-bitfit', 'peft-relbitfit', 'peft-krona', 'peft-lora', 'vib', 'mil-ib'] as const;

/** Names of the `lel bench` suites (a test checks them against the suites). */
export const BENCH_SUITE_NAMES = ['cct', 'distill', 'arseg', 'peft', 'vib', 'scl', 'mil-ib', 'swa'] as const;
