/**
 * Electron main process: registers the app scheme, hardens the session, opens the window, and
 * binds the IPC router. DICOM work runs in a worker thread (./dicom/dicom-worker).
 */
import { app, BrowserWindow, dialog } from 'electron';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import dicomWorkerPath from './dicom/dicom-worker?modulePath';
import inferenceWorkerPath from '../core/inference/worker?modulePath';
import blobWorkerPath from '../core/inference/blob-worker?modulePath';
import decodeWorkerPath from '../core/dicom/decode-worker?modulePath';
import objectWriterWorkerPath from '../core/vault/object-writer-worker?modulePath';
import { configureObjectWriterWorkers } from '../core/vault/object-writer-pool';
import { createWorkerBackend } from './dicom/worker-backend';
import { registerAppScheme, handleAppScheme } from './app-protocol';
import { bindRouterToIpc, eventSender } from './ipc/electron-transport';
import { createHandlers } from './ipc/handlers';
import { createRouter } from './ipc/router';
import { vaultAnalysisStore } from '../core/findings/analysis-store';
import { safeStorageProtector } from './vault-keychain';
import { VaultSessionHolder } from './vault-session';
import { hardenContents, hardenSession, createMainWindow } from './window';
import { mainConfig } from './config';
import { DimseService } from './dimse-service';

registerAppScheme();
app.enableSandbox();

let mainWindow: BrowserWindow | null = null;

async function start(): Promise<void> {
  await app.whenReady();
  // The bundled app runs the inference worker from its own built entry and reads the shipped
  // models next to the app (src/core resolves both relative to its sources otherwise).
  const config = mainConfig({
    userData: app.getPath('userData'),
    appPath: app.getAppPath(),
    inferenceWorker: inferenceWorkerPath,
    blobWorker: blobWorkerPath,
  });
  hardenSession();
  handleAppScheme(join(__dirname, '../renderer'));
  app.on('web-contents-created', (_e, contents) => hardenContents(contents));

  // Vault imports encrypt on object-writer workers; the build decides where their entry lies.
  configureObjectWriterWorkers({ entry: objectWriterWorkerPath });
  // The DICOM worker starts the decode workers; it is told where the build put their entry.
  const backend = createWorkerBackend(
    () => new Worker(dicomWorkerPath, { workerData: { decodeWorker: decodeWorkerPath } }),
  );
  // The only place patient data lives on disk; the app opens on its lock screen.
  const vault = new VaultSessionHolder({
    dir: config.vaultDir,
    protector: safeStorageProtector(),
  });
  const emit = eventSender(() => mainWindow?.webContents ?? null);
  vault.onLock((reason) => emit('vault.locked', { reason }));
  // Storage SCP: off until enabled in the settings; runs only while the vault is unlocked.
  const dimse = new DimseService({
    settingsPath: config.dimseSettingsPath,
    vault,
    onReceived: (s, settings) =>
      emit('dimse.received', {
        studyRef: s.studyRef,
        seriesRef: s.seriesRef,
        receivedFrom: s.receivedFrom,
        autoAnalyze: settings.autoAnalyze,
      }),
  });
  const router = createRouter(
    createHandlers({
      backend,
      vault,
      analysisStore: vaultAnalysisStore(vault),
      inference: config.inference,
      dimse,
      emit,
      appInfo: { name: app.getName(), version: app.getVersion() },
      openFolder: async () => {
        const options = { properties: ['openDirectory' as const, 'multiSelections' as const] };
        const r = mainWindow
          ? await dialog.showOpenDialog(mainWindow, options)
          : await dialog.showOpenDialog(options);
        return r.canceled ? null : r.filePaths;
      },
    }),
    emit,
  );
  bindRouterToIpc(router);

  mainWindow = createMainWindow(join(__dirname, '../preload/index.cjs'));
  mainWindow.on('closed', () => {
    router.dispose();
    mainWindow = null;
  });
  app.on('window-all-closed', () => {
    void vault
      .lock('manual')
      .catch(() => undefined)
      .then(() => dimse.close())
      .then(() => backend.close())
      .finally(() => app.quit());
  });
}

void start();
