/** DICOM networking settings: the schema lives in src/common (the renderer validates with it too). */
export * from '../../common/dimse-settings';
