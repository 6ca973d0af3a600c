import { lelProject } from '../../vitest.shared';

export default lelProject('@lel/core');
