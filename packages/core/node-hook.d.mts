/** Source of the Node resolve hook that lets plain Node load tfjs-core's extension-less ESM gradient files. */
export declare const TFJS_ESM_RESOLVE_HOOK: string;
/** Register the hook (idempotent); importing `@lel/core/node-hook` already does. */
export declare function installTfjsEsmHook(): void;
