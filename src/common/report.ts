/** The report bundle's formats: what `report.export` may ask for and `core/report` writes. */
export const REPORT_FORMATS = ['pdf', 'sr', 'pmap', 'json', 'csv'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];
