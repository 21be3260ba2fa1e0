/** @deprecated Moved to src/common/findings/fleischner.ts; kept only for src/core/inference (being split concurrently). Import from src/common. */
export * from '../../common/findings/fleischner';
