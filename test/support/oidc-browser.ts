/**
 * A real browser for the federated login tests: Debian's chromium (`/usr/bin/chromium`, from
 * scripts/cloud/oidc-up.sh's packages) driven headless by puppeteer-core, filling the test IdP's
 * login form (scripts/cloud/oidc/idp.mjs). The IdP's certificate is the harness's own CA, which
 * chromium does not know: certificate errors are ignored in this throw-away profile.
 */
import { existsSync } from 'node:fs';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';

export const CHROMIUM = '/usr/bin/chromium';

/** Whether the browser is installed. */
export const haveChromium = existsSync(CHROMIUM);

/** Starts headless chromium (as root: without its sandbox). */
export function launchChromium(): Promise<Browser> {
  return puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    acceptInsecureCerts: true,
    args: [
      '--no-sandbox',
      '--ignore-certificate-errors',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-domain-reliability',
      // every name but the loopback ones resolves to nothing: this browser talks to 127.0.0.1 only
      '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1',
    ],
  });
}

/** What a sign-in in the browser saw: the last page's text, and every URL the browser requested. */
export interface SignInResult {
  text: string;
  urls: string[];
}

/** Fills the test IdP's login form on `page` (the form is shown) and submits it. */
async function fillLogin(page: Page, user: string, password: string): Promise<void> {
  await page.waitForSelector('#login', { timeout: 15_000 });
  await page.type('#login', user);
  await page.type('#password', password);
  await Promise.all([page.waitForNavigation({ timeout: 20_000 }).catch(() => undefined), page.click('#submit')]);
}

/**
 * Opens `url` (the IdP's authorization URL, or Keystone's WebSSO URL) in a new private window (no
 * IdP session from an earlier test), signs in as `user`, and follows the redirects until the page
 * settles (ncli's local "Signed in" page).
 */
export async function signIn(browser: Browser, url: string, user: string, password: string): Promise<SignInResult> {
  const context = await browser.createBrowserContext();
  const page = await context.newPage();
  const urls: string[] = [];
  page.on('request', (r) => urls.push(r.url()));
  try {
    await page.goto(url, { waitUntil: 'domcontentloaded', timeout: 20_000 });
    await fillLogin(page, user, password);
    await page.waitForNetworkIdle({ idleTime: 300, timeout: 20_000 }).catch(() => undefined);
    return { text: await page.$eval('body', (b) => (b as unknown as { innerText: string }).innerText), urls };
  } finally {
    await context.close();
  }
}

/**
 * Confirms a device code (RFC 8628) at the IdP's verification URL (`verification_uri_complete`:
 * the code is already filled in; oidc-provider posts it by itself, then asks to confirm), signs in
 * as `user`, and returns the last page's text.
 */
export async function confirmDevice(browser: Browser, url: string, user: string, password: string): Promise<string> {
  const context = await browser.createBrowserContext();
  const page = await context.newPage();
  try {
    await page.goto(url, { waitUntil: 'domcontentloaded', timeout: 20_000 });
    const deadline = Date.now() + 30_000;
    let loggedIn = false;
    while (Date.now() < deadline) {
      await page.waitForNetworkIdle({ idleTime: 300, timeout: 10_000 }).catch(() => undefined);
      const has = (sel: string) =>
        page.$(sel).then(
          (h) => h !== null,
          () => false,
        );
      const state = (await has('#login')) ? 'login' : (await has('#confirm')) ? 'confirm' : 'done';
      if (state === 'login' && !loggedIn) {
        await fillLogin(page, user, password);
        loggedIn = true;
      } else if (state === 'confirm') {
        await Promise.all([page.waitForNavigation({ timeout: 20_000 }).catch(() => undefined), page.click('#confirm')]);
      } else if (state === 'done' && loggedIn) {
        return await page.$eval('body', (b) => (b as unknown as { innerText: string }).innerText);
      }
    }
    throw new Error(`the device confirmation did not finish; last page: ${await page.content()}`);
  } finally {
    await context.close();
  }
}
