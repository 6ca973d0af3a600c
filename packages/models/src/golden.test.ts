import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { readSafetensorsFile } from '@lel/core/node';
import { describeGolden, type GoldenContext, type GoldenTensor } from '@lel/core/testing';
import { BertForSequenceClassification } from './bert/sequence-classification';
import { BertModel } from './bert/model';
import { loadBertWeights } from './bert/checkpoint';
import { WordPieceTokenizer, type PaddingStrategy, type TruncationStrategy } from './tokenizer/wordpiece';

interface HfConfig {
  vocab_size: number;
  hidden_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  intermediate_size: number;
  max_position_embeddings: number;
  type_vocab_size: number;
}

async function tinyBertForward(ctx: GoldenContext): Promise<void> {
  if (ctx.param<string>('hiddenAct') !== 'gelu_erf') throw new Error(`unsupported hiddenAct ${ctx.param<string>('hiddenAct')}`);
  if (ctx.param<number>('maskValue') !== -10000) throw new Error(`unsupported maskValue ${ctx.param<number>('maskValue')}`);
  const c = ctx.param<HfConfig>('config');
  const config = {
    vocabSize: c.vocab_size,
    hiddenSize: c.hidden_size,
    numHiddenLayers: c.num_hidden_layers,
    numAttentionHeads: c.num_attention_heads,
    intermediateSize: c.intermediate_size,
    maxPositionEmbeddings: c.max_position_embeddings,
    typeVocabSize: c.type_vocab_size,
    layerNormEps: ctx.param<number>('layerNormEps'),
  };
  const { tensors } = await readSafetensorsFile(ctx.resolvePath(ctx.param<string>('checkpoint')));
  const wantsLogits = ctx.hasExpected('logits');
  const model = wantsLogits ? new BertForSequenceClassification(config, { numLabels: (ctx.expected<GoldenTensor>('logits').shape[1])! }) : new BertModel(config);
  try {
    const report = loadBertWeights(model, tensors);
    if (report.newlyInitialized.length > 0) throw new Error(`checkpoint left ${report.newlyInitialized.join(', ')} uninitialised`);
    model.eval();
    const inputIds = ctx.inputInt('input_ids');
    const attentionMask = ctx.inputInt('attention_mask');
    const tokenTypeIds = ctx.inputInt('token_type_ids');
    const out = model.forward({ inputIds, attentionMask, tokenTypeIds });
    try {
      ctx.expectClose('last_hidden_state', out.lastHiddenState);
      ctx.expectClose('pooler_output', out.poolerOutput!);
      if (wantsLogits) {
        if (!('logits' in out)) throw new Error('the classification model returned no logits');
        ctx.expectClose('logits', out.logits as tf.Tensor);
      }
    } finally {
      tf.dispose([inputIds, attentionMask, tokenTypeIds, out as unknown as tf.TensorContainer]);
    }
  } finally {
    model.dispose();
  }
}

function wordpieceTokenize(ctx: GoldenContext): void {
  const tok = new WordPieceTokenizer(ctx.param<string[]>('vocab'), {
    lowercase: ctx.param<boolean>('lowercase'),
    stripAccents: ctx.param<boolean>('stripAccents'),
    cleanText: ctx.param<boolean>('cleanText'),
    handleChineseChars: ctx.param<boolean>('handleChineseChars'),
    maxInputCharsPerWord: ctx.param<number>('maxInputCharsPerWord'),
    unkToken: ctx.param<string>('unkToken'),
    continuingSubwordPrefix: ctx.param<string>('continuingSubwordPrefix'),
  });
  const maxLength = ctx.params['maxLength'];
  const enc = tok.encode(ctx.inputValue<string>('text'), {
    textPair: ctx.hasInput('textPair') ? ctx.inputValue<string>('textPair') : null,
    addSpecialTokens: ctx.param<boolean>('addSpecialTokens'),
    maxLength: typeof maxLength === 'number' ? maxLength : null,
    truncation: ctx.param<TruncationStrategy>('truncation', false),
    padding: ctx.param<PaddingStrategy>('padding', false),
  });
  // expectEqual compares JSON, so a string[] works although its type says numbers.
  ctx.expectEqual('tokens', enc.tokens as unknown as ArrayLike<number>);
  ctx.expectEqual('input_ids', enc.inputIds);
  ctx.expectEqual('token_type_ids', enc.tokenTypeIds);
  ctx.expectEqual('attention_mask', enc.attentionMask);
}

describeGolden(new URL('./fixtures/models.json', import.meta.url), { tinyBertForward, wordpieceTokenize });
