import { libraryBuild } from '../../tsup.shared';

// pretraining-task is a separate file: @lel/core's DataParallel workers import it by path (pretrainBert).
export default libraryBuild({ index: 'src/index.ts', 'pretraining-task': 'src/pretraining/pretraining-task.ts' });
