import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { describeGolden } from './testing/golden';
import { nnHandlers } from './golden/nn.golden';
import { numericHandlers } from './golden/numeric.golden';

// Every case of core.json (or of the file named by env LEL_GOLDEN), on every installed backend.
describeGolden(new URL('./fixtures/core.json', import.meta.url), { ...nnHandlers, ...numericHandlers });
