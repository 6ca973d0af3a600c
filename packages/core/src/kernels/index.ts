// Barrel of kernels: explicit named exports only.
