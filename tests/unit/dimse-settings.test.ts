import { describe, expect, it } from 'vitest';
import {
  DimseSettings,
  defaultDimseSettings,
  isIpAddress,
  parseAllowedPeer,
  parseDestination,
  parseOrExplain,
  toPart10,
} from '../../src/core/dimse';
import { parseInstance } from '../../src/core/dicom';

describe('DICOM networking settings', () => {
  it('are off by default, on loopback, with no allowed peer', () => {
    expect(defaultDimseSettings()).toMatchObject({
      enabled: false,
      aeTitle: 'PULMOLENS',
      port: 11112,
      listenHost: '127.0.0.1',
      allowedPeers: [],
      autoAnalyze: false,
      destination: null,
    });
  });

  it('refuse bad AE titles, host names instead of addresses, bad ports and unknown keys', () => {
    for (const bad of [
      { aeTitle: 'THIS_TITLE_IS_TOO_LONG' },
      { aeTitle: 'BACK\\SLASH' },
      { aeTitle: '   ' },
      { listenHost: 'pacs.example.org' },
      { port: 0 },
      { port: 70000 },
      { allowedPeers: [{ aeTitle: 'CT1', host: 'scanner' }] },
      { surprise: true },
    ]) {
      expect(DimseSettings.safeParse(bad).success, JSON.stringify(bad)).toBe(false);
    }
  });

  it('parse AET@host and AET@host:port, IPv6 in brackets', () => {
    expect(parseAllowedPeer('CT_SCANNER@10.0.0.5')).toEqual({ aeTitle: 'CT_SCANNER', host: '10.0.0.5' });
    expect(parseDestination('PACS@192.168.1.2:104')).toEqual({
      aeTitle: 'PACS',
      host: '192.168.1.2',
      port: 104,
    });
    expect(parseDestination('PACS@[::1]:11112')).toEqual({ aeTitle: 'PACS', host: '::1', port: 11112 });
    expect(() => parseOrExplain('--to', () => parseDestination('PACS@host'))).toThrow(
      /--to: .*AET@host:port/,
    );
    expect(() => parseOrExplain('--allow', () => parseAllowedPeer('CT@name.local'))).toThrow(
      /--allow: host: must be an IPv4 or IPv6 address/,
    );
  });
});

describe('IP address literals (peers are matched by address, never by name)', () => {
  it('accepts IPv4 and IPv6 literals and refuses names and malformed addresses', () => {
    for (const ok of ['127.0.0.1', '10.0.0.255', '::1', 'fe80::1', '2001:db8::8a2e:370:7334']) {
      expect(isIpAddress(ok), ok).toBe(true);
    }
    for (const bad of ['10.0.0.256', '1.2.3', 'localhost', 'pacs.example.org', ':::', '']) {
      expect(isIpAddress(bad), bad).toBe(false);
    }
  });
});

describe('Part 10 wrapping of a received dataset', () => {
  it('records the transfer syntax and the sending AE title and keeps the dataset bytes as sent', () => {
    // A minimal explicit-LE dataset: SOPInstanceUID only.
    const uid = '1.2.3.4';
    const ds = Uint8Array.of(
      0x08,
      0x00,
      0x18,
      0x00,
      0x55,
      0x49,
      8,
      0,
      ...new TextEncoder().encode(`${uid}\0`),
    );
    const file = toPart10({
      sopClassUid: '1.2.840.10008.5.1.4.1.1.2',
      sopInstanceUid: uid,
      transferSyntaxUid: '1.2.840.10008.1.2.1',
      sourceAeTitle: 'CT1',
      dataset: ds,
    });
    expect(new TextDecoder().decode(file.subarray(128, 132))).toBe('DICM');
    expect(Buffer.from(file.subarray(file.length - ds.length)).equals(Buffer.from(ds))).toBe(true);
    // No pixel data: the importer's parser reads the header and names what is missing.
    expect(() => parseInstance(file, 'received')).toThrow(
      expect.objectContaining({ code: expect.stringMatching(/^DICOM_/) }),
    );
  });
});
