import { parse as parseYaml } from 'yaml';

/** Largest config file read (configs are a few kB; a recipe's whole resolved config is under 10 kB). */
export const CONFIG_MAX_BYTES = 1 << 20;
/** Deepest nesting of flow collections (`[…]`, `{…}`) accepted in a config or a `--set` value. */
export const CONFIG_MAX_FLOW_DEPTH = 64;
/** Widest indentation accepted (bounds block nesting: each level indents at least one space). */
export const CONFIG_MAX_INDENT = 128;

/**
 * Parse YAML from `where` (`--config <file>`, `--set <key>`) after bounding what the YAML parser recurses
 * over: the yaml package parses nesting recursively, so a 10 kB file of brackets overflows its stack (and has
 * been seen to abort the process in V8's regexp compiler afterwards) and a few MB take minutes. The checks are
 * conservative (brackets inside quoted strings count too), far above any real config. Alias expansion is
 * bounded by the parser itself (`maxAliasCount`, 100).
 */
export function parseYamlGuarded(text: string, where: string): unknown {
  if (text.length > CONFIG_MAX_BYTES) throw new Error(`${where}: ${text.length} characters, more than a config may hold (${CONFIG_MAX_BYTES})`);
  let depth = 0;
  let indent = 0;
  let lineStart = true;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x0a) {
      lineStart = true;
      indent = 0;
      continue;
    }
    if (lineStart && (c === 0x20 || c === 0x09)) {
      if (++indent > CONFIG_MAX_INDENT) throw new Error(`${where}: line ${lineOf(text, i)} is indented more than ${CONFIG_MAX_INDENT} columns (nesting too deep)`);
      continue;
    }
    lineStart = false;
    if (c === 0x5b || c === 0x7b) {
      if (++depth > CONFIG_MAX_FLOW_DEPTH) throw new Error(`${where}: brackets nest more than ${CONFIG_MAX_FLOW_DEPTH} deep (line ${lineOf(text, i)})`);
    } else if ((c === 0x5d || c === 0x7d) && depth > 0) depth--;
  }
  return parseYaml(text);
}

function lineOf(text: string, at: number): number {
  let n = 1;
  for (let i = 0; i < at; i++) if (text.charCodeAt(i) === 0x0a) n++;
  return n;
}
