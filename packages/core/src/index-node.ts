// @lel/core as Node loads it (the `node` export condition): the browser-safe main entry, with Node's host for `fit`
// installed first (run folders, checkpoints, resume, the progress bar). Same exports as ./index.ts, so types and
// code are identical across platforms; the Node-only names are exported by ./node.ts (`@lel/core/node`).
import './node';

export * from './index';
