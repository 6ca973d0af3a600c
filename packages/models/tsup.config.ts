import { libraryBuild } from '../../tsup.shared';

// `node`: the Node-only entry (@lel/models/node). pretraining-task is a separate file: @lel/core's DataParallel
// workers import it by path (pretrainBert). Shared code is split into chunks so both entries hold the same classes.
export default libraryBuild({ index: 'src/index.ts', node: 'src/node.ts', 'pretraining-task': 'src/pretraining/pretraining-task.ts' }, { splitting: true });
