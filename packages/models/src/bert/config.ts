/** BERT hyper-parameters (Hugging Face `BertConfig`, camelCased). */
export interface BertConfig {
  vocabSize: number;
  hiddenSize: number;
  numHiddenLayers: number;
  numAttentionHeads: number;
  intermediateSize: number;
  maxPositionEmbeddings: number;
  typeVocabSize: number;
  /** Default 1e-12 (HF). */
  layerNormEps: number;
  /** Dropout after embeddings, attention output and FFN output. Default 0.1. */
  hiddenDropoutProb: number;
  /** Dropout on attention probabilities. Default 0.1. */
  attentionProbsDropoutProb: number;
  /** Std of the normal initialiser for dense and embedding weights. Default 0.02. */
  initializerRange: number;
  /** Only `gelu` (erf form, HF's default for BERT) is supported. */
  hiddenAct: 'gelu';
}

/** bert-base-uncased (110M parameters). */
export const BERT_BASE_UNCASED: BertConfig = {
  vocabSize: 30522,
  hiddenSize: 768,
  numHiddenLayers: 12,
  numAttentionHeads: 12,
  intermediateSize: 3072,
  maxPositionEmbeddings: 512,
  typeVocabSize: 2,
  layerNormEps: 1e-12,
  hiddenDropoutProb: 0.1,
  attentionProbsDropoutProb: 0.1,
  initializerRange: 0.02,
  hiddenAct: 'gelu',
};

/** Fill defaults (bert-base-uncased's) into a partial config and validate it. */
export function bertConfig(partial: Partial<BertConfig> = {}): BertConfig {
  const c: BertConfig = { ...BERT_BASE_UNCASED, ...partial };
  if (c.hiddenSize % c.numAttentionHeads !== 0) {
    throw new Error(`bertConfig: hiddenSize ${c.hiddenSize} is not divisible by numAttentionHeads ${c.numAttentionHeads}`);
  }
  if (c.hiddenAct !== 'gelu') throw new Error(`bertConfig: hiddenAct "${String(c.hiddenAct)}" is not supported (only "gelu", erf form)`);
  for (const k of ['vocabSize', 'hiddenSize', 'numHiddenLayers', 'numAttentionHeads', 'intermediateSize', 'maxPositionEmbeddings', 'typeVocabSize'] as const) {
    if (!Number.isInteger(c[k]) || c[k] <= 0) throw new Error(`bertConfig: ${k} must be a positive integer, got ${c[k]}`);
  }
  return c;
}

/** HF `config.json` keys (snake_case) → {@link BertConfig}. Unknown keys are ignored. */
export function bertConfigFromHf(json: Record<string, unknown>): BertConfig {
  const num = (k: string): number | undefined => (typeof json[k] === 'number' ? (json[k] as number) : undefined);
  const act = json['hidden_act'];
  if (act !== undefined && act !== 'gelu') {
    throw new Error(`bertConfigFromHf: hidden_act "${String(act)}" is not supported (only "gelu", erf form)`);
  }
  const partial: Partial<BertConfig> = {
    vocabSize: num('vocab_size'),
    hiddenSize: num('hidden_size'),
    numHiddenLayers: num('num_hidden_layers'),
    numAttentionHeads: num('num_attention_heads'),
    intermediateSize: num('intermediate_size'),
    maxPositionEmbeddings: num('max_position_embeddings'),
    typeVocabSize: num('type_vocab_size'),
    layerNormEps: num('layer_norm_eps'),
    hiddenDropoutProb: num('hidden_dropout_prob'),
    attentionProbsDropoutProb: num('attention_probs_dropout_prob'),
    initializerRange: num('initializer_range'),
  };
  return bertConfig(Object.fromEntries(Object.entries(partial).filter(([, v]) => v !== undefined)) as Partial<BertConfig>);
}

/** {@link BertConfig} → HF `config.json` object (so transformers can load a saved model). */
export function bertConfigToHf(c: BertConfig, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    model_type: 'bert',
    vocab_size: c.vocabSize,
    hidden_size: c.hiddenSize,
    num_hidden_layers: c.numHiddenLayers,
    num_attention_heads: c.numAttentionHeads,
    intermediate_size: c.intermediateSize,
    max_position_embeddings: c.maxPositionEmbeddings,
    type_vocab_size: c.typeVocabSize,
    layer_norm_eps: c.layerNormEps,
    hidden_dropout_prob: c.hiddenDropoutProb,
    attention_probs_dropout_prob: c.attentionProbsDropoutProb,
    initializer_range: c.initializerRange,
    hidden_act: 'gelu',
    pad_token_id: 0,
    position_embedding_type: 'absolute',
    ...extra,
  };
}
