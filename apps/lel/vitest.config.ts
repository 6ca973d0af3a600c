import { lelProject } from '../../vitest.shared.ts';

export default lelProject('lel', { testTimeout: 300_000 });
