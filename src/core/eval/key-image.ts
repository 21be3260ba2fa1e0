/**
 * A small key image for the report: the axial slice through a mark, cropped around it, in lung
 * window (W 1500, L -600), with the mark circled, as PNG (pngjs). The crop is at least 48 mm and
 * three diameters wide, so a person sees the context of a miss or a false positive.
 */
import { PNG } from 'pngjs';
import { worldToVoxel, type Vec3, type Volume } from '../../common/volume';

export const KEY_IMAGE_PX = 128;
const WINDOW = { center: -600, width: 1500 };
const MARK: [number, number, number] = [230, 40, 40];

export function keyImagePng(volume: Volume, centerLps: Vec3, diameterMm: number | null): Buffer {
  const [ci, cj, ck] = worldToVoxel(volume, centerLps);
  const [nx, ny, nz] = volume.dims;
  const [sx, sy] = volume.spacingMm;
  const k = Math.min(nz - 1, Math.max(0, Math.round(ck)));
  const fieldMm = Math.max(48, 3 * (diameterMm ?? 0));
  const mmPerPx = fieldMm / KEY_IMAGE_PX;
  const png = new PNG({ width: KEY_IMAGE_PX, height: KEY_IMAGE_PX });
  const lo = WINDOW.center - WINDOW.width / 2;
  const plane = k * nx * ny;
  for (let y = 0; y < KEY_IMAGE_PX; y++) {
    for (let x = 0; x < KEY_IMAGE_PX; x++) {
      const i = Math.round(ci + ((x - KEY_IMAGE_PX / 2 + 0.5) * mmPerPx) / sx);
      const j = Math.round(cj + ((y - KEY_IMAGE_PX / 2 + 0.5) * mmPerPx) / sy);
      const hu = i < 0 || j < 0 || i >= nx || j >= ny ? -1024 : (volume.hu[plane + j * nx + i] as number);
      const v = Math.max(0, Math.min(255, Math.round(((hu - lo) / WINDOW.width) * 255)));
      const o = (y * KEY_IMAGE_PX + x) * 4;
      png.data[o] = v;
      png.data[o + 1] = v;
      png.data[o + 2] = v;
      png.data[o + 3] = 255;
    }
  }
  // The circle: the mark's radius plus a margin, so it surrounds rather than covers the nodule.
  const r = Math.max(4, (diameterMm ?? 8) / 2 + 3) / mmPerPx;
  const c = KEY_IMAGE_PX / 2;
  for (let y = 0; y < KEY_IMAGE_PX; y++) {
    for (let x = 0; x < KEY_IMAGE_PX; x++) {
      const d = Math.hypot(x + 0.5 - c, y + 0.5 - c);
      if (Math.abs(d - r) <= 1) {
        const o = (y * KEY_IMAGE_PX + x) * 4;
        [png.data[o], png.data[o + 1], png.data[o + 2]] = MARK;
      }
    }
  }
  return PNG.sync.write(png);
}
