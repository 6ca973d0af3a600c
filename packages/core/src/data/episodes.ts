import { Rng } from '../random/rng';
import { indicesByClass } from './batches';

/** One few-shot episode: dataset indices of the support and query sets and the classes drawn. */
export interface Episode {
  /** Dataset labels of the N classes, in episode order (episode label j ↔ classes[j]). */
  classes: number[];
  /** N·K support indices, class-major (K for classes[0], then classes[1], …). */
  support: number[];
  /** Episode-local labels (0..N-1) of `support`. */
  supportLabels: number[];
  /** N·Q query indices, class-major. */
  query: number[];
  /** Episode-local labels (0..N-1) of `query`. */
  queryLabels: number[];
}

/** Options for {@link EpisodeSampler}. */
export interface EpisodeSamplerOptions {
  labels: ArrayLike<number>;
  nWay: number;
  kShot: number;
  nQuery: number;
  /** Episodes per pass. Default 600 (the usual few-shot evaluation protocol). */
  episodes?: number;
  seed: number | string;
}

/**
 * N-way K-shot episode sampler. Episode `i` depends only on (seed, i), so evaluation over a fixed seed is
 * reproducible and any episode can be regenerated alone. Only classes with at least K + Q samples are
 * drawn; support and query are disjoint.
 */
export class EpisodeSampler implements Iterable<Episode> {
  readonly nWay: number;
  readonly kShot: number;
  readonly nQuery: number;
  readonly episodes: number;
  readonly seed: string;
  /** Classes with enough samples to appear in an episode. */
  readonly eligibleClasses: number[];
  private readonly byClass: Map<number, number[]>;

  constructor(options: EpisodeSamplerOptions) {
    const { nWay, kShot, nQuery } = options;
    for (const [name, v] of [['nWay', nWay], ['kShot', kShot], ['nQuery', nQuery]] as const) {
      if (!Number.isInteger(v) || v < (name === 'nQuery' ? 0 : 1)) throw new Error(`EpisodeSampler: ${name} must be a ${name === 'nQuery' ? 'non-negative' : 'positive'} integer, got ${v}`);
    }
    this.nWay = nWay;
    this.kShot = kShot;
    this.nQuery = nQuery;
    this.episodes = options.episodes ?? 600;
    this.seed = String(options.seed);
    this.byClass = indicesByClass(options.labels);
    this.eligibleClasses = [...this.byClass.entries()].filter(([, g]) => g.length >= kShot + nQuery).map(([y]) => y);
    if (this.eligibleClasses.length < nWay) {
      throw new Error(`EpisodeSampler: ${nWay}-way ${kShot}-shot with ${nQuery} queries needs ${nWay} classes with ≥ ${kShot + nQuery} samples; only ${this.eligibleClasses.length} have enough`);
    }
  }

  /** The i-th episode (deterministic in seed and i). */
  episode(i: number): Episode {
    const rng = new Rng(`episode/${this.seed}/${i}`);
    const classes = rng.sample(this.eligibleClasses.length, this.nWay).map((j) => this.eligibleClasses[j]!);
    const ep: Episode = { classes, support: [], supportLabels: [], query: [], queryLabels: [] };
    classes.forEach((y, j) => {
      const pool = this.byClass.get(y)!;
      const drawn = rng.sample(pool.length, this.kShot + this.nQuery).map((t) => pool[t]!);
      for (let s = 0; s < this.kShot; s++) {
        ep.support.push(drawn[s]!);
        ep.supportLabels.push(j);
      }
      for (let q = this.kShot; q < drawn.length; q++) {
        ep.query.push(drawn[q]!);
        ep.queryLabels.push(j);
      }
    });
    return ep;
  }

  *[Symbol.iterator](): Iterator<Episode> {
    for (let i = 0; i < this.episodes; i++) yield this.episode(i);
  }
}
