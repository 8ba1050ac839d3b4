// A page in headless Chromium (the system's, found as system-tools.ts finds it) for tests of what a
// browser shows; the test itself is guarded with needs(CHROMIUM, ...).
import { chromium, type Page } from "playwright-core";
import { CHROMIUM, pathOf } from "./system-tools.ts";

/**
 * Opens `url` in a fresh browser and runs `body` on the page with the errors the page has reported
 * so far (its uncaught errors, and its console errors when `consoleErrors`); the browser is closed
 * afterwards whatever happened.
 */
export async function onChromiumPage(
  url: string,
  body: (page: Page, errors: string[]) => Promise<void>,
  { consoleErrors = false }: { consoleErrors?: boolean } = {},
): Promise<void> {
  const browser = await chromium.launch({
    executablePath: pathOf(CHROMIUM),
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
  });
  try {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(error.message));
    if (consoleErrors)
      page.on("console", (message) => {
        if (message.type() === "error") errors.push(message.text());
      });
    await page.goto(url);
    await body(page, errors);
  } finally {
    await browser.close();
  }
}
