import { libraryBuild } from '../../tsup.shared';

// `node`: the Node-only entry (@lel/datasets/node); shared code is split into chunks so both entries hold the same classes.
export default libraryBuild({ index: 'src/index.ts', node: 'src/node.ts' }, { splitting: true });
