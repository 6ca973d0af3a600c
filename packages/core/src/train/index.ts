// Barrel of train: explicit named exports only.
