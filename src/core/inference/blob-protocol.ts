import type { Vec3 } from '../../common/volume';
import type { BlobCandidate, BlobLimits, GridMask, OctavePlan } from './blobs';
import type { CubeChannel } from './cubes';
import type { RecentreMask } from './recentre';

/** One octave's grid planes [z0, z1) (see blobSlab). */
export interface BlobSlabSpec {
  octave: OctavePlan;
  z0: number;
  z1: number;
}

/** Messages between the blob stage (the analysis thread) and a blob worker. */
export interface BlobJob {
  kind: 'blobs';
  id: number;
  /** The scan's HU, shared with the analysis thread (never copied per job). */
  hu: Int16Array;
  dims: Vec3;
  lung: GridMask;
  limits: BlobLimits;
  slabs: BlobSlabSpec[];
  /** Int32 [cancel flag, blur passes done by all workers of this run]. */
  shared: SharedArrayBuffer;
}

export type BlobReply =
  | { id: number; ok: true; /** Per slab, one list per level of its octave. */ found: BlobCandidate[][][] }
  | { id: number; ok: false; cancelled: boolean; message: string };

/** Re-centring (recentre.ts) of a share of the stage-1 candidates, on the same workers. */
export interface RecentreJob {
  kind: 'recentre';
  id: number;
  /** The scan's HU, shared with the analysis thread. */
  hu: Int16Array;
  dims: Vec3;
  spacingMm: Vec3;
  mask: RecentreMask | null;
  items: { centre: Vec3; scaleMm: number }[];
  /** Int32 [cancel flag]. */
  shared: SharedArrayBuffer;
}

export type RecentreReply =
  { id: number; ok: true; centres: Vec3[] } | { id: number; ok: false; cancelled: boolean; message: string };

/** Characterizer cubes (cubes.ts) of a share of the candidates, written into shared memory. */
export interface CubesJob {
  kind: 'cubes';
  id: number;
  hu: Int16Array;
  dims: Vec3;
  spacingMm: Vec3;
  inputs: CubeChannel[];
  huWindow: [number, number];
  /** Candidate centres and the slot (in candidates) each one's cubes go to. */
  items: { centre: Vec3; slot: number }[];
  /** Float32 [slots x values per candidate], shared with the analysis thread. */
  out: SharedArrayBuffer;
  /** Int32 [cancel flag]. */
  shared: SharedArrayBuffer;
}

export type CubesReply =
  { id: number; ok: true } | { id: number; ok: false; cancelled: boolean; message: string };

export type WorkerJob = BlobJob | RecentreJob | CubesJob;
export type WorkerReply = BlobReply | RecentreReply | CubesReply;
