// A linear, non-recursive pass over JSON bytes that measures what `JSON.parse` cannot be told to limit:
// nesting depth, the number of top-level members, and duplicate keys (which `JSON.parse` silently
// resolves to the last). It allocates nothing proportional to the depth beyond a small frame per open
// bracket (bounded by `maxDepth`), so hostile headers are refused before `JSON.parse` builds anything.
// Malformed JSON is not reported here: the scan stops and `JSON.parse` then names the syntax error.

/** Limits of {@link scanJsonStructure}. */
export interface JsonStructureLimits {
  /** Deepest nesting of arrays/objects accepted. */
  maxDepth: number;
  /** Most members of the top-level object (keys listed in `uncounted` excepted). */
  maxTopLevelMembers: number;
  /** Top-level keys not counted against `maxTopLevelMembers` (e.g. `__metadata__`). */
  uncounted?: readonly string[];
}

/** The first structural problem found. */
export type JsonStructureProblem =
  | { kind: 'depth'; depth: number; offset: number }
  | { kind: 'members'; count: number }
  /** `path`: keys of the enclosing objects from the top (empty for a duplicate top-level key). */
  | { kind: 'duplicate'; key: string; path: string[] };

interface Frame {
  object: boolean;
  keys: Set<string> | null;
  expectKey: boolean;
  /** Key of the member being read in this object (for duplicate paths). */
  current: string | undefined;
}

const utf8 = new TextDecoder('utf-8');

function decodeKey(raw: Uint8Array): string {
  const s = utf8.decode(raw);
  if (!s.includes('\\')) return s;
  try {
    return JSON.parse(`"${s}"`) as string;
  } catch {
    return s; // malformed escape: JSON.parse of the whole text reports it
  }
}

/**
 * Scan JSON `bytes` (UTF-8: every structural character is ASCII, and no byte of a multi-byte sequence is)
 * for excessive depth, too many top-level members, or a duplicate key in any object.
 */
export function scanJsonStructure(bytes: Uint8Array, limits: JsonStructureLimits): JsonStructureProblem | null {
  const stack: Frame[] = [];
  const uncounted = new Set(limits.uncounted ?? []);
  let members = 0;
  const n = bytes.length;
  for (let i = 0; i < n; i++) {
    const c = bytes[i]!;
    if (c === 0x22 /* " */) {
      let j = i + 1;
      while (j < n) {
        const d = bytes[j]!;
        if (d === 0x5c /* \ */) j += 2;
        else if (d === 0x22) break;
        else j++;
      }
      if (j >= n) return null; // unterminated string: a syntax error
      const top = stack[stack.length - 1];
      if (top?.object && top.expectKey) {
        const key = decodeKey(bytes.subarray(i + 1, j));
        if (top.keys!.has(key)) return { kind: 'duplicate', key, path: stack.slice(0, -1).map((f) => f.current ?? '') };
        top.keys!.add(key);
        top.current = key;
        top.expectKey = false;
        if (stack.length === 1 && !uncounted.has(key) && ++members > limits.maxTopLevelMembers) return { kind: 'members', count: members };
      }
      i = j;
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      const object = c === 0x7b;
      stack.push({ object, keys: object ? new Set() : null, expectKey: object, current: undefined });
      if (stack.length > limits.maxDepth) return { kind: 'depth', depth: stack.length, offset: i };
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      if (stack.pop() === undefined) return null;
    } else if (c === 0x2c /* , */) {
      const top = stack[stack.length - 1];
      if (top?.object) top.expectKey = true;
    }
  }
  return null;
}
