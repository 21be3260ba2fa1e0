import { describe, expect, it } from 'vitest';
import { heatmapModel } from '../../src/common/findings/findings-document';
import { keyImageHeatmapCaption } from '../../src/core/report/pdf-report';

const detector = { name: 'pulmolens-detector', version: '0.1.0', sha256: 'a'.repeat(64) };
const fusion = { name: 'pulmolens-fusion-detector', version: '0.4.0', sha256: 'b'.repeat(64) };

describe('heatmapModel: which U-Net the overlay and the parametric map hold', () => {
  it('is the fusion detector when the document says its heatmap is shown', () => {
    expect(heatmapModel({ model: detector, fusionDetector: fusion, heatmapFrom: 'fusionDetector' })).toBe(
      fusion,
    );
  });

  it('is the detector when the document says so, and in documents written before heatmapFrom', () => {
    expect(heatmapModel({ model: detector, fusionDetector: fusion, heatmapFrom: 'detector' })).toBe(detector);
    // Session 44's documents: fused scores, but the overlay was stage 1's.
    expect(heatmapModel({ model: detector, fusionDetector: fusion })).toBe(detector);
    expect(heatmapModel({ model: detector })).toBe(detector);
  });

  it('never names a fusion detector the document does not record', () => {
    expect(heatmapModel({ model: detector, heatmapFrom: 'fusionDetector' })).toBe(detector);
  });
});

describe("the PDF key images' caption names the overlaid U-Net", () => {
  it('the fusion detector where the document shows its heatmap, else the detector', () => {
    expect(
      keyImageHeatmapCaption({ model: detector, fusionDetector: fusion, heatmapFrom: 'fusionDetector' }),
    ).toBe('With pulmolens-fusion-detector 0.4.0 heatmap (probability)');
    expect(keyImageHeatmapCaption({ model: detector, fusionDetector: fusion })).toBe(
      'With pulmolens-detector 0.1.0 heatmap (probability)',
    );
  });
});
