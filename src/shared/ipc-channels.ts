/**
 * The two Electron IPC channel names (the router does per-channel dispatch). Kept free of imports
 * so the sandboxed preload can bundle it without pulling zod in.
 */
export const IPC_INVOKE = 'pulmolens:invoke';
export const IPC_EVENT = 'pulmolens:event';
