// `pnpm bench:gpu:methods`: the command line of bench-methods.ts (a module of its own, so the GPU kit's bundle can
// import benchMethodsMain without running it).
import { benchMethodsMain } from './bench-methods';

process.exit(await benchMethodsMain(process.argv.slice(2)));
