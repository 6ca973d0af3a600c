import * as tf from '@tensorflow/tfjs-core';
import { AdamW, Rng, computeGradients, crossEntropy, linearWithWarmup, type NamedParameter } from '@lel/core';
import type { BertConfig } from '../bert/config';
import { BertForMaskedLM } from '../bert/masked-lm';
import { trainWordPieceVocab } from '../tokenizer/train-vocab';
import { WordPieceTokenizer } from '../tokenizer/wordpiece';
import { maskTokens } from './mask-tokens';

/** A small BERT that pretrains in minutes on a CPU (≈ 1.1M parameters with a 4000-token vocabulary). */
export const BERT_MINI_CONFIG: Partial<BertConfig> = {
  hiddenSize: 128,
  numHiddenLayers: 2,
  numAttentionHeads: 2,
  intermediateSize: 512,
  maxPositionEmbeddings: 128,
};

/** Options of {@link pretrainMlm}. */
export interface MlmPretrainOptions {
  /** Raw training texts (e.g. `loadTextCorpus()` from @lel/datasets). */
  texts: readonly string[];
  /** Tokenizer to use; default: a WordPiece vocabulary of `vocabSize` trained on `texts`. */
  tokenizer?: WordPieceTokenizer;
  /** Vocabulary size when training one. Default 4000. */
  vocabSize?: number;
  /**
   * Start from this model (e.g. a checkpoint loaded with `loadBertWeightsFromFile`) instead of a fresh one: continued
   * pretraining. Pass its `tokenizer` too; `config` is then ignored. On failure the caller still owns it.
   */
  init?: BertForMaskedLM;
  /** Model size (vocabSize comes from the tokenizer). Default {@link BERT_MINI_CONFIG}. */
  config?: Partial<BertConfig>;
  /** Tokens per sequence, [CLS] and [SEP] included. Default 64. */
  seqLength?: number;
  /** Default 16. */
  batchSize?: number;
  /** Optimisation steps. Default 300. */
  steps?: number;
  /** Peak learning rate of AdamW (linear warm-up over 10% of the steps, then linear decay). Default 1e-3. */
  lr?: number;
  /** AdamW weight decay (not on biases and LayerNorm, as HF). Default 0.01. */
  weightDecay?: number;
  /** Default 0.15. */
  maskProb?: number;
  /** Seeds data order, masking, dropout and initial weights. Default 0. */
  seed?: number;
  /** Called after every step. */
  onStep?: (step: number, loss: number) => void;
}

/** What {@link pretrainMlm} returns; the caller disposes `model`. */
export interface MlmPretrainResult {
  model: BertForMaskedLM;
  tokenizer: WordPieceTokenizer;
  /** Loss of every step. */
  losses: number[];
}

/**
 * Pretrain a small BERT by masked language modelling (BERT's 15% / 80-10-10 corruption, no next-sentence task):
 * tokenise every text, cut the token stream into `seqLength − 2` chunks wrapped in [CLS] … [SEP], and train
 * with AdamW on random batches. Save the result with `saveBertPretrained(model, dir, { tokenizer })`, then load
 * it as a `BertForSequenceClassification` for fine-tuning.
 */
export async function pretrainMlm(options: MlmPretrainOptions): Promise<MlmPretrainResult> {
  const seed = options.seed ?? 0;
  const rng = new Rng(seed);
  const tokenizer = options.tokenizer ?? new WordPieceTokenizer(trainWordPieceVocab(options.texts, { vocabSize: options.vocabSize ?? 4000 }));
  const seqLength = options.seqLength ?? 64;
  const batchSize = options.batchSize ?? 16;
  const steps = options.steps ?? 300;
  const chunks = chunkCorpus(options.texts, tokenizer, seqLength);
  if (chunks.length === 0) throw new Error('pretrainMlm: the texts produced no tokens');
  const config = options.init ? options.init.config : { ...BERT_MINI_CONFIG, ...options.config, vocabSize: tokenizer.vocabSize };
  if ((config.maxPositionEmbeddings ?? 512) < seqLength) throw new Error(`pretrainMlm: seqLength ${seqLength} exceeds maxPositionEmbeddings ${config.maxPositionEmbeddings}`);
  if (options.init && options.init.config.vocabSize !== tokenizer.vocabSize) throw new Error(`pretrainMlm: init has vocabulary ${options.init.config.vocabSize} but the tokenizer ${tokenizer.vocabSize}`);
  const model = options.init ?? new BertForMaskedLM(config, { rng: rng.fork('init') });
  model.train();
  const params = model.trainableParameters();
  const noDecay = (n: string) => n.endsWith('.bias') || n.includes('LayerNorm');
  const optimizer = new AdamW(
    [
      { params: params.filter(([n]) => !noDecay(n)) as NamedParameter[] },
      { params: params.filter(([n]) => noDecay(n)) as NamedParameter[], weightDecay: 0 },
    ],
    { lr: options.lr ?? 1e-3, weightDecay: options.weightDecay ?? 0.01 },
  );
  const schedule = linearWithWarmup({ baseLr: options.lr ?? 1e-3, warmupSteps: Math.round(0.1 * steps), totalSteps: steps });
  const specialIds = new Set([tokenizer.clsId, tokenizer.sepId, tokenizer.padId]);
  const dataRng = rng.fork('data');
  const losses: number[] = [];
  try {
    for (let step = 0; step < steps; step++) {
      const rows = Array.from({ length: batchSize }, () => chunks[dataRng.int(chunks.length)]!);
      const masked = maskTokens(rows, dataRng, { specialIds, maskId: tokenizer.maskId, vocabSize: tokenizer.vocabSize, maskProb: options.maskProb });
      const inputIds = tf.tensor2d(masked.inputIds, [batchSize, seqLength], 'int32');
      const attentionMask = tf.tensor2d(rows.map((r) => r.map((id) => (id === tokenizer.padId ? 0 : 1))), [batchSize, seqLength], 'int32');
      const positions = tf.tensor1d(masked.positions, 'int32');
      const labels = tf.tensor1d(masked.labels, 'int32');
      try {
        optimizer.lr = schedule.lrAt(step + 1);
        const { loss, grads } = await computeGradients(() => crossEntropy(model.mlmLogits({ inputIds, attentionMask }, positions), labels) as tf.Scalar, params);
        optimizer.step(grads);
        tf.dispose([...grads.values()]);
        if (!Number.isFinite(loss)) throw new Error(`pretrainMlm: loss became ${loss} at step ${step}`);
        losses.push(loss);
        options.onStep?.(step, loss);
      } finally {
        tf.dispose([inputIds, attentionMask, positions, labels]);
      }
      // Yield so progress callbacks and timers can run during long runs.
      if (step % 10 === 9) await new Promise((r) => setTimeout(r, 0));
    }
  } catch (e) {
    if (!options.init) model.dispose();
    throw e;
  } finally {
    optimizer.dispose();
  }
  model.eval();
  return { model, tokenizer, losses };
}

/** Token stream of all texts cut into [CLS] + (seqLength − 2) tokens + [SEP] rows; the last row is padded. */
export function chunkCorpus(texts: readonly string[], tokenizer: WordPieceTokenizer, seqLength: number): number[][] {
  if (seqLength < 3) throw new Error(`chunkCorpus: seqLength must be ≥ 3, got ${seqLength}`);
  const body = seqLength - 2;
  const rows: number[][] = [];
  let cur: number[] = [];
  const flush = () => {
    const row = [tokenizer.clsId, ...cur, tokenizer.sepId];
    while (row.length < seqLength) row.push(tokenizer.padId);
    rows.push(row);
    cur = [];
  };
  for (const text of texts) {
    for (const tok of tokenizer.tokenize(text)) {
      cur.push(tokenizer.tokenToId(tok));
      if (cur.length === body) flush();
    }
  }
  if (cur.length > 0) flush();
  return rows;
}
