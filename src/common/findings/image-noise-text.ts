/** The series' image noise as one line for the findings panel and the report. */
import type { ImageNoiseAssessment } from './findings-document';

export function imageNoiseText(n: ImageNoiseAssessment): string {
  if (!n.measured) {
    return `Image noise not measured: too little homogeneous soft tissue in this series (${n.patches} patches)`;
  }
  const limit =
    n.validatedMaxHu === undefined
      ? 'no validated limit in the model manifest'
      : n.aboveValidated
        ? `ABOVE the ${n.validatedMaxHu} HU the models were validated at`
        : `models validated up to ${n.validatedMaxHu} HU`;
  return `Image noise: SD ${n.softTissueSdHu} HU in soft tissue, ${n.noduleScaleSdHu} HU at nodule scale (${limit})`;
}
