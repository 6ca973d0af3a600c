// Bootstrap of a data-parallel worker run from TypeScript sources: Node 20 ignores `--import` in a
// Worker's execArgv, so tsx's loader is registered here, in the worker, before importing the worker.
import { register } from 'tsx/esm/api';

register();
await import('./worker.ts');
