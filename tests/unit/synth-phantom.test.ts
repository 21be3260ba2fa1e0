import { describe, expect, it } from 'vitest';
import { PulmoLensError } from '../../src/common/errors';
import { generatePhantom, NODULE_TYPES } from '../../src/core/synth/index';
import { voxelIndex, worldToVoxel } from '../../src/common/volume';

const hash = (a: Int16Array): string => {
  let h = 2166136261;
  for (let i = 0; i < a.length; i++) h = Math.imul(h ^ (a[i]! & 0xffff), 16777619) >>> 0;
  return h.toString(16);
};

describe('synthetic phantom', () => {
  const dims: [number, number, number] = [160, 160, 80];
  const spacingMm: [number, number, number] = [2.2, 2.2, 3.5];

  it('is deterministic for a seed and differs between seeds', () => {
    const a = generatePhantom({ seed: 11, dims, spacingMm, nodules: 4 });
    const b = generatePhantom({ seed: 11, dims, spacingMm, nodules: 4 });
    const c = generatePhantom({ seed: 12, dims, spacingMm, nodules: 4 });
    expect(hash(a.volume.hu)).toBe(hash(b.volume.hu));
    expect(a.nodules).toEqual(b.nodules);
    expect(hash(a.volume.hu)).not.toBe(hash(c.volume.hu));
  });

  it('places nodules of every requested type with the HU of their kind, in lung', () => {
    const p = generatePhantom({
      seed: 5,
      dims,
      spacingMm,
      noduleRequests: [
        { type: 'solid', diameterMm: 12, margin: 'round', location: 'free' },
        { type: 'part-solid', diameterMm: 18, margin: 'lobulated', location: 'juxtavascular' },
        { type: 'ground-glass', diameterMm: 14, margin: 'round', location: 'free' },
        { type: 'solid', diameterMm: 10, margin: 'spiculated', location: 'juxtapleural' },
      ],
    });
    expect(p.nodules.map((n) => n.type)).toEqual(['solid', 'part-solid', 'ground-glass', 'solid']);
    expect(p.nodules.map((n) => n.location)).toEqual(['free', 'juxtavascular', 'free', 'juxtapleural']);
    expect(p.nodules[3]!.spiculated).toBe(true);
    const v = p.volume;
    const huAt = (w: [number, number, number]): number => {
      const [i, j, k] = worldToVoxel(v, w).map(Math.round) as [number, number, number];
      return v.hu[voxelIndex(v, i, j, k)]!;
    };
    for (const n of p.nodules) {
      const centre = huAt(n.centerLps);
      if (n.type === 'ground-glass') {
        expect(centre).toBeGreaterThan(-760);
        expect(centre).toBeLessThan(-300);
      } else {
        // Solid and part-solid nodules have a soft-tissue (solid) centre.
        expect(centre).toBeGreaterThan(-150);
      }
      // Lung 2 nodule diameters away (towards the body centre) is aerated parenchyma.
      const c = n.centerLps;
      const towardsMid: [number, number, number] = [c[0] * 0.6, c[1], c[2]];
      expect(huAt(towardsMid)).toBeLessThan(centre);
    }
    expect(new Set(p.nodules.map((n) => n.type))).toEqual(new Set(NODULE_TYPES));
  });

  it('has aerated lungs, soft-tissue body and noise in the expected range', () => {
    const p = generatePhantom({ seed: 9, dims, spacingMm, nodules: 0 });
    const v = p.volume;
    const k = Math.round(v.dims[2] * 0.45);
    const plane = v.dims[0] * v.dims[1];
    const slice = v.hu.subarray(k * plane, (k + 1) * plane);
    // The commonest value below -500 HU is lung parenchyma.
    const bins = new Map<number, number>();
    for (const h of slice)
      if (h < -500 && h > -960) bins.set(Math.floor(h / 10), (bins.get(Math.floor(h / 10)) ?? 0) + 1);
    const mode = [...bins.entries()].sort((x, y) => y[1] - x[1])[0]![0] * 10;
    expect(mode).toBeGreaterThan(-900);
    expect(mode).toBeLessThan(-790);
    // A corner outside the body is air plus scanner noise only.
    const air: number[] = [];
    for (let j = 0; j < 10; j++) for (let i = 0; i < 10; i++) air.push(v.hu[voxelIndex(v, i, j, k)]!);
    const mean = air.reduce((t, x) => t + x, 0) / air.length;
    const sd = Math.sqrt(air.reduce((t, x) => t + (x - mean) ** 2, 0) / air.length);
    expect(mean).toBeGreaterThan(-1010);
    expect(mean).toBeLessThan(-990);
    expect(sd).toBeGreaterThan(5);
    expect(sd).toBeLessThan(30);
  });

  it('rejects invalid options with a typed error', () => {
    expect(() => generatePhantom({ seed: -1 })).toThrow(PulmoLensError);
    expect(() => generatePhantom({ seed: 1, nodules: 1000 })).toThrow(/nodules/);
  });
});
