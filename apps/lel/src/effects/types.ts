/**
 * The declarative description of an effect study: a setting is one task (data, labels, budget) with its arms
 * (few-label baseline, method, all-label ceiling, …); every arm is a plain recipe config (`--set` overrides) that
 * `lel train` (or `lel sweep`) can run, so the whole grid is data, not code.
 */

import type { EffectsRunRecord } from './provenance';

/** What an arm is in the setting's three-row story. */
export type ArmRole =
  /** The method's baseline with few labels (the row the method must beat). */
  | 'baseline'
  /** The method with few labels. */
  | 'method'
  /** The baseline with all labels: the setting only counts when it is clearly above the few-label baseline. */
  | 'ceiling'
  /** A trivial answer (one cluster everywhere, all background): the chance level the headroom rule measures from. */
  | 'chance'
  /** Shown for context (e.g. the teacher of KD), never compared. */
  | 'reference';

/** One arm: a recipe run per seed, or a metric read from another arm's run. */
export interface EffectArm {
  /** Unique within the setting; comparisons and `{run:<id>}` refer to it. */
  id: string;
  /** Row label in the tables. */
  label: string;
  role: ArmRole;
  /** The recipe to train (`lel train <recipe>`). Absent with `from`. */
  recipe?: string;
  /**
   * `--set` overrides of this arm (after the setting's `sets`). `{seed}` is the seed; `{run:<arm id>}` is that arm's
   * run folder for the same seed (the arm is run first), e.g. `teacher.run={run:teacher}`.
   */
  sets?: string[];
  /** Read the metric from this other arm's run instead of training (e.g. a trivial score a run reports). */
  from?: string;
  /** Metric key in the run's summary (default: the setting's `metric`). */
  metric?: string;
}

/** A method-vs-baseline comparison, paired by seed. */
export interface EffectComparison {
  /** Arm id of the method. */
  method: string;
  /** Arm id of the baseline. */
  baseline: string;
  /** The paper's effect for this comparison, stated next to ours (source included). */
  paper: string;
}

/** One setting of `lel effects`. */
export interface EffectSetting {
  /** Unique id, also the folder of its table in the JSON (`cct-1/8`). */
  id: string;
  /** Method group `--methods` selects (`cct`, `arseg`, `scl`, `kd`, `swa`, or a text group). */
  method: string;
  /** The method package. */
  package: string;
  title: string;
  /** The task in one or two sentences: data, labels, model, budget. */
  task: string;
  /** Headline metric key in the runs' summaries (`miou`, `fewshot_accuracy`, …), higher is better. */
  metric: string;
  /** How the metric is named in tables. */
  metricLabel: string;
  /** Chance level of the metric: a number, or the id of an arm with role `chance`. */
  chance: number | string;
  /** `--set` overrides every arm of the setting gets (before its own). */
  sets?: string[];
  /** Overrides added under `--quick` (tiny budgets: a smoke test of the whole grid). */
  quick?: string[];
  arms: EffectArm[];
  comparisons: EffectComparison[];
  /** What differs from the paper's setting, briefly (shown under the table). */
  notes?: string;
  /** The dev sweeps that chose this setting's hyper-parameters (`lel effects --dev` trains and reports them). */
  dev?: DevSweep[];
}

/**
 * Which dev score of a run decides: `best-eval` the best eval-row value of the metric in metrics.jsonl (the dev split
 * the best checkpoint is chosen on), `last-eval` the last eval row (a run that keeps its last weights), `swa-averaged`
 * the dev score of SWA's averaged weights (its `[swa] averaged weights … <metric>=` line in the run's train.log),
 * `summary` the summary.json value of the metric (for a setting whose dev seed draws its own evaluation classes, e.g.
 * SCL's novel characters).
 */
export type DevScoreKind = 'best-eval' | 'last-eval' | 'swa-averaged' | 'summary';

/** One run of a dev sweep: an arm of the setting at the dev seed plus extra overrides. */
export interface DevVariant {
  /** Short label, also the folder `<arm>-<label>` (`lr0.1`, `w30`, `base`). */
  label: string;
  /** Arm trained (default: the sweep's `arm`); another arm is a reference row (e.g. the baseline), never the winner. */
  arm?: string;
  /** `--set` overrides after the arm's own. */
  sets: string[];
  /** Score of this run (default: the sweep's `score`). */
  score?: DevScoreKind;
}

/** A dev sweep of one arm's hyper-parameter: run at a seed no table reports, scored on the dev split. */
export interface DevSweep {
  /** What was tuned, for the table (`swa.lr`). */
  parameter: string;
  /** The arm whose value was chosen: its variants compete, the one with the best dev score must be the arm's config. */
  arm: string;
  /** The dev seed (`seed` and `data.seed`); never one of the reported seeds. */
  seed: number;
  /** Which score decides. */
  score: DevScoreKind;
  /** Metric key the score reads (default: the setting's `metric`). */
  metric?: string;
  /** How the score is named in the table. */
  scoreLabel: string;
  variants: DevVariant[];
}

/** Statistics of one arm over seeds. */
export interface ArmStats {
  id: string;
  label: string;
  role: ArmRole;
  seeds: number[];
  values: number[];
  mean: number;
  std: number;
  /** Folders of the runs the values come from (one per seed). */
  runs: string[];
  /** Per run (as `runs`): the code version(s) that trained it, "not recorded" for runs trained before provenance was kept. */
  versions?: string[];
  /** Per run (as `runs`): its provenance (code version, backend, times; `earlier` attempts it resumed), null when not recorded. */
  provenance?: (Pick<EffectsRunRecord, 'provenance' | 'earlier'> | null)[];
}

/** The runs of a setting that one code version trained. */
export interface CodeVersionRuns {
  /** The version label (`ebbaca7`, `ebbaca7+dirty`, `not recorded`, or `a + b` for a run resumed across versions). */
  version: string;
  /** The trained arms with runs of this version and their seeds. */
  arms: { id: string; seeds: number[] }[];
  /** Number of distinct runs (an arm read from another arm's run adds none). */
  runs: number;
}

/** A paired comparison over seeds. */
export interface ComparisonStats {
  method: string;
  baseline: string;
  seeds: number[];
  /** method − baseline per seed. */
  differences: number[];
  meanDifference: number;
  /** 95% Student-t interval of the mean paired difference ([NaN, NaN] with fewer than 2 seeds). */
  interval: [number, number];
  /** Seeds where the method is above the baseline. */
  wins: number;
  /** 'better' when the interval is above 0, 'worse' when below, else 'no clear difference'. */
  verdict: 'better' | 'worse' | 'no clear difference' | 'too few seeds';
  paper: string;
}

/** The headroom rule of a setting. */
export interface HeadroomStats {
  chance: number;
  baseline: number;
  ceiling: number;
  /** ceiling − baseline. */
  margin: number;
  /** What the margin must reach: min(1.5 × (baseline − chance), 0.15). */
  required: number;
  counts: boolean;
}

/** Everything `lel effects` measured for one setting. */
export interface SettingResult {
  id: string;
  method: string;
  package: string;
  title: string;
  task: string;
  metric: string;
  metricLabel: string;
  notes?: string;
  /** The seeds asked for; an arm's `seeds` are those of its finished runs (a subset while the grid is incomplete). */
  seeds: number[];
  arms: ArmStats[];
  comparisons: ComparisonStats[];
  headroom: HeadroomStats | null;
  /** Mean of every other numeric metric of each trained arm (losses, dev scores, time), for the JSON and the report. */
  extra: Record<string, Record<string, number>>;
  /** Mean wall-clock seconds of one run of each trained arm. */
  seconds: Record<string, number>;
  /** The code versions the setting's runs come from, in order of first appearance (arm order, then seed). */
  codeVersions?: CodeVersionRuns[];
}
