import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { WordPieceTokenizer, type WordPieceConfig } from './wordpiece';

/**
 * Load a WordPiece tokenizer from a `tokenizer.json`, a `vocab.txt`, or a model folder holding either
 * (tokenizer.json preferred, as transformers does: a transformers 5 folder has no vocab.txt). Errors about
 * the file name it and the field. Node only.
 */
export async function loadWordPieceTokenizer(path: string, config: WordPieceConfig = {}): Promise<WordPieceTokenizer> {
  let file = path;
  if ((await stat(path)).isDirectory()) {
    const candidates = [join(path, 'tokenizer.json'), join(path, 'vocab.txt')];
    const found = await firstExisting(candidates);
    if (!found) throw new Error(`loadWordPieceTokenizer: ${path} has neither tokenizer.json nor vocab.txt`);
    file = found;
  }
  const text = await readFile(file, 'utf8');
  return file.endsWith('.json') ? WordPieceTokenizer.fromTokenizerJson(text, config, file) : WordPieceTokenizer.fromVocabTxt(text, config);
}

async function firstExisting(paths: string[]): Promise<string | null> {
  for (const p of paths) {
    try {
      if ((await stat(p)).isFile()) return p;
    } catch {
      // not there; try the next one
    }
  }
  return null;
}
