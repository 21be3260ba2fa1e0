/**
 * The one app window, hardened per Electron's security checklist. The decisions live in
 * ./security (pure and unit-tested); this file only applies them.
 */
import { BrowserWindow, session, type Session, type WebContents } from 'electron';
import {
  APP_ENTRY_URL,
  decidePermission,
  isAllowedNavigation,
  isAllowedRequest,
  mainWindowOptions,
  windowOpenDecision,
} from './security';

/** Blocks every request that is not our scheme, and denies every permission. */
export function hardenSession(ses: Session = session.defaultSession): void {
  ses.webRequest.onBeforeRequest((details, callback) => callback({ cancel: !isAllowedRequest(details.url) }));
  ses.setPermissionRequestHandler((_wc, permission, callback) => callback(decidePermission(permission)));
  ses.setPermissionCheckHandler((_wc, permission) => decidePermission(permission));
  ses.setDevicePermissionHandler(() => false);
}

/** No navigation away, no new windows, no webviews, for every web contents the app creates. */
export function hardenContents(contents: WebContents): void {
  contents.on('will-navigate', (event, url) => {
    if (!isAllowedNavigation(url)) event.preventDefault();
  });
  contents.on('will-redirect', (event, url) => {
    if (!isAllowedNavigation(url)) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
  // Links are not handed to a browser either: the app is offline by design.
  contents.setWindowOpenHandler(({ url }) => windowOpenDecision(url));
}

export function createMainWindow(preloadPath: string): BrowserWindow {
  const win = new BrowserWindow(mainWindowOptions(preloadPath));
  hardenContents(win.webContents);
  win.once('ready-to-show', () => win.show());
  void win.loadURL(APP_ENTRY_URL);
  return win;
}
