// dcmjs ships no type declarations; this covers the parts PulmoLens uses.
declare module 'dcmjs' {
  interface DicomDict {
    dict: Record<string, unknown>;
    meta: Record<string, unknown>;
    write(options?: Record<string, unknown>): ArrayBuffer;
  }
  const dcmjs: {
    data: {
      DicomMessage: { readFile(buffer: ArrayBuffer, options?: Record<string, unknown>): DicomDict };
      DicomMetaDictionary: {
        naturalizeDataset(dict: Record<string, unknown>): Record<string, unknown>;
        denaturalizeDataset(ds: Record<string, unknown>): Record<string, unknown>;
        uid(): string;
      };
      DicomDict: new (meta: Record<string, unknown>) => DicomDict;
    };
    [key: string]: unknown;
  };
  export default dcmjs;
}
