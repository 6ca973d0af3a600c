import { lelProject } from '../../vitest.shared.ts';

export default lelProject('@lel/core');
