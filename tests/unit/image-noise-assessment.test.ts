/**
 * The noisy-series rule: a series is flagged only when its nodule-scale noise was measured and the
 * manifest states a validated limit that it exceeds; the warning names both figures.
 */
import { describe, expect, it } from 'vitest';
import type { ImageNoise } from '../../src/common/findings/findings-document';
import { assessImageNoise, NOISY_SERIES_WARNING } from '../../src/core/inference/pipeline';

const method = { sigmaMm: 1, softTissueHu: [-150, 150] as const };
const measured = (noduleScaleSdHu: number): ImageNoise => ({
  ...method,
  measured: true,
  patches: 100,
  softTissueSdHu: 44.5,
  noduleScaleSdHu,
});

describe('assessImageNoise', () => {
  it('warns above the validated limit, naming the series figure and the limit', () => {
    const r = assessImageNoise(measured(16), { validatedMaxHu: 11.21 });
    expect(r.assessment).toMatchObject({ aboveValidated: true, validatedMaxHu: 11.21, noduleScaleSdHu: 16 });
    expect(r.warning).toMatch(new RegExp(`^${NOISY_SERIES_WARNING.replace(/[()]/g, '\\$&')}`));
    expect(r.warning).toContain('16 HU SD at nodule scale, validated up to 11.21 HU; 44.5 HU in soft tissue');
  });

  it('does not warn at or below the limit', () => {
    for (const v of [11.21, 6.5]) {
      const r = assessImageNoise(measured(v), { validatedMaxHu: 11.21 });
      expect(r.assessment.aboveValidated).toBe(false);
      expect(r.warning).toBeUndefined();
    }
  });

  it('does not claim a limit the manifest does not state, nor judge noise it could not measure', () => {
    const none = assessImageNoise(measured(40), undefined);
    expect(none.assessment).not.toHaveProperty('validatedMaxHu');
    expect(none.assessment.aboveValidated).toBe(false);
    expect(none.warning).toBeUndefined();
    const unmeasured = assessImageNoise({ ...method, measured: false, patches: 3 }, { validatedMaxHu: 11 });
    expect(unmeasured.assessment).toMatchObject({
      measured: false,
      aboveValidated: false,
      validatedMaxHu: 11,
    });
    expect(unmeasured.warning).toBeUndefined();
  });
});
