import { lelProject } from '../../vitest.shared.ts';

export default lelProject('@lel/entropy-min');
