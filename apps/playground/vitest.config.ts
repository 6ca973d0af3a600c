import { lelProject } from '../../vitest.shared.ts';

export default lelProject('playground', { testTimeout: 300_000 });
