/** @deprecated Moved to src/common/findings/patient.ts; kept only for src/core/inference (being split concurrently). Import from src/common. */
export * from '../../common/findings/patient';
