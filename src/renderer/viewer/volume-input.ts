/** Turns the main process's volume description into what Cornerstone's local volume needs. */
import { worldToVoxel } from '../../common/volume';
import type { LoadedSeriesInfo } from '../../shared/ipc-contract';

export interface LocalVolumeInput {
  volumeId: string;
  dimensions: [number, number, number];
  spacing: [number, number, number];
  origin: [number, number, number];
  direction: [number, number, number, number, number, number, number, number, number];
  metadata: {
    BitsAllocated: number;
    BitsStored: number;
    SamplesPerPixel: number;
    HighBit: number;
    PhotometricInterpretation: string;
    PixelRepresentation: number;
    Modality: string;
    SeriesInstanceUID: string;
    ImageOrientationPatient: number[];
    PixelSpacing: number[];
    FrameOfReferenceUID: string;
    Columns: number;
    Rows: number;
    voiLut: { windowCenter: number; windowWidth: number }[];
    VOILUTFunction: string;
  };
}

export function localVolumeInput(info: LoadedSeriesInfo, load: number): LocalVolumeInput {
  const g = info.geometry;
  const [nx, ny] = g.dims;
  const [sx, sy] = g.spacingMm;
  return {
    // Unique per load: Cornerstone caches volumes by id, and a reload must not reuse stale voxels.
    volumeId: `pulmolens:${info.key}-${load}`,
    dimensions: [...g.dims],
    spacing: [...g.spacingMm],
    origin: [...g.originLps],
    direction: [...g.direction],
    metadata: {
      BitsAllocated: 16,
      BitsStored: 16,
      SamplesPerPixel: 1,
      HighBit: 15,
      PhotometricInterpretation: 'MONOCHROME2',
      PixelRepresentation: 1,
      Modality: info.metadata.modality || 'CT',
      SeriesInstanceUID: info.metadata.seriesInstanceUid,
      ImageOrientationPatient: g.direction.slice(0, 6),
      // DICOM PixelSpacing is [between rows, between columns] = [y, x].
      PixelSpacing: [sy, sx],
      FrameOfReferenceUID: info.metadata.frameOfReferenceUid || `pulmolens-for-${info.key}`,
      Columns: nx,
      Rows: ny,
      voiLut: [{ windowCenter: -600, windowWidth: 1500 }],
      VOILUTFunction: 'LINEAR',
    },
  };
}

/** The HU value of the voxel nearest a world point, or null outside the volume. */
export function huAt(
  info: LoadedSeriesInfo,
  hu: Int16Array,
  w: readonly [number, number, number],
): number | null {
  const [nx, ny, nz] = info.geometry.dims;
  const [i, j, k] = worldToVoxel(info.geometry, w).map(Math.round) as [number, number, number];
  if (i < 0 || j < 0 || k < 0 || i >= nx || j >= ny || k >= nz) return null;
  return hu[i + j * nx + k * nx * ny] ?? null;
}
