/** The transfer syntaxes a CT can arrive in, and which codec decodes each. */
export type Codec =
  | 'native-le'
  | 'native-be'
  | 'deflate'
  | 'rle'
  | 'jpeg-baseline'
  | 'jpeg-extended'
  | 'jpeg-lossless'
  | 'jpeg-ls'
  | 'jpeg-2000'
  | 'htj2k';

interface TransferSyntaxInfo {
  name: string;
  codec: Codec;
  lossy: boolean;
}

export const TRANSFER_SYNTAXES: Readonly<Record<string, TransferSyntaxInfo>> = {
  '1.2.840.10008.1.2': { name: 'Implicit VR Little Endian', codec: 'native-le', lossy: false },
  '1.2.840.10008.1.2.1': { name: 'Explicit VR Little Endian', codec: 'native-le', lossy: false },
  '1.2.840.10008.1.2.1.99': { name: 'Deflated Explicit VR Little Endian', codec: 'deflate', lossy: false },
  '1.2.840.10008.1.2.2': { name: 'Explicit VR Big Endian', codec: 'native-be', lossy: false },
  '1.2.840.10008.1.2.5': { name: 'RLE Lossless', codec: 'rle', lossy: false },
  '1.2.840.10008.1.2.4.50': { name: 'JPEG Baseline (Process 1)', codec: 'jpeg-baseline', lossy: true },
  '1.2.840.10008.1.2.4.51': { name: 'JPEG Extended (Process 2 & 4)', codec: 'jpeg-extended', lossy: true },
  '1.2.840.10008.1.2.4.57': { name: 'JPEG Lossless (Process 14)', codec: 'jpeg-lossless', lossy: false },
  '1.2.840.10008.1.2.4.70': {
    name: 'JPEG Lossless SV1 (Process 14, SV1)',
    codec: 'jpeg-lossless',
    lossy: false,
  },
  '1.2.840.10008.1.2.4.80': { name: 'JPEG-LS Lossless', codec: 'jpeg-ls', lossy: false },
  '1.2.840.10008.1.2.4.81': { name: 'JPEG-LS Near-Lossless', codec: 'jpeg-ls', lossy: true },
  '1.2.840.10008.1.2.4.90': { name: 'JPEG 2000 Lossless', codec: 'jpeg-2000', lossy: false },
  '1.2.840.10008.1.2.4.91': { name: 'JPEG 2000', codec: 'jpeg-2000', lossy: true },
  '1.2.840.10008.1.2.4.201': { name: 'HTJ2K Lossless', codec: 'htj2k', lossy: false },
  '1.2.840.10008.1.2.4.202': { name: 'HTJ2K Lossless RPCL', codec: 'htj2k', lossy: false },
  // .203 allows lossy or lossless codestreams; treated as lossy, as for JPEG 2000 (.91).
  '1.2.840.10008.1.2.4.203': { name: 'HTJ2K', codec: 'htj2k', lossy: true },
};

export function transferSyntaxInfo(uid: string): TransferSyntaxInfo | undefined {
  return TRANSFER_SYNTAXES[uid];
}

export function isEncapsulated(codec: Codec): boolean {
  return codec !== 'native-le' && codec !== 'native-be' && codec !== 'deflate';
}
