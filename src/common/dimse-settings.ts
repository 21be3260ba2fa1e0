/**
 * DICOM networking settings (validated with zod wherever they enter: settings file, CLI flags,
 * IPC). The Storage SCP is off by default and accepts only the calling AE titles listed, each
 * from its own host address.
 */
import { z } from 'zod';

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** True for an IPv4 or IPv6 address literal (no DNS names); works in Node and the renderer. */
export function isIpAddress(s: string): boolean {
  if (IPV4.test(s)) return true;
  if (!s.includes(':') || !/^[0-9a-fA-F:.]+$/.test(s)) return false;
  try {
    return new URL(`http://[${s}]/`).hostname.length > 2;
  } catch {
    return false;
  }
}

/** PS3.5 AE: 1–16 characters of the default repertoire, no backslash or control characters, not all spaces. */
export const AeTitle = z
  .string({ error: 'an AE title is text' })
  .max(16, { error: (i) => `AE title "${String(i.input)}" is longer than 16 characters` })
  .regex(/^[\x20-\x5b\x5d-\x7e]+$/, 'an AE title uses printable ASCII without a backslash')
  .refine((s) => s.trim().length > 0, 'an AE title cannot be empty or only spaces')
  .transform((s) => s.trim());

/** An IP address literal (v4 or v6): peers are matched by address, never by a DNS name. */
export const IpAddress = z
  .string({ error: 'an IP address is text' })
  .refine(isIpAddress, 'must be an IPv4 or IPv6 address (no host names)');

const outOfRange = (i: { input?: unknown }) => `port ${String(i.input)} is not between 1 and 65535`;
export const Port = z
  .number({ error: 'a port is a number between 1 and 65535' })
  .int({ error: (i) => `port ${String(i.input)} is not a whole number` })
  .min(1, { error: outOfRange })
  .max(65535, { error: outOfRange });

/** A calling AE title the SCP accepts, from one host address. */
export const AllowedPeer = z.object({ aeTitle: AeTitle, host: IpAddress }).strict();
export type AllowedPeer = z.infer<typeof AllowedPeer>;

/** A C-STORE destination (a PACS or another workstation). */
export const Destination = z.object({ aeTitle: AeTitle, host: IpAddress, port: Port }).strict();
export type Destination = z.infer<typeof Destination>;

export const DimseSettings = z
  .object({
    /** the Storage SCP runs only when enabled */
    enabled: z.boolean().default(false),
    aeTitle: AeTitle.default('PULMOLENS'),
    port: Port.default(11112),
    /** the interface address the SCP listens on; loopback unless set */
    listenHost: IpAddress.default('127.0.0.1'),
    allowedPeers: z.array(AllowedPeer).max(256).default([]),
    /** start analysis of each received CT series automatically */
    autoAnalyze: z.boolean().default(false),
    destination: Destination.nullable().default(null),
    /** seconds to wait for a peer (connect, association, each response) */
    timeoutSeconds: z.number().int().min(1).max(600).default(30),
  })
  .strict();
export type DimseSettings = z.infer<typeof DimseSettings>;

export function defaultDimseSettings(): DimseSettings {
  return DimseSettings.parse({});
}

/** Parses `AET@host` (a CLI `--allow` value). */
export function parseAllowedPeer(text: string): AllowedPeer {
  const at = text.lastIndexOf('@');
  return AllowedPeer.parse({ aeTitle: text.slice(0, at), host: at < 0 ? '' : text.slice(at + 1) });
}

/** Parses `AET@host:port` (a CLI `--to` value); IPv6 hosts go in brackets: `AET@[::1]:104`. */
export function parseDestination(text: string): Destination {
  const m = /^(.+)@(\[[^\]]+\]|[^:@]+):(\d+)$/.exec(text);
  if (!m) throw new z.ZodError([{ code: 'custom', path: [], message: `"${text}" is not AET@host:port` }]);
  return Destination.parse({ aeTitle: m[1], host: m[2]!.replace(/^\[|\]$/g, ''), port: Number(m[3]) });
}

export function peerLabel(p: { aeTitle: string; host: string }): string {
  return `${p.aeTitle}@${p.host}`;
}
