/** @deprecated Moved to src/common/volume.ts; kept only for src/core/inference (being split concurrently). Import from src/common. */
export * from '../../common/volume';
