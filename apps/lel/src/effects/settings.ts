import type { DevScoreKind, DevSweep, EffectArm, EffectSetting } from './types';

/** The seed of every dev sweep (`seed` and `data.seed`): its own labelled split (and novel classes), never a reported seed. */
export const DEV_SEED = 100;

/**
 * The headroom segmentation task every vision segmentation setting shares: digit scenes of four classes (0, 1, 4, 7)
 * at 32 × 32 with large digits (0.6–1 of the side, 1–2 per scene). 512 scenes of the training digits: 256 carved off
 * as the test part (reported), 256 for training (labelled + unlabelled); 64 held-out scenes of unseen digits are the
 * dev part (best checkpoint); SmallConvEncoder [16, 32, 32] at output stride 2, SGD lr 0.05 with poly decay.
 *
 * Chosen with the PyTorch mirror (reference/vision/cct_train.py) on dev scenes, 2026-12-04: with all ten digits
 * or digits of 0.35–0.7 of the side, even all 512 labelled scenes reached only 13–35% mIoU in 400–1,200 steps
 * (the budget, not the labels, was the limit); with these four classes, 1,200 steps and 256 scenes, supervised mIoU
 * on dev was 33.5% (1/16 labelled), 43.3% / 45.3% (1/8, lr 0.02 / 0.05) and 59.8% / 66.3% (all, lr 0.02 / 0.05):
 * labels limit the few-label baseline, and lr 0.05 won on dev at both ends.
 */
export const SEG_POOL = 256;

/** Test scenes carved off the 512 (never used for selection). */
const SEG_TEST = 256;

/** Held-out dev scenes (unseen digits). */
const SEG_DEV = 64;

/** Supervised steps of every segmentation arm (the same budget for baseline, method and ceiling). */
export const SEG_STEPS = 1200;

/** `data.labelled` of the segmentation task: the label budget `fraction` (absent: every training scene labelled). */
export function digitScenes(fraction?: number): string {
  const budget = fraction === undefined ? '' : `, fraction: ${fraction}`;
  return `data.labelled={source: digit-scenes, n: ${SEG_POOL + SEG_TEST}, heldOut: ${SEG_DEV}, digits: [0, 1, 4, 7], scale: [0.6, 1.0], digitsPerImage: [1, 2]${budget}}`;
}

/** Keys every segmentation arm shares (the labelled source is per arm: {@link digitScenes}). */
export const SEG_TASK = ['data.size=32', `data.testFraction=${SEG_TEST}`, 'data.seed={seed}', 'train.evalEvery=100', 'train.checkpointEvery=200', 'train.logEvery=20'];

/** Tiny budgets for `--quick`: a smoke test of the whole grid (every recipe, data path and report), not results. */
export const SEG_QUICK = [
  'data.labelled.n=40',
  'data.labelled.heldOut=4',
  'data.testFraction=8',
  'train.maxSteps=3',
  'train.evalEvery=3',
  'train.checkpointEvery=3',
  'train.logEvery=1',
];

/** What every digit-scene setting shares: the task's keys and quick budgets, mIoU, and the all-background chance row. */
const SEG_SETTING = { metric: 'miou', metricLabel: 'mIoU', chance: 'trivial', sets: SEG_TASK, quick: SEG_QUICK } satisfies Partial<EffectSetting>;

/** The chance row of a digit-scene setting: the all-background mIoU that `from`'s runs report. */
function backgroundArm(from: string): EffectArm {
  return { id: 'trivial', label: 'background everywhere', role: 'chance', from, metric: 'trivial_miou' };
}

/** Labelled training scenes at the label budget `fraction`. */
function labelledScenes(fraction: number): number {
  return Math.round(SEG_POOL * fraction);
}

/** `train.epochs` that make the poly schedule span SEG_STEPS when an epoch is one pass over `scenes` in batches of `batch`. */
function epochsSpanning(scenes: number, batch: number): string {
  return `train.epochs=${Math.ceil(SEG_STEPS / Math.ceil(scenes / batch))}`;
}

/** cct / cct-supervised overrides: the official SGD with poly decay (lr chosen on the dev scenes), a ramp over 10% of the run. */
const CCT = ['cct.optim.lr=0.05', 'cct.optim.encoderLrScale=1', 'model.widths=[16,32,32]', 'train.labelledBatchSize=8', 'train.unlabelledBatchSize=8', 'cct.loss.rampUpUnit=iterations', `train.maxSteps=${SEG_STEPS}`];

/**
 * A cct or cct-supervised run at the label budget `fraction` (absent: all labels), its poly schedule spanning SEG_STEPS
 * (epochs are passes over the unlabelled scenes in semi mode, the labelled ones otherwise).
 */
function cctSets(mode: 'semi' | 'supervised', fraction?: number): string[] {
  const labelled = labelledScenes(fraction ?? 1);
  return [digitScenes(fraction), ...CCT, epochsSpanning(mode === 'semi' ? SEG_POOL - labelled : labelled, 8)];
}

/** The all-label supervised run: the ceiling of the CCT and SWA settings and the teacher of the KD setting (one run per seed shared by all). */
const SEG_ALL_LABELS = { recipe: 'cct-supervised', sets: cctSets('supervised') };

/** The ceiling row of the CCT and SWA settings: {@link SEG_ALL_LABELS}. */
const SUPERVISED_CEILING: EffectArm = { id: 'ceiling', label: 'supervised, all labels', role: 'ceiling', ...SEG_ALL_LABELS };

function cctSetting(denominator: 8 | 16): EffectSetting {
  const f = 1 / denominator;
  return {
    id: `cct-1/${denominator}`,
    method: 'cct',
    package: '@lel/cct',
    title: `CCT vs supervised, 1/${denominator} labelled`,
    task:
      `Digit scenes (4 digit classes, 32 px), ${SEG_POOL / denominator} of ${SEG_POOL} training scenes labelled (stratified by their rarest class), the rest unlabelled; ` +
      `${SEG_STEPS} SGD steps (lr 0.05, poly) for every arm, batch 8 (+ 8 unlabelled), SmallConvEncoder [16, 32, 32] from scratch, 7 auxiliary decoders ` +
      `(one per perturbation). mIoU over background + 4 digits on ${SEG_TEST} test scenes; best checkpoint on ${SEG_DEV} dev scenes of unseen digits.`,
    ...SEG_SETTING,
    arms: [
      { id: 'supervised', label: `supervised 1/${denominator}`, role: 'baseline', recipe: 'cct-supervised', sets: cctSets('supervised', f) },
      {
        id: 'cct',
        label: `CCT 1/${denominator}`,
        role: 'method',
        recipe: 'cct',
        sets: [...cctSets('semi', f), 'cct.perturbations={vat: 1, dropout: 1, cutout: 1, contextMasking: 1, objectMasking: 1, featureDrop: 1, featureNoise: 1}', 'cct.vat.xi=0.1', 'cct.cutout.minPixels=10'],
      },
      SUPERVISED_CEILING,
      backgroundArm('supervised'),
    ],
    comparisons: [
      {
        method: 'cct',
        baseline: 'supervised',
        paper:
          denominator === 8
            ? 'CCT paper, PASCAL VOC 1.5k labels (≈1/7): 69.4 vs 67.0 supervised-only on the same labels (+2.4 mIoU; supervised figure from a user reproduction, yassouali/CCT#10)'
            : 'CCT paper, VOC: gains grow as labels shrink (e.g. +5 to +10 mIoU at a few hundred labelled images, paper Fig. 5; not verified here)',
      },
    ],
    notes:
      'Differs from the paper: a small encoder trained from scratch instead of an ImageNet ResNet-50 + PSP, 7 auxiliary decoders instead of 30, ' +
      'ξ = 0.1 for I-VAT (1e-6 is lost to float32 rounding), G-Cutout on components of ≥ 10 px, the unsupervised weight ramped over the first 10% of ' +
      'the run (`cct.loss.rampUpUnit=iterations`: the official int(0.1·epochs) epochs is 0 below 10 epochs), no flips (a flipped digit is another shape). ' +
      'The unsupervised weight is the official 30, kept by a dev sweep at 1/8 (data.seed 100, best dev mIoU on the 64 dev scenes, 2026-12-05): ' +
      'w 3 / 10 / 30 gave 44.9 / 45.5 / 46.1, the supervised arm 46.0.',
    ...(denominator === 8
      ? {
          dev: [valueSweep({ parameter: 'cct.loss.unsupWeight', arm: 'cct', values: [3, 10, 30], prefix: 'w', score: 'best-eval', scoreLabel: 'best dev mIoU', reference: { arm: 'supervised' } })],
        }
      : {}),
  };
}

/** The KD student: SmallConvEncoder [8, 16, 16] (about a quarter of the teacher's multiply-adds), SGD lr 0.05 with poly decay. */
const STUDENT = ['model.widths=[8,16,16]', 'model.decoderFinalRelu=false', 'optim.lr=0.05'];

/** The student at the label budget `fraction`: batch 8 labelled + 8 transfer scenes (epochs are passes over the unlabelled scenes). */
function studentSets(fraction: number): string[] {
  return [digitScenes(fraction), ...STUDENT, 'train.batchSize=8', 'train.transferBatchSize=8', epochsSpanning(SEG_POOL - labelledScenes(fraction), 8), `train.maxSteps=${SEG_STEPS}`];
}

/** The student with every training scene labelled: 16 labelled scenes per step (as many images as 8 + 8 transfer scenes), no transfer set. */
const STUDENT_ALL = [digitScenes(), ...STUDENT, 'train.batchSize=16', 'train.transferBatchSize=0', epochsSpanning(SEG_POOL, 16), `train.maxSteps=${SEG_STEPS}`];

/** A distilled student at the label budget `fraction`: `recipe` (kd, akd or ckd) from the teacher arm's run of the same seed. */
function distilledArm(fraction: number, id: string, label: string, recipe: string): EffectArm {
  return { id, label, role: 'method', recipe, sets: [...studentSets(fraction), 'teacher.run={run:teacher}'] };
}

/**
 * The KD setting at 1/`denominator` labelled. At 1/8 the quarter-size student's all-label ceiling (53.8 mIoU, seed 0)
 * stood only 11.9 points above the few-label student (41.9), short of the headroom rule, so the table runs 1/16; there,
 * on 5 seeds, the ceiling (50.8) stood 14.8 points above the student (36.0), 0.2 short of the rule's 15, so 1/32 was
 * added (1/16 stays in the table as measured, without a claim).
 */
function kdSetting(denominator: 16 | 32): EffectSetting {
  const f = 1 / denominator;
  const labelled = labelledScenes(f);
  const epochs = Math.ceil(SEG_STEPS / Math.ceil((SEG_POOL - labelled) / 8));
  return {
    id: `kd-1/${denominator}`,
    method: 'kd',
    package: '@lel/distill',
    title: `KD, Annealing-KD and Continuation-KD vs no KD, 1/${denominator} labelled`,
    task:
      `The digit-scene task of the CCT settings: a teacher (SmallConvEncoder [16, 32, 32], the all-label supervised run of the same seed) distils into a student ` +
      `[8, 16, 16] that has ${labelled} labelled scenes; every step sees 8 labelled + 8 transfer scenes from the ${SEG_POOL - labelled} unlabelled ones (the teacher's ` +
      `soft targets are the only signal on those), ${SEG_STEPS} SGD steps (lr 0.05, poly). The no-KD baseline is the same student on the same batches with the labelled pixels' CE only. ` +
      `mIoU on ${SEG_TEST} test scenes, best checkpoint on ${SEG_DEV} dev scenes.`,
    ...SEG_SETTING,
    arms: [
      { id: 'teacher', label: 'teacher (all labels, [16, 32, 32])', role: 'reference', ...SEG_ALL_LABELS },
      { id: 'student', label: 'student, no KD', role: 'baseline', recipe: 'student', sets: studentSets(f) },
      distilledArm(f, 'kd', 'KD (α 0.5, T 4)', 'kd'),
      distilledArm(f, 'akd', 'Annealing-KD (T_max 10)', 'akd'),
      distilledArm(f, 'ckd', 'Continuation-KD (T_max 10, margin 1)', 'ckd'),
      { id: 'ceiling', label: 'student, all labels', role: 'ceiling', recipe: 'student', sets: STUDENT_ALL },
      backgroundArm('student'),
    ],
    comparisons: [
      { method: 'kd', baseline: 'student', paper: "Hinton et al. 2015: a distilled small model recovers most of the teacher's gain (MNIST 146 → 74 test errors; speech: 60.8% vs 58.9% frame accuracy)" },
      { method: 'akd', baseline: 'student', paper: 'Annealing-KD (Jafari et al., EACL 2021): +0.6–1.6 accuracy over KD on CIFAR-10/100 ResNet students, ~+0.5 GLUE' },
      { method: 'ckd', baseline: 'student', paper: 'Continuation-KD (Jafari et al., 2022): ≥ Annealing-KD ≥ KD on GLUE (+0.4–1.0 over KD on average)' },
      { method: 'ckd', baseline: 'kd', paper: 'Continuation-KD (2022): +0.4–1.0 GLUE average over KD' },
      // As in the text KD table: Annealing-KD's own claim is against KD.
      { method: 'akd', baseline: 'kd', paper: 'Annealing-KD (Jafari et al., EACL 2021): +0.6–1.6 accuracy over KD on CIFAR-10/100, ~+0.5 GLUE' },
    ],
    notes:
      'Differs from the papers: segmentation (per-pixel distillation rows) with a transfer set of unlabelled scenes instead of image/sentence classification; ' +
      "the teacher is evaluated and distilled in eval mode (BatchNorm running statistics); neither the teacher's nor the students' decoder has the official final ReLU " +
      '(with it, digit 1 stayed at IoU 0 for the no-KD student, KD and Continuation-KD, seed 0, 2026-12-05); ' +
      `T_max 10 and ψ = i/40 (the NLU settings) over ${epochs} epochs; Annealing-KD switches to labels after half the epochs, from the best stage-1 weights on dev.` +
      (denominator === 16
        ? ' Run at 1/16 rather than 1/8: at 1/8 (seeds 0–1, 2026-12-05) the student with all labels (53.8 mIoU) stood only 11.9 points above the few-label student (41.9 on seed 0), ' +
          'short of the headroom rule; the label budget was changed on that baseline/ceiling evidence alone, before any 1/16 run. ' +
          'At 1/16 the ceiling (50.8, seeds 0–4) stands 14.8 points above the no-KD student (36.0), 0.2 short of the rule, so this table makes no claim; see kd-1/32.'
        : ' Added because kd-1/16 missed the headroom rule by 0.2 points (ceiling 50.8 vs no-KD student 36.0, seeds 0–4); the teacher and the all-label ceiling are ' +
          "the same runs as kd-1/16's. The 8 labelled scenes are stratified by each scene's rarest class: every digit class appears in them on seeds 0–4 " +
          '(each class in 1–5 of the 8 scenes; the thinnest, digit 4 on seed 0, in 1 scene, 67 pixels). Decided on baseline/ceiling alone before any KD, Annealing-KD or Continuation-KD run at 1/32 ' +
          '(2026-12-05, 08:06 UTC): the no-KD student at 1/32 scored 29.2 / 34.0 / 31.1 / 31.7 / 31.3 (mean 31.5, background-everywhere 17.3), the ' +
          'all-label ceiling 50.8, a margin of 19.3 ≥ the required 15: the setting counts, and the three distilled arms were run on seeds 0–4.'),
  };
}

/** cct-supervised at 1/8 with SWA's averaging over the last quarter (the SWA and the last-iterate arms differ only in `swa.enabled`). */
const SWA_SETS = cctSets('supervised', 1 / 8);

/**
 * SWALR's rate, chosen on the dev scenes (data.seed 100, dev mIoU of the averaged weights, 2026-12-05): 0.01 / 0.025 / 0.05
 * / 0.1 gave 44.4 / 44.5 / 45.1 / 46.7, the last iterate 44.5. Before the sweep the setting used the paper's lr_init / 2 = 0.025.
 */
const SWA_LR = 0.1;

const SWA: EffectSetting = {
  id: 'swa-1/8',
  method: 'swa',
  package: '@lel/swa',
  title: 'SWA vs the last iterate, 1/8 labelled',
  task:
    `The supervised baseline of the CCT setting (${SEG_POOL / 8} labelled scenes, batch 8, ${SEG_STEPS} steps, lr 0.05 poly) with SWA over the last 25% of the run: ` +
    `SWALR holds lr ${SWA_LR} there (chosen on the dev scenes) and the weights are averaged every 25 steps, BatchNorm statistics recomputed for the average. ` +
    `The baseline is the same seed's run with the plain poly decay to 0, scored at its last step (\`train.keep=last\`): same data, init and batches. mIoU on ${SEG_TEST} test scenes.`,
  ...SEG_SETTING,
  arms: [
    { id: 'last', label: 'last iterate (1/8)', role: 'baseline', recipe: 'cct-supervised', sets: [...SWA_SETS, 'train.keep=last'] },
    { id: 'swa', label: `SWA, SWALR ${SWA_LR} (1/8)`, role: 'method', recipe: 'cct-supervised', sets: [...SWA_SETS, 'swa.enabled=true', 'swa.unit=step', 'swa.swaStart=0.75', 'swa.every=25', `swa.lr=${SWA_LR}`] },
    SUPERVISED_CEILING,
    backgroundArm('last'),
  ],
  comparisons: [{ method: 'swa', baseline: 'last', paper: 'Izmailov et al. 2018: SWA +0.5–1.9 points of CIFAR-100 accuracy over the SGD solution at equal budget (e.g. PreResNet-164 78.49 → 80.35)' }],
  notes:
    'Differs from the paper: segmentation from scratch on digit scenes instead of CIFAR classification; averaging every 25 steps (about 6 epochs of the 32 labelled ' +
    `scenes) over the last quarter instead of once per epoch; SWALR switches to ${SWA_LR} at once (annealSteps 0) where the poly rate has decayed to 0.014. ` +
    `swa.lr ${SWA_LR} was chosen by a dev sweep (data.seed 100, dev mIoU of the averaged weights on the 64 dev scenes, 2026-12-05, swaStart 0.75 and every 25 fixed): ` +
    'swa.lr 0.01 / 0.025 / 0.05 gave 44.4 / 44.5 / 45.1, the last iterate 44.5; 0.05 was the top of that ladder, so 0.1 was tried next: 46.7 ' +
    '(0.2 and above untried; the arm at 0.05, run on seeds 0–4 before 0.1 was tried: +0.8 [−0.1, +1.7] over the last iterate). Before the sweep the arm used the paper\'s ' +
    'lr_init / 2 = 0.025 untuned (seeds 0–4: +0.1 [−0.3, +0.5]).',
  dev: [
    valueSweep({
      parameter: 'swa.lr',
      arm: 'swa',
      values: [0.01, 0.025, 0.05, 0.1],
      prefix: 'lr',
      score: 'swa-averaged',
      scoreLabel: 'dev mIoU (SWA: the averaged weights; last iterate: its last step)',
      reference: { arm: 'last', score: 'last-eval' },
    }),
  ],
};


/** The clustering task: unlabelled digit scenes of the segmentation task, clusters scored against foreground vs background. */
const AR_SCENES = 'data.unlabelled={source: digit-scenes, n: 256, heldOut: 64, digits: [0, 1, 4, 7], scale: [0.6, 1.0], digitsPerImage: [1, 2]}';

/** Optimiser steps of both clustering arms (300: the one budget tried on the dev split, data.seed 100). */
const AR_STEPS = 300;

const ARSEG: EffectSetting = {
  id: 'arseg-fg',
  method: 'arseg',
  package: '@lel/autoregressive-seg',
  title: 'Autoregressive clustering (AC) vs IIC vs one cluster, no labels',
  task:
    `256 unlabelled digit scenes (4 digit classes, 32 px, large digits), no label anywhere in training; 2 clusters scored (Hungarian matching) against ` +
    `foreground vs background on the 64 held-out scenes of unseen digits. The recipes' network (8 stem channels, 2 blocks, output stride 2), Adam 1e-3, batch 8, ` +
    `${AR_STEPS} steps for both arms; AC = mutual information between two masked-convolution orderings, IIC = between two augmented views. ` +
    'The scenes that score never train or select: the last weights are kept.',
  metric: 'miou',
  metricLabel: 'mIoU',
  chance: 'trivial',
  sets: [AR_SCENES, 'data.seed={seed}', `train.steps=${AR_STEPS}`, 'train.evalEvery=100', 'train.checkpointEvery=100', 'train.logEvery=20'],
  quick: ['data.unlabelled.n=16', 'data.unlabelled.heldOut=4', 'train.steps=3', 'train.evalEvery=3', 'train.checkpointEvery=3', 'train.logEvery=1'],
  arms: [
    { id: 'iic', label: 'IIC (two views)', role: 'baseline', recipe: 'iic' },
    { id: 'ac', label: 'AC (two orderings)', role: 'method', recipe: 'arseg' },
    { id: 'trivial', label: 'one cluster everywhere', role: 'chance', from: 'ac', metric: 'trivial_miou' },
  ],
  comparisons: [
    { method: 'ac', baseline: 'iic', paper: 'Ouali et al. 2020 (AC), pixel accuracy: COCO-Stuff-3 72.9 vs IIC 72.3, Potsdam-3 66.5 vs 65.1 (recalled from the paper\'s table, not verified here)' },
    { method: 'ac', baseline: 'trivial', paper: 'not reported by the paper (the one-cluster answer is our floor: on these scenes it already scores the background fraction)' },
  ],
  notes:
    'No ceiling row: nothing here uses labels, so "all labels" has no counterpart; the floor is the one-cluster answer. Differs from the paper: digit scenes at 32 px ' +
    'instead of COCO-Stuff/Potsdam at 128–200 px, a small network from scratch, 2 clusters without overclustering, 300 steps; dev-chosen only in budget ' +
    '(data.seed 100, the one configuration tried: AC 50.6, IIC 41.2, one cluster 42.7 mIoU).',
};

/**
 * Few-shot glyphs at 64 px (4 × 4 final maps for the spatial loss): 32 base characters × 12 drawings (the glyph source's
 * fixed count: `perClass` in `data.labelled` is the label budget, not the drawings), 10 novel characters for 5-way episodes.
 */
const SCL_TASK = [
  'data.labelled={source: glyphs, classes: 32, heldOutClasses: 10}',
  'data.size=64',
  'data.seed={seed}',
  'scl.imageSize=64',
  'scl.cropPadding=8',
  'train.epochs=6',
  'train.batchSize=32',
  'scl.lrMilestones=[4]',
  'fewshot.episodes=100',
  'fewshot.nQuery=5',
  'fewshot.maxIter=100',
  // The novel classes only score the last weights (no checkpoint selection on them), so they can be reported.
  'train.keep=last',
  'train.evalEvery=1000',
  'train.checkpointEvery=40',
  // One set of runs serves both tables: 1-shot (its ceiling 5 shots) and 5-shot (its ceiling 7 shots: 12 drawings − 5 queries).
  'fewshot.extraShots=[5, 7]',
];

/** λ_sp of the CE + SC arm: the best of 0.5 / 1 / 2 on the dev seed at 1-shot (see the setting's notes; the paper's run.sh uses 1, 0.5 for CIFAR-FS). */
const SCL_LAMBDA_SPATIAL = 2;

/** λ_gl of the CE + GC arm: the best of 0.5 / 1 / 2 on the dev seed at 1-shot (the official default is 1). */
const SCL_LAMBDA_GLOBAL = 0.5;

function sclSetting(shots: 1 | 5): EffectSetting {
  const more = shots === 1 ? 5 : 7;
  const score = shots === 1 ? 'fewshot_accuracy' : 'fewshot_accuracy_5shot';
  return {
    id: `scl-${shots}shot`,
    method: 'scl',
    package: '@lel/scl',
    title: `SCL (CE + SC, CE + GC) vs CE pre-training, 5-way ${shots}-shot`,
    task:
      `ResNet-12 [8, 16, 24, 32] pre-trained on 32 base glyph characters × 12 drawings at 64 px (4 × 4 final maps), 6 epochs of batch 32 (two views), SGD 0.05 with ` +
      `×0.1 after epoch 4; then 5-way ${shots}-shot episodes (5 queries per class, 100 episodes, logistic regression on the global + spatial features) on 10 novel ` +
      `characters. The more-labels row is the CE network with ${more} shots per class.`,
    metric: score,
    metricLabel: `${shots}-shot accuracy`,
    chance: 0.2,
    sets: SCL_TASK,
    quick: ['data.labelled.classes=5', 'data.labelled.heldOutClasses=5', 'data.size=32', 'scl.imageSize=32', 'scl.cropPadding=4', 'train.epochs=1', 'train.batchSize=16', 'fewshot.episodes=2', 'train.checkpointEvery=1000'],
    arms: [
      { id: 'ce', label: 'CE', role: 'baseline', recipe: 'scl', sets: ['scl.spatialContLoss=false'] },
      { id: 'sc', label: `CE + SC (spatial, λ ${SCL_LAMBDA_SPATIAL})`, role: 'method', recipe: 'scl', sets: [`scl.lambdaSpatial=${SCL_LAMBDA_SPATIAL}`] },
      {
        id: 'gc',
        label: `CE + GC (global, λ ${SCL_LAMBDA_GLOBAL})`,
        role: 'method',
        recipe: 'scl',
        sets: ['scl.spatialContLoss=false', 'scl.globalContLoss=true', `scl.lambdaGlobal=${SCL_LAMBDA_GLOBAL}`],
      },
      { id: 'ceiling', label: `CE, ${more} shots`, role: 'ceiling', from: 'ce', metric: `fewshot_accuracy_${more}shot` },
    ],
    comparisons: [
      { method: 'sc', baseline: 'ce', paper: 'Ouali et al. 2021 (SCL, arXiv 2012.13831): CE + SC above CE pre-training on miniImageNet, tieredImageNet, CIFAR-FS and FC100 (Table 1; the deltas are not in our stored sources)' },
      { method: 'gc', baseline: 'ce', paper: 'SCL paper: the global contrastive term alone helps less than the spatial one (ablation; deltas not in our stored sources)' },
    ],
    notes:
      'Differs from the paper: Omniglot-like glyphs instead of miniImageNet, a narrow ResNet-12 from scratch, 6 epochs, 100 episodes with 5 queries instead of 600 with 15, ' +
      'no distillation stage. λ_sp and λ_gl were chosen by a dev sweep at 1-shot (2026-12-05): data.seed 100 draws its own 32 base and 10 novel characters, ' +
      "none of them among any reported seed's novel characters, and scores the last weights' 1-shot accuracy on its novel characters (100 episodes, ±2.1 " +
      'as a 95% interval over episodes). CE + SC with λ_sp 0.5 / 1 / 2: 63.8 / 60.0 / 64.9; CE + GC with λ_gl 0.5 / 1 / 2: 65.3 / 62.9 / 58.5; CE alone 63.1. One seed ' +
      'barely separates these (SC is not even monotone in λ); the best of each was taken, and both tables use those runs. Before the sweep both arms ran ' +
      "with λ 1 (1-shot: CE + SC −1.4 [−7.3, +4.6], CE + GC +0.3 [−5.2, +5.8] against CE). The inverse temperatures stay the paper's 10, not tuned.",
    // Swept at 1-shot only; the 5-shot table runs the same arms (one set of runs serves both tables).
    ...(shots === 1 ? { dev: [sclSweep('scl.lambdaSpatial', 'sc'), sclSweep('scl.lambdaGlobal', 'gc')] } : {}),
  };
}

/**
 * A dev sweep over values of one override of `arm`: a variant `<prefix><value>` per value (sets `parameter=value`), at
 * {@link DEV_SEED}, plus the reference arm's run at that seed as the `base` row (shown, never a winner).
 */
function valueSweep(o: { parameter: string; arm: string; values: readonly number[]; prefix: string; score: DevScoreKind; scoreLabel: string; reference: { arm: string; score?: DevScoreKind } }): DevSweep {
  return {
    parameter: o.parameter,
    arm: o.arm,
    seed: DEV_SEED,
    score: o.score,
    scoreLabel: o.scoreLabel,
    variants: [
      ...o.values.map((v) => ({ label: `${o.prefix}${v}`, sets: [`${o.parameter}=${v}`] })),
      { label: 'base', arm: o.reference.arm, sets: [], ...(o.reference.score ? { score: o.reference.score } : {}) },
    ],
  };
}

/** The dev sweep of one SCL loss weight: 0.5 / 1 / 2 at the dev seed, CE alone as the reference row. */
function sclSweep(parameter: string, arm: 'sc' | 'gc'): DevSweep {
  return valueSweep({ parameter, arm, values: [0.5, 1, 2], prefix: 'l', score: 'summary', scoreLabel: "1-shot accuracy on the dev seed's novel characters", reference: { arm: 'ce' } });
}

/** Every vision setting of `lel effects`, in table order. */
export const EFFECT_SETTINGS: readonly EffectSetting[] = [cctSetting(8), cctSetting(16), kdSetting(16), kdSetting(32), SWA, ARSEG, sclSetting(1), sclSetting(5)];
