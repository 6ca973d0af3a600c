import { lelProject } from '../../vitest.shared.ts';

// Core's tests import its modules directly (not through the package entry, whose Node variant installs Node's
// host): install it before each test file, as `@lel/core` does in Node.
export default lelProject('@lel/core', { setupFiles: ['./src/node.ts'] });
