/**
 * The noisy-series rule: a series is flagged only when its nodule-scale noise was measured and the
 * manifest states a validated limit that it exceeds; the warning names both figures.
 */
import { describe, expect, it } from 'vitest';
import type { ImageNoise } from '../../src/common/findings/findings-document';
import { assessImageNoise, NOISY_SERIES_WARNING } from '../../src/core/inference/pipeline';
import { imageNoiseText } from '../../src/common/findings/image-noise-text';

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

describe('imageNoiseText', () => {
  it('states both figures and the limit, loudly when above it, and why when not measured', () => {
    expect(imageNoiseText(assessImageNoise(measured(6.5), { validatedMaxHu: 11.21 }).assessment)).toBe(
      'Image noise: SD 44.5 HU in soft tissue, 6.5 HU at nodule scale (models validated up to 11.21 HU)',
    );
    expect(imageNoiseText(assessImageNoise(measured(16), { validatedMaxHu: 11.21 }).assessment)).toBe(
      'Image noise: SD 44.5 HU in soft tissue, 16 HU at nodule scale (ABOVE the 11.21 HU the models were validated at)',
    );
    expect(imageNoiseText(assessImageNoise(measured(16), undefined).assessment)).toContain(
      '(no validated limit in the model manifest)',
    );
    expect(
      imageNoiseText(assessImageNoise({ ...method, measured: false, patches: 3 }, undefined).assessment),
    ).toBe('Image noise not measured: too little homogeneous soft tissue in this series (3 patches)');
  });
});
