/** @deprecated Moved to src/common/findings/brock.ts; kept only for src/core/inference (being split concurrently). Import from src/common. */
export * from '../../common/findings/brock';
