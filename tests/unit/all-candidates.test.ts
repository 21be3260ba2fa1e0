import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import type { BelowThresholdCandidate } from '../../src/common/findings/findings-document';
import { AllCandidates, AnalysisWarnings } from '../../src/renderer/components/AllCandidates';

const cand = (n: number, p: number): BelowThresholdCandidate => ({
  id: `C00${n}`,
  centerLps: [0, 0, 0],
  centerVoxel: [1, 2, n],
  probability: p,
  source: 'blob',
  scaleMm: 5.7,
});

describe('findings panel: analysis warnings and the candidates below the threshold', () => {
  it('shows every analysis warning, and nothing when there is none', () => {
    const html = renderToStaticMarkup(
      createElement(AnalysisWarnings, {
        warnings: ['slices thicker than 2.5 mm: small nodules may be missed'],
      }),
    );
    expect(html).toContain('aria-label="Analysis warnings"');
    expect(html).toContain('slices thicker than 2.5 mm');
    expect(renderToStaticMarkup(createElement(AnalysisWarnings, { warnings: [] }))).toBe('');
  });

  it('offers the candidates behind an unchecked toggle that says how many lie below the threshold', () => {
    const html = renderToStaticMarkup(
      createElement(AllCandidates, {
        candidates: [cand(1, 0.3), cand(2, 0.05)],
        threshold: 0.42,
        imageLabel: (k: number) => `#${k}`,
      }),
    );
    expect(html).toContain('Show all candidates (2 below 42%)');
    expect(html).not.toContain('checked');
    // Hidden until the reader asks: no candidate row in the panel by default.
    expect(html).not.toContain('data-candidate-id');
    expect(
      renderToStaticMarkup(
        createElement(AllCandidates, { candidates: [], threshold: 0.5, imageLabel: String }),
      ),
    ).toBe('');
  });
});
