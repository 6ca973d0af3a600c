import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import type { GoldenContext, GoldenHandler, GoldenTensor } from '../testing/golden';
import { ConfusionMatrix } from '../metrics/confusion-matrix';
import { hungarianMatch } from '../metrics/hungarian';
import { meanConfidenceInterval } from '../metrics/confidence-interval';
import { f1Binary, matthewsCorrcoef } from '../metrics/classification';
import { pearson, rankData, spearman } from '../metrics/correlation';
import { Parameter } from '../module/parameter';
import type { NamedParameter, Optimizer } from '../optim/optimizer';
import { SGD } from '../optim/sgd';
import { AdamW } from '../optim/adamw';
import { cosineWithWarmup, polyLr, type LrSchedule } from '../optim/schedules';
import { clipGradNorm } from '../optim/clip-grad-norm';
import { parseSafetensors, safetensorsDtypeSize } from '../io/safetensors';

const fail = (ctx: GoldenContext, msg: string): never => {
  throw new Error(`golden ${ctx.goldenCase.name}: ${msg}`);
};

/** Numbered inputs `${prefix}0`, `${prefix}1`, … present in the case. */
function numbered(ctx: GoldenContext, prefix: string): string[] {
  const out: string[] = [];
  while (ctx.hasInput(`${prefix}${out.length}`)) out.push(`${prefix}${out.length}`);
  if (out.length === 0) fail(ctx, `no input "${prefix}0"`);
  return out;
}

function intArray(ctx: GoldenContext, name: string): number[] {
  return ctx.inputValue<GoldenTensor>(name).data;
}

// Runs `steps` optimiser steps with gradients grads{i}[s] and compares param{i}Steps.
async function optimiserSteps(ctx: GoldenContext, make: (params: NamedParameter[]) => Optimizer): Promise<void> {
  const names = numbered(ctx, 'param');
  const steps = ctx.param<number>('steps');
  const params: NamedParameter[] = names.map((n) => {
    const init = ctx.input(n);
    const p = new Parameter(init);
    init.dispose(); // the variable keeps its own reference to the data
    return [n, p];
  });
  const opt = make(params);
  const history = names.map(() => [] as number[]);
  try {
    for (let s = 0; s < steps; s++) {
      const grads = new Map<string, tf.Tensor>();
      names.forEach((n, i) => {
        const all = ctx.inputValue<GoldenTensor>(`grads${i}`);
        const size = all.data.length / steps;
        grads.set(n, tf.tensor(all.data.slice(s * size, (s + 1) * size), all.shape.slice(1), 'float32'));
      });
      opt.step(grads);
      tf.dispose([...grads.values()]);
      for (const [i, [, p]] of params.entries()) history[i]!.push(...((await p.variable.data()) as Float32Array));
    }
    names.forEach((_, i) => ctx.expectClose(`param${i}Steps`, history[i]!));
  } finally {
    opt.dispose();
    params.forEach(([, p]) => p.dispose());
  }
}

function schedule(ctx: GoldenContext, input: string, s: LrSchedule): void {
  ctx.expectClose('lr', intArray(ctx, input).map((t) => s.lrAt(t)));
}

function applyEdits(ctx: GoldenContext, base: Uint8Array): Uint8Array {
  let bytes = base.slice();
  const edits = ctx.param<{ op: string; offset?: number; bytes?: number[]; length?: number }[]>('edits', []);
  for (const e of edits) {
    if (e.op === 'overwrite') bytes.set(e.bytes!, e.offset!);
    else if (e.op === 'truncate') bytes = bytes.slice(0, e.length!);
    else fail(ctx, `unknown edit op "${e.op}"`);
  }
  return bytes;
}

/** Golden handlers for metrics, optimisers, schedules, clipping and safetensors. */
export const numericHandlers: Record<string, GoldenHandler> = {
  async confusionMatrix(ctx) {
    const cm = new ConfusionMatrix(ctx.param('numClasses'), { ignoreIndex: ctx.param<number>('ignoreIndex') });
    const pred = ctx.inputInt('pred');
    const target = ctx.inputInt('target');
    try {
      await cm.add(pred, target);
    } finally {
      tf.dispose([pred, target]);
    }
    // The host (array) path must agree with the device (tensor) path.
    const viaArrays = new ConfusionMatrix(ctx.param('numClasses'), { ignoreIndex: ctx.param<number>('ignoreIndex') }).add(intArray(ctx, 'pred'), intArray(ctx, 'target'));
    if (JSON.stringify(viaArrays.matrix) !== JSON.stringify(cm.matrix)) fail(ctx, 'array and tensor inputs give different matrices');
    ctx.expectEqual('confusion', cm.matrix.flat());
    ctx.expectEqual('intersection', cm.intersection());
    ctx.expectEqual('union', cm.union());
    ctx.expectClose('perClassIoU', cm.perClassIoU());
    ctx.expectClose('miouAllClasses', cm.miou('all'));
    ctx.expectClose('miouPresent', cm.miou('present'));
    ctx.expectClose('pixelAccuracy', cm.pixelAccuracy());
    ctx.expectEqual('numValid', cm.numValid);
  },

  hungarianMatch(ctx) {
    const c = ctx.inputValue<GoldenTensor>('counts');
    const [rows, cols] = c.shape as [number, number];
    const counts = Array.from({ length: rows }, (_, i) => c.data.slice(i * cols, (i + 1) * cols));
    const r = hungarianMatch(counts);
    ctx.expectClose('matched', r.matched);
    ctx.expectClose('accuracy', r.accuracy);
    const all = ctx.expected<GoldenTensor>('allOptimalMappings');
    const k = all.shape[1]!;
    const options = Array.from({ length: all.shape[0]! }, (_, i) => JSON.stringify(all.data.slice(i * k, (i + 1) * k)));
    if (!options.includes(JSON.stringify(r.mapping))) fail(ctx, `mapping ${JSON.stringify(r.mapping)} is not among the optimal mappings ${options.join(' ')}`);
  },

  meanConfidenceInterval(ctx) {
    const r = meanConfidenceInterval(intArray(ctx, 'values'), ctx.param<number>('confidence', 0.95));
    ctx.expectClose('mean', r.mean);
    ctx.expectClose('halfWidth', r.halfWidth);
    ctx.expectClose('tQuantile', r.tQuantile);
    ctx.expectClose('stdDdof1', r.std);
  },

  f1Binary(ctx) {
    const r = f1Binary(intArray(ctx, 'yTrue'), intArray(ctx, 'yPred'));
    ctx.expectClose('f1', r.f1);
    for (const k of ['tp', 'fp', 'fn'] as const) if (ctx.hasExpected(k)) ctx.expectEqual(k, r[k]);
  },

  matthewsCorrcoef(ctx) {
    ctx.expectClose('mcc', matthewsCorrcoef(intArray(ctx, 'yTrue'), intArray(ctx, 'yPred')));
  },

  pearson(ctx) {
    ctx.expectClose('r', pearson(intArray(ctx, 'x'), intArray(ctx, 'y')));
  },

  spearman(ctx) {
    const x = intArray(ctx, 'x');
    const y = intArray(ctx, 'y');
    ctx.expectClose('rho', spearman(x, y));
    if (ctx.hasExpected('ranksX')) ctx.expectClose('ranksX', rankData(x));
    if (ctx.hasExpected('ranksY')) ctx.expectClose('ranksY', rankData(y));
  },

  adamWStep(ctx) {
    return optimiserSteps(ctx, (p) => new AdamW(p, { lr: ctx.param('lr'), beta1: ctx.param('beta1'), beta2: ctx.param('beta2'), eps: ctx.param('eps'), weightDecay: ctx.param('weightDecay') }));
  },

  sgdMomentumStep(ctx) {
    return optimiserSteps(ctx, (p) => new SGD(p, { lr: ctx.param('lr'), momentum: ctx.param('momentum'), dampening: ctx.param('dampening', 0), nesterov: ctx.param('nesterov', false), weightDecay: ctx.param('weightDecay', 0) }));
  },

  polyLr(ctx) {
    schedule(ctx, 'iters', polyLr({ baseLr: ctx.param('baseLr'), maxIter: ctx.param('maxIter'), power: ctx.param('power', 0.9), warmup: ctx.param('warmup', 0) }));
  },

  cosineWarmupLr(ctx) {
    schedule(ctx, 'steps', cosineWithWarmup({ baseLr: ctx.param('baseLr'), warmupSteps: ctx.param('warmupSteps'), totalSteps: ctx.param('totalSteps'), minLr: ctx.param('minLr', 0) }));
  },

  async clipGradNorm(ctx) {
    const names = numbered(ctx, 'grad');
    const grads = new Map(names.map((n) => [n, ctx.input(n)]));
    const r = await clipGradNorm(grads, ctx.param('maxNorm'), ctx.param('normType', 2));
    try {
      ctx.expectClose('totalNorm', r.totalNorm);
      names.forEach((n, i) => ctx.expectClose(`clipped${i}`, r.grads.get(n)!));
    } finally {
      tf.dispose([...grads.values(), ...r.grads.values()]);
    }
  },

  async safetensorsDtypes(ctx) {
    if (ctx.expectsError) {
      const bytes = applyEdits(ctx, new Uint8Array(readFileSync(ctx.resolvePath(ctx.param<string>('base')))));
      const expectedLength = ctx.param<number>('baseLength', -1);
      if (expectedLength >= 0 && readFileSync(ctx.resolvePath(ctx.param<string>('base'))).length !== expectedLength) fail(ctx, 'base file length differs from baseLength');
      await ctx.expectRejects(() => parseSafetensors(bytes));
      return;
    }
    const parsed = parseSafetensors(new Uint8Array(readFileSync(ctx.resolvePath(ctx.param<string>('checkpoint')))));
    const dtypes = ctx.param<Record<string, string>>('dtypes');
    const names = [...parsed.tensors.keys()].sort();
    if (JSON.stringify(names) !== JSON.stringify(Object.keys(dtypes).sort())) fail(ctx, `tensors ${names} differ from ${Object.keys(dtypes).sort()}`);
    for (const [name, dtype] of Object.entries(dtypes)) {
      const t = parsed.tensors.get(name)!;
      if (t.dtype !== dtype) fail(ctx, `"${name}" has dtype ${t.dtype}, expected ${dtype}`);
      const exp = ctx.expected<GoldenTensor>(name);
      if (JSON.stringify(t.shape) !== JSON.stringify(exp.shape)) fail(ctx, `"${name}" has shape [${t.shape}], expected [${exp.shape}]`);
      ctx.expectClose(name, t.data);
      if (t.data.length > 0 && Object.is(exp.data[0], -0) !== Object.is(t.data[0], -0)) fail(ctx, `"${name}" loses the sign of zero`);
    }
    // The file's own layout: which tensors sit at offsets that are not multiples of their item size.
    const start = 8 + parsed.headerSize;
    const misaligned = [...parsed.tensors]
      .filter(([, t]) => t.data.length > 0 && (start + t.dataOffsets[0]) % safetensorsDtypeSize(t.dtype) !== 0)
      .map(([n]) => n)
      .sort();
    const expectedMisaligned = [...ctx.param<string[]>('misalignedTensors', [])].sort();
    if (JSON.stringify(misaligned) !== JSON.stringify(expectedMisaligned)) fail(ctx, `misaligned tensors ${misaligned}, expected ${expectedMisaligned}`);
    // __metadata__ must come back as a string map with the expected keys (values are the producer's).
    const meta = ctx.param<Record<string, string>>('metadata', {});
    if (JSON.stringify(Object.keys(parsed.metadata).sort()) !== JSON.stringify(Object.keys(meta).sort())) fail(ctx, `metadata keys ${Object.keys(parsed.metadata)}, expected ${Object.keys(meta)}`);
    if (meta.format !== undefined && parsed.metadata.format !== meta.format) fail(ctx, `metadata format "${parsed.metadata.format}", expected "${meta.format}"`);
  },
};
