/**
 * Electron main process: registers the app scheme, hardens the session, opens the window, and
 * binds the IPC router. DICOM work runs in a worker thread (./dicom/dicom-worker).
 */
import { app, BrowserWindow, dialog } from 'electron';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import dicomWorkerPath from './dicom/dicom-worker?modulePath';
import { createWorkerBackend } from './dicom/worker-backend';
import { registerAppScheme, handleAppScheme } from './app-protocol';
import { bindRouterToIpc, eventSender } from './ipc/electron-transport';
import { createHandlers } from './ipc/handlers';
import { createRouter } from './ipc/router';
import { hardenContents, hardenSession, createMainWindow } from './window';

registerAppScheme();
app.enableSandbox();

let mainWindow: BrowserWindow | null = null;

async function start(): Promise<void> {
  await app.whenReady();
  hardenSession();
  handleAppScheme(join(__dirname, '../renderer'));
  app.on('web-contents-created', (_e, contents) => hardenContents(contents));

  const backend = createWorkerBackend(() => new Worker(dicomWorkerPath));
  const router = createRouter(
    createHandlers({
      backend,
      appInfo: { name: app.getName(), version: app.getVersion() },
      openFolder: async () => {
        const options = { properties: ['openDirectory' as const, 'multiSelections' as const] };
        const r = mainWindow
          ? await dialog.showOpenDialog(mainWindow, options)
          : await dialog.showOpenDialog(options);
        return r.canceled ? null : r.filePaths;
      },
    }),
    eventSender(() => mainWindow?.webContents ?? null),
  );
  bindRouterToIpc(router);

  mainWindow = createMainWindow(join(__dirname, '../preload/index.cjs'));
  mainWindow.on('closed', () => {
    router.dispose();
    mainWindow = null;
  });
  app.on('window-all-closed', () => {
    void backend.close().finally(() => app.quit());
  });
}

void start();
