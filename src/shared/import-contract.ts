/**
 * Getting studies in where there is no native folder dialog (the browser preview and the test
 * host): a folder browser under the host's allowed roots, and finding a folder dropped on the page
 * (browsers give a dropped folder's name and its files' names and sizes, never its path).
 */
import { z } from 'zod';

const absolutePath = z
  .string()
  .min(1)
  .max(4096)
  .refine((p) => p.startsWith('/') || /^[A-Za-z]:[\\/]/.test(p), 'must be an absolute path');
const name = z
  .string()
  .min(1)
  .max(255)
  .refine((n) => !/[\\/\0]/.test(n) && n !== '.' && n !== '..', 'a plain file or folder name');
const relativePath = z
  .string()
  .min(1)
  .max(1024)
  .refine(
    (p) => !p.startsWith('/') && !p.includes('\0') && !p.split(/[\\/]/).some((s) => s === '..' || s === ''),
    'a relative path inside the dropped folder',
  );

export const droppedFolderQuerySchema = z
  .object({
    /** The dropped folder's own name; absent when loose files were dropped. */
    folderName: name.optional(),
    /** A sample of its files: path relative to the dropped folder, and size in bytes. */
    files: z
      .array(z.object({ relativePath, size: z.number().int().min(0) }).strict())
      .min(1)
      .max(64),
  })
  .strict();
export type DroppedFolderQuery = z.infer<typeof droppedFolderQuerySchema>;

export const importSchemas = {
  /** Sub-folders of a folder under the allowed roots (the roots when `path` is absent). */
  'folders.list': z.object({ path: absolutePath.optional() }).strict(),
  /** The folder(s) under the allowed roots holding exactly the dropped files. */
  'folders.locate': droppedFolderQuerySchema,
} as const;

export interface FolderListing {
  /** The listed folder (real path); null when the roots are listed. */
  path: string | null;
  /** One level up, null at a root. */
  parent: string | null;
  roots: string[];
  folders: { name: string; path: string }[];
  /** Plain files directly in the folder (not listed, only counted). */
  files: number;
  truncated: boolean;
}

export interface ImportResponses {
  'folders.list': FolderListing;
  'folders.locate': { paths: string[] };
}
