/** DICOM networking (DIMSE): the Storage SCP into the vault, and C-STORE of results to a PACS. */
export * from './settings';
export { parseOrExplain } from './parse-flags';
export {
  startStorageScp,
  CT_STORAGE_CLASSES,
  type RunningScp,
  type StorageScpOptions,
  type ScpEvent,
  type ReceivedBatch,
} from './storage-scp';
export { vaultReceiver, type ReceivedSeries } from './vault-receiver';
export { toPart10 } from './part10';
export { echo, type EchoResult } from './echo-scu';
export { DEFAULT_RETRY_DELAYS_MS, retryDelayMs } from './retry-schedule';
export { sendObjects, type OutgoingObject, type SendResult } from './store-scu';
export { enqueue, readOutbox, retryOutbox, type OutboxEntry, type RetryReport } from './outbox';
export { reportObjects, reportObjectsOf } from './report-objects';
export {
  sendOrQueue,
  sendVaultAnalysis,
  vaultAnalysisReport,
  type SendDelivery,
  type StoredAnalysisReport,
} from './send-results';
export { loadDimseSettings, saveDimseSettings } from './settings-file';
