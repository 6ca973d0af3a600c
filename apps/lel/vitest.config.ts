import { lelProject } from '../../vitest.shared';

export default lelProject('lel', { testTimeout: 300_000 });
